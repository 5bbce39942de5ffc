"""The step language of a conversation and the records that label it.

A conversation is a list of steps:
- U(text): a user prompt; A(text, tools=[...], think=...): one assistant API message (thinking,
  text and tool_use blocks, each its own JSONL line in a transcript), followed by one tool_result
  user line per tool;
- Bash / Read / Edit / Grep / Write / Task build tool calls with a realistic input and output;
- Meta(text), Sys(subtype, text), Snap(): transcript noise (meta lines, system lines, snapshots).

An episode (`Ep`) is a hand-written piece of work: its steps, where it is stored (its own Claude Code
session, a place in a long session, an inbox item or a reflection-DB row), the strings that make its
answer (`evidence`, checked to occur in the relevant conversations and nowhere else) and its queries
(`Q`). Reflections or notes that restate the answer are listed as `also` and are relevant too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CATEGORIES = ("paraphrase", "identifier", "path", "command", "deep", "near_miss", "mixed")


def U(text: str) -> tuple:
    return ("user", {"text": text})


def A(text: str | None = None, tools: list | None = None, think: str | None = None) -> tuple:
    return ("assistant", {"text": text, "tools": tools or [], "think": think})


def Meta(text: str) -> tuple:
    return ("meta", {"text": text})


def Sys(subtype: str, content: str, level: str = "info") -> tuple:
    return ("system", {"subtype": subtype, "content": content, "level": level})


def Snap() -> tuple:
    return ("snapshot", {})


def Tool(name: str, input: dict, output: str, is_error: bool = False, sidechain: list | None = None) -> dict:
    return {"name": name, "input": input, "output": output, "is_error": is_error, "sidechain": sidechain or []}


def Bash(command: str, output: str = "", is_error: bool = False, description: str = "Run command") -> dict:
    return Tool("Bash", {"command": command, "description": description}, output, is_error)


def Read(path: str, output: str) -> dict:
    return Tool("Read", {"file_path": path}, output)


def Edit(path: str, old: str, new: str) -> dict:
    return Tool("Edit", {"file_path": path, "old_string": old, "new_string": new}, f"The file {path} has been updated.")


def Write(path: str, content: str) -> dict:
    return Tool("Write", {"file_path": path, "content": content}, f"File created successfully at: {path}")


def Grep(pattern: str, output: str, path: str | None = None) -> dict:
    inp = {"pattern": pattern, "output_mode": "content", "-n": True}
    if path:
        inp["path"] = path
    return Tool("Grep", inp, output)


def Task(description: str, prompt: str, output: str, sidechain: list) -> dict:
    return Tool("Task", {"description": description, "prompt": prompt, "subagent_type": "general-purpose"}, output,
                sidechain=sidechain)


def numbered(text: str, start: int = 1) -> str:
    """A Read tool's output: the file's lines with right-aligned numbers and a tab."""
    return "\n".join(f"{n:>6}\t{line}" for n, line in enumerate(text.split("\n"), start=start))


@dataclass
class Q:
    category: str
    query: str
    project: bool = False  # True: the user would filter on the episode's project
    note: str = ""
    main_only: bool = False  # True: the `also` restatements do not answer this query
    extra: tuple = ()  # keys of other episodes that answer it as well

    def __post_init__(self) -> None:
        assert self.category in CATEGORIES, self.category


@dataclass
class Also:
    """A restatement of an episode's answer elsewhere: an inbox note or a reflection-DB row."""

    where: str  # inbox:<file> | reflection | e3_reflection | v1_conversation | e3_conversation
    text: str
    tags: tuple = ()
    insight_type: str | None = None


@dataclass
class Ep:
    key: str
    project: str
    steps: list
    evidence: tuple = ()
    queries: tuple = ()
    where: str = "transcript"  # transcript | long:<session key> | inbox:<file> | v1_conversation | e3_conversation
    date: str | None = None  # YYYY-MM-DD (a time is drawn from the key)
    branch: str = "main"
    summary: str | None = None
    also: tuple = ()
    # filled in by the generator
    meta: dict = field(default_factory=dict)


def ep(key: str, project: str, ask: str, answer: str, *, tools: list | None = None, think: str | None = None,
       ack: str | None = None, fix: list | None = None, verify: list | None = None, done: str | None = None,
       follow: list | None = None, pre: list | None = None, **kw) -> Ep:
    """The common shape: the ask, a look around with tools, the answer, an edit, a check, follow-ups."""
    steps: list = list(pre or [])
    steps.append(U(ask))
    if tools:
        steps.append(A(ack, tools=tools, think=think))
    elif ack:
        steps.append(A(ack, think=think))
    steps.append(A(answer))
    if fix:
        steps.append(A(tools=fix))
    if verify:
        steps.append(A(tools=verify))
    if done:
        steps.append(A(done))
    for item in follow or []:
        if isinstance(item, tuple) and item and item[0] in ("user", "assistant", "meta", "system", "snapshot"):
            steps.append(item)
        else:
            q, a = item
            steps.append(U(q))
            steps.append(A(a) if isinstance(a, str) else a)
    return Ep(key=key, project=project, steps=steps, **kw)
