"""Claude Code transcripts: `<projects>/<project-slug>/<session-uuid>.jsonl`.

Each line is one event. A conversation is a *session* (the `sessionId` on the lines, not the file
name: a resumed session copies its history into a new file, so lines are grouped by sessionId and
de-duplicated by their `uuid`). Kept: user and assistant text, and a one-line form of each tool
call. Skipped as noise: summaries (kept as the title), file-history snapshots, system lines, meta
lines (slash-command caveats), sidechain (sub-agent) lines, thinking blocks and tool results.
A bad line (invalid UTF-8, malformed or truncated JSON, not an object; a user or assistant line whose
`message` is missing or not an object, or whose `timestamp` is present but does not parse) is rejected
alone. A UTF-8 BOM at the start of a file and CRLF line ends are allowed.
Sessions longer than `max_chars` are split at turn boundaries into parts, so nothing is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timezone
from pathlib import Path

from sb_pipeline.records import redact
from sb_pipeline.records import SourceRead, excerpt, records_frame, rejects_frame
from sb_pipeline.sources.timestamps import to_utc
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


def _split(turns: list[str], max_chars: int) -> list[str]:
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
    titles: dict[str, str] = {}
    order = 0
    for path in paths:
        rel = path.relative_to(root).as_posix()
        try:
            data = path.read_bytes()
        except OSError as exc:
            rejects.append(dict(source=SOURCE, source_ref=rel, reason="unreadable_file", excerpt=excerpt(str(exc))))
            continue
        if data.startswith(b"\xef\xbb\xbf"):  # a BOM (an editor's save) would make line 1 malformed
            data = data[3:]
        for lineno, raw in enumerate(data.split(b"\n"), start=1):
            ref = f"{rel}:{lineno}"
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                rejects.append(dict(source=SOURCE, source_ref=ref, reason="invalid_utf8", excerpt=excerpt(raw)))
                continue
            try:
                event = json.loads(text)
            except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
                rejects.append(dict(source=SOURCE, source_ref=ref, reason="malformed_json", excerpt=excerpt(text)))
                continue
            if not isinstance(event, dict):
                rejects.append(dict(source=SOURCE, source_ref=ref, reason="not_an_object", excerpt=excerpt(text)))
                continue
            kind = event.get("type")
            if kind == "summary" and isinstance(event.get("summary"), str):
                titles.setdefault(rel, event["summary"])
                continue
            if kind not in ("user", "assistant") or event.get("isMeta") or event.get("isSidechain"):
                continue
            if not isinstance(event.get("message"), dict):
                reason = "missing_field:message" if event.get("message") is None else "wrong_type:message"
                rejects.append(dict(source=SOURCE, source_ref=ref, reason=reason, excerpt=excerpt(text)))
                continue
            try:
                ts = to_utc(event.get("timestamp"), timezone.utc)
            except ValueError:
                rejects.append(dict(source=SOURCE, source_ref=ref, reason="bad_timestamp", excerpt=excerpt(text)))
                continue
            sid = event.get("sessionId") if isinstance(event.get("sessionId"), str) else path.stem
            session = sessions.get(sid)
            if session is None:
                session = sessions[sid] = _Session(sid, rel)
            order += 1
            session.add(event, ts, order, rel)
    records = []
    for sid, session in sessions.items():
        turns = _render(session.turns)
        if not turns:
            continue
        project = Path(session.cwd).name if session.cwd else session.first_ref.split("/")[0]
        parts = _split(turns, max_chars)
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
    return SourceRead(SOURCE, records_frame(records), rejects_frame(rejects))
