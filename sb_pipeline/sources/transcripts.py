"""Claude Code transcripts: `<projects>/<project-slug>/<session-uuid>.jsonl`.

Each line is one event. A conversation is a *session* (the `sessionId` on the lines, not the file
name: a resumed session copies its history into a new file, so lines are grouped by sessionId and
de-duplicated by their `uuid`). Kept: user and assistant text, and a one-line form of each tool
call. Skipped as noise: summaries (kept as the title), file-history snapshots, system lines, meta
lines (slash-command caveats), sidechain (sub-agent) lines, thinking blocks and tool results.
Tool results are not kept as text; their count, failures and first error lines are (metadata, see
tool_results.py: what a session's type is judged by).
A bad line (invalid UTF-8, malformed or truncated JSON, not an object; a user or assistant line whose
`message` is missing or not an object, or whose `timestamp` is present but does not parse) is rejected
alone. A UTF-8 BOM at the start of a file and CRLF line ends are allowed.
Sessions longer than `max_chars` are split at turn boundaries into parts, so nothing is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

from sb_pipeline.records import (JsonObject, Rejected, SourceRead, excerpt, json_object, numbered_lines, records_frame,
                                 redact, rejects_frame)
from sb_pipeline.sources.timestamps import to_utc
from sb_pipeline.sources.tool_results import ToolResultTally
from sb_pipeline.sources.transcript_batches import file_size, session_groups

SOURCE = "transcript"
_NOISE_PREFIXES = ("<command-name>", "<command-message>", "<local-command-stdout>", "<local-command-stderr>", "Caveat: The messages below")
TOOL_INPUT_CHARS = 120
BATCH_BYTES = 64 * 1024 * 1024  # iter_transcripts: files read (and their sessions kept in memory) at once


def _tool_call(block: dict) -> str:
    name = block.get("name") or "tool"
    payload = block.get("input")
    if isinstance(payload, dict):
        main = next((payload[k] for k in ("command", "file_path", "pattern", "url", "query", "description") if isinstance(payload.get(k), str)), None)
        detail = main if main is not None else json.dumps(payload, ensure_ascii=False, sort_keys=True)
    else:
        detail = str(payload or "")
    # Redacted before it is cut: a token across the cut would survive in part, too short to be recognised.
    detail = redact(" ".join(detail.split())[: TOOL_INPUT_CHARS * 4]).text
    if len(detail) > TOOL_INPUT_CHARS:
        detail = detail[: TOOL_INPUT_CHARS - 1] + "…"
    return f"[tool {name}: {detail}]"


def _texts(content: object) -> list[str]:
    """The kept text of a message's content (a string or a list of blocks)."""
    if isinstance(content, str):
        return [content]
    out: list[str] = []
    if isinstance(content, list):
        for block in content:
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if kind == "text" and isinstance(block.get("text"), str):
                out.append(block["text"])
            elif kind == "tool_use":
                out.append(_tool_call(block))
    return out


def _is_noise_text(text: str) -> bool:
    stripped = text.lstrip()
    return not stripped or stripped.startswith(_NOISE_PREFIXES)


class _Session:
    def __init__(self, session_id: str, first_ref: str) -> None:
        self.session_id = session_id
        self.first_ref = first_ref
        self.files: list[str] = []
        self.seen_uuids: set[str] = set()
        self.turns: list[tuple[object, int, str, str]] = []  # (ts, order, role, text)
        self.cwd: str | None = None
        self.branch: str | None = None
        self.stamps: list = []
        self.results = ToolResultTally()

    def add(self, event: dict, ts, order: int, rel: str) -> None:
        """One accepted line; `ts` is its parsed timestamp (None when it has none)."""
        if rel not in self.files:
            self.files.append(rel)
        uid = event.get("uuid")
        if isinstance(uid, str):
            if uid in self.seen_uuids:
                return  # a resumed session repeats earlier lines in its new file
            self.seen_uuids.add(uid)
        self.cwd = self.cwd or (event.get("cwd") if isinstance(event.get("cwd"), str) else None)
        self.branch = self.branch or (event.get("gitBranch") if isinstance(event.get("gitBranch"), str) else None)
        if ts is not None:
            self.stamps.append(ts)
        message = event["message"]
        role = "User" if event.get("type") == "user" else "Assistant"
        self.results.add(message.get("content"))
        for text in _texts(message.get("content")):
            if not _is_noise_text(text):
                self.turns.append((ts, order, role, text.strip()))


def _render(turns: list) -> list[str]:
    """Turns in time order; consecutive turns of one role (one API message split over lines,
    or an assistant's text and tool calls between skipped tool results) become one block."""
    ordered = sorted(turns, key=lambda t: (t[0] is None, t[0] or 0, t[1]))
    blocks: list[tuple[str, list[str]]] = []
    for _, _, role, text in ordered:
        if blocks and blocks[-1][0] == role:
            blocks[-1][1].append(text)
        else:
            blocks.append((role, [text]))
    return [f"{role}: " + "\n".join(parts) for role, parts in blocks]


def split_parts(turns: list[str], max_chars: int) -> list[str]:
    """A long session's turns packed into parts of at most `max_chars`, whole turns where they fit (public: the
    labelled retrieval set's generator, scripts/make_retrieval_set.py, predicts the stored parts with it)."""
    parts: list[str] = []
    current = ""
    for turn in turns:
        while len(turn) > max_chars:  # a single giant turn is cut at character boundaries
            if current:
                parts.append(current)
                current = ""
            parts.append(turn[:max_chars])
            turn = turn[max_chars:]
        candidate = f"{current}\n\n{turn}" if current else turn
        if len(candidate) > max_chars:
            parts.append(current)
            current = turn
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def read_transcripts(root: Path, max_chars: int = 50_000) -> SourceRead:
    root = Path(root)
    if not root.is_dir():
        return SourceRead.unavailable(SOURCE, f"{root}: not a folder")
    return _read_files(root, sorted(root.rglob("*.jsonl")), max_chars)


def iter_transcripts(root: Path, max_chars: int = 50_000, batch_bytes: int = BATCH_BYTES) -> Iterator[SourceRead]:
    """`read_transcripts` in pieces of about `batch_bytes` of files each, so memory does not grow with the
    folder. All files of a session (a resumed session goes on in a new file) are read in the same piece, so
    every piece holds whole sessions and the pieces together hold exactly `read_transcripts`' records and
    rejects (in another order)."""
    root = Path(root)
    if not root.is_dir():
        yield SourceRead.unavailable(SOURCE, f"{root}: not a folder")
        return
    batch: list[Path] = []
    size = 0
    yielded = False
    for group in session_groups(sorted(root.rglob("*.jsonl"))):
        batch += group
        size += sum(file_size(p) for p in group)
        if size >= batch_bytes:
            yield _read_files(root, batch, max_chars)
            yielded = True
            batch, size = [], 0
    if batch or not yielded:
        yield _read_files(root, batch, max_chars)


def _read_files(root: Path, paths: list[Path], max_chars: int) -> SourceRead:
    """The sessions, records and rejects of `paths` (files under `root`, sorted); a session's files must all be there."""
    sessions: dict[str, _Session] = {}
    rejects: list[dict] = []
    titles: dict[str, str] = {}  # file -> its first summary
    order = 0
    for path in paths:
        rel = path.relative_to(root).as_posix()
        try:
            data = path.read_bytes()
        except OSError as exc:
            rejects.append(_reject(rel, "unreadable_file", str(exc)))
            continue
        for lineno, raw in numbered_lines(data):
            line = _judge_line(raw)
            if isinstance(line, Rejected):
                rejects.append(_reject(f"{rel}:{lineno}", line.reason, line.line))
            elif isinstance(line, _Title):
                titles.setdefault(rel, line.text)
            elif line is not None:
                order += 1
                _session_of(sessions, line.event, path, rel).add(line.event, line.ts, order, rel)
    records = [record for session in sessions.values() for record in _session_records(session, titles, max_chars)]
    return SourceRead(SOURCE, records_frame(records), rejects_frame(rejects))


class _Title(NamedTuple):  # a summary line: the title of the session(s) in its file
    text: str


class _Event(NamedTuple):  # a user or assistant line, `ts` its parsed timestamp (None when it has none)
    event: dict
    ts: datetime | None


def _reject(ref: str, reason: str, text: str | bytes) -> dict:
    return dict(source=SOURCE, source_ref=ref, reason=reason, excerpt=excerpt(text))


def _judge_line(raw: bytes) -> _Event | _Title | Rejected | None:
    """What one line is: a conversation event, a title, a reject (a bad line, see the module docstring), or None
    for a blank or noise line (system, meta, sidechain, snapshot...)."""
    parsed = json_object(raw)
    if not isinstance(parsed, JsonObject):
        return parsed
    event, text = parsed
    kind = event.get("type")
    if kind == "summary" and isinstance(event.get("summary"), str):
        return _Title(event["summary"])
    if kind not in ("user", "assistant") or event.get("isMeta") or event.get("isSidechain"):
        return None
    if not isinstance(event.get("message"), dict):
        return Rejected("missing_field:message" if event.get("message") is None else "wrong_type:message", text)
    try:
        return _Event(event, to_utc(event.get("timestamp"), timezone.utc))
    except ValueError:
        return Rejected("bad_timestamp", text)


def _session_of(sessions: dict[str, _Session], event: dict, path: Path, rel: str) -> _Session:
    """The session an event belongs to: its `sessionId` (a resumed session goes on in a new file), else its
    file's name; started, with `rel` as its first file, at its first event."""
    sid = event.get("sessionId") if isinstance(event.get("sessionId"), str) else path.stem
    session = sessions.get(sid)
    if session is None:
        session = sessions[sid] = _Session(sid, rel)
    return session


def _session_records(session: _Session, titles: dict[str, str], max_chars: int) -> list[dict]:
    """A session's conversation records: one, or its parts when longer than `max_chars`; none without turns."""
    turns = _render(session.turns)
    if not turns:
        return []
    sid = session.session_id
    project = Path(session.cwd).name if session.cwd else session.first_ref.split("/")[0]
    parts = split_parts(turns, max_chars)
    records = []
    for index, content in enumerate(parts, start=1):
        key = sid if index == 1 else f"{sid}#part{index}"
        meta = {
            "session_id": sid,
            "files": session.files,
            "cwd": session.cwd,
            "git_branch": session.branch,
            "title": next((titles[f] for f in session.files if f in titles), None),
            "ended_at": max(session.stamps).isoformat() if session.stamps else None,
            "turns": len(turns),
            "part": index,
            "parts": len(parts),
            **session.results.metadata(),
        }
        records.append(
            dict(
                source=SOURCE,
                natural_key=key,
                source_ref=f"{session.first_ref}#{key}",
                kind="conversation",
                project=project,
                started_at=min(session.stamps) if session.stamps else None,
                content=content,
                metadata=json.dumps(meta, ensure_ascii=False),
            )
        )
    return records
