"""What kind of session a conversation was, from what happened in it: documented rules, no model.

A Claude Code session is judged by its tool calls (the one-line `[tool Edit: path]` form the transcript reader
keeps), its failures (the reader's `tool_errors` / `error_lines` metadata, and tracebacks pasted into the text),
the files it touched and the user's own prompts (the opening one counted twice: it says what the session is for). Each type gets a score, a sum of weighted evidence (the table
WEIGHTS below, each feature capped so one long session cannot swamp the rest); the highest score wins, ties in
the order of TYPES. A session with no evidence at all is `question` (someone asked, the assistant answered).

    debugging     failures (tool errors, tracebacks), test runs repeated, "fails", "error", "why does ..."
    feature       new files written, edits, "add", "implement", "support", "new endpoint"
    refactoring   edits spread over many files, "refactor", "rename", "extract", "move", "clean up"
    review        reads and searches without edits, "review", "explain", "walk me through", "how does"
    operations    deploy/infra commands (docker, kubectl, terraform, helm, systemctl, ssh, aws, ...), "deploy", "CI"
    question      no tools, questions in the prompts, "how do I", "what is", "should I", "difference between"

Items that are not sessions keep their nature: inbox items are `note`, Session Buddy reflections and insights
`reflection`. A Session Buddy conversation row (text only, no tool lines) is judged by its words alone.
The weights were set by hand and adjusted on the development half of the labelled set
(bench/labelled/session_types/, `bench/session_type_quality.py --split dev`); figures on the held-out half
are in the README.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass

TYPES = ("debugging", "feature", "refactoring", "review", "operations", "question")
NOTE, REFLECTION = "note", "reflection"
CLASSIFIER_VERSION = "rules-1"

_TOOL = re.compile(r"^\[tool ([\w.-]+): (.*)\]$", re.MULTILINE)
_TURN = re.compile(r"^(User|Assistant): ", re.MULTILINE)
EDIT_TOOLS = frozenset({"Edit", "MultiEdit", "Write", "NotebookEdit"})
READ_TOOLS = frozenset({"Read", "Grep", "Glob", "LS", "NotebookRead", "WebFetch", "WebSearch"})
_TEST = re.compile(r"\b(pytest|tox|nox|unittest|jest|vitest|mocha|rspec|phpunit|ctest|(npm|pnpm|yarn|bun) (run )?test|"
                   r"go test|cargo (test|nextest)|mvn .*test|gradle\w* .*test|make (test|check))\b")
_GIT = re.compile(r"^\s*git\b")
_OPS = re.compile(r"\b(docker|docker-compose|podman|kubectl|k9s|helm|terraform|tofu|ansible(-playbook)?|systemctl|journalctl|"
                  r"ssh|scp|rsync|aws|gcloud|az|flyctl|heroku|certbot|nginx|crontab|pg_dump|pg_restore|df|du|free|uptime|"
                  r"gh (run|workflow)|make deploy|\./deploy\S*|kustomize|argocd|vault)\b")
_ERROR_TEXT = re.compile(r"^\s*(Traceback \(most recent call last\)|[\w.]*(Error|Exception)\b:|FAILED\b|panic:|fatal:|"
                         r"error(\[\w+\])?:|npm ERR!|Segmentation fault)", re.MULTILINE)


def _cue(*phrases: str) -> re.Pattern:
    return re.compile(r"\b(" + "|".join(phrases) + r")\b", re.IGNORECASE)


# The user's words for each kind of work (prompts only: the assistant's prose would echo them all).
CUES = {
    "debugging": _cue("fails?", "failing", "failed", "error", "errors", "bug", "broken", "breaks", "crash(es|ed)?", "flaky",
                      "regression", "traceback", "exception", "doesn'?t work", "not working", "why does", "why is",
                      "stopped working", "wrong result", "hangs?", "timeouts?", "500s?", "investigate", "reproduce"),
    "feature": _cue("add", "implement", "create", "support for", "new (endpoint|command|page|feature|option|flag)",
                    "feature", "i want", "i'd like", "we need", "introduce", "enable", "allow users"),
    "refactoring": _cue("refactor\\w*", "rename", "extract", "split (up|into)?", "move", "clean ?up", "simplify", "deduplicate",
                        "restructure", "reorganize", "tidy", "dead code", "decouple", "inline", "consolidate"),
    "review": _cue("review", "explain", "walk me through", "understand", "what does", "how does", "read through", "look over",
                   "pull request", "PR", "audit", "code reading", "overview", "get familiar", "architecture of"),
    "operations": _cue("deploy\\w*", "rollout", "roll back", "rollback", "pipeline", "CI", "docker\\w*", "kubernetes", "k8s", "pods?",
                       "terraform", "helm", "server", "nginx", "cron", "backup", "disk", "certificate", "infra\\w*", "cluster",
                       "staging", "production", "prod", "restart", "on-call", "dns", "runner"),
    "question": _cue("how do i", "how should", "what is", "what's the", "should i", "difference between", "best way", "is it possible",
                     "can you explain why", "when should", "which is better", "recommend"),
}

OPENING_WEIGHT = 1.5

# Evidence -> points for a type, with each feature capped at `cap`: (type, feature, weight, cap).
WEIGHTS = (
    ("debugging", "cue_debugging", 2.0, 3), ("debugging", "tool_errors", 1.2, 4), ("debugging", "error_text", 0.8, 3),
    ("debugging", "test_runs", 0.4, 4),
    ("feature", "cue_feature", 1.6, 3), ("feature", "files_written", 1.2, 3), ("feature", "edits", 0.25, 8),
    ("refactoring", "cue_refactoring", 2.4, 3), ("refactoring", "files_edited", 0.45, 10),
    ("review", "cue_review", 2.0, 3), ("review", "reads", 0.35, 10), ("review", "edits", -0.5, 6),
    ("operations", "cue_operations", 1.2, 4), ("operations", "ops_commands", 1.1, 6),
    ("question", "cue_question", 1.5, 3), ("question", "no_tools", 2.0, 1), ("question", "questions", 0.4, 4),
    # the opening prompt says what the session was started for: its words count again
    *((kind, f"opening_{kind}", OPENING_WEIGHT, 2) for kind in TYPES),
)


@dataclass(frozen=True)
class SessionType:
    session_type: str
    scores: dict[str, float]
    features: dict[str, int]

    def evidence(self) -> str:
        """The features that scored, as JSON (stored beside the type: why it is what it is)."""
        return json.dumps({"scores": self.scores, "features": {k: v for k, v in self.features.items() if v}}, sort_keys=True)


def session_features(content: str, metadata: dict | None = None) -> dict[str, int]:
    """Counts of what happened in a session (see the module docstring)."""
    metadata = metadata or {}
    tools = _TOOL.findall(content)
    names = Counter(name for name, _ in tools)
    bash = [detail for name, detail in tools if name == "Bash"]
    edited = {detail for name, detail in tools if name in EDIT_TOOLS}
    prompts = _user_text(content)
    features = {
        "tools": len(tools),
        "no_tools": int(not tools),
        "edits": sum(names[n] for n in EDIT_TOOLS),
        "files_written": len({detail for name, detail in tools if name == "Write"}),
        "files_edited": len(edited),
        "reads": sum(names[n] for n in READ_TOOLS),
        "bash": len(bash),
        "test_runs": sum(bool(_TEST.search(cmd)) for cmd in bash),
        "git_commands": sum(bool(_GIT.match(cmd)) for cmd in bash),
        "ops_commands": sum(bool(_OPS.search(cmd)) for cmd in bash),
        "tool_errors": int(metadata.get("tool_errors") or 0),
        "error_text": len(_ERROR_TEXT.findall(content)) + len(metadata.get("error_lines") or []),
        "questions": prompts.count("?"),
        "user_turns": len(re.findall(r"^User: ", content, re.MULTILINE)),
    }
    opening = _first_prompt(content)
    for kind, pattern in CUES.items():
        features[f"cue_{kind}"] = len(pattern.findall(prompts))
        features[f"opening_{kind}"] = len(pattern.findall(opening))
    return features


def classify_session(content: str, metadata: dict | None = None) -> SessionType:
    """The type of one session or text-only conversation."""
    features = session_features(content, metadata)
    scores = dict.fromkeys(TYPES, 0.0)
    for kind, feature, weight, cap in WEIGHTS:
        scores[kind] += weight * min(features[feature], cap)
    best = max(TYPES, key=lambda t: (scores[t], -TYPES.index(t)))
    if scores[best] <= 0:
        best = "question"
    return SessionType(best, {k: round(v, 2) for k, v in scores.items()}, features)


def classify(source: str, kind: str, content: str, metadata: str | dict | None) -> SessionType:
    """Any warehouse conversation: inbox items are notes, reflections and insights reflections, the rest by rules."""
    meta = json.loads(metadata) if isinstance(metadata, str) and metadata else (metadata or {})
    if source == "inbox":
        return SessionType(NOTE, {}, {})
    if kind in ("reflection", "insight"):
        return SessionType(REFLECTION, {}, {})
    return classify_session(content, meta if isinstance(meta, dict) else {})


def _first_prompt(content: str) -> str:
    """The session's first user turn (the whole text when it has no turn markers)."""
    marks = list(_TURN.finditer(content))
    for mark, nxt in zip(marks, marks[1:] + [None]):
        if mark.group(1) == "User":
            return content[mark.end(): nxt.start() if nxt else len(content)]
    return content if not marks else ""


def _user_text(content: str) -> str:
    """The user's turns of a rendered transcript (a text without turn markers counts as the user's whole)."""
    marks = list(_TURN.finditer(content))
    if not marks:
        return content
    parts = []
    for mark, nxt in zip(marks, marks[1:] + [None]):
        if mark.group(1) == "User":
            parts.append(content[mark.end(): nxt.start() if nxt else len(content)])
    return "\n".join(parts)
