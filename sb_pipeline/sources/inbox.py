"""The inbox: a drop folder of JSONL files any tool can write to.

One JSON object per line: `{"id": str, "project": str, "timestamp": ISO 8601, "content": str}`.
`content` is required; `id` is the tool's own identity for the item (without it the content is
the identity); `project` and `timestamp` are optional, but a timestamp that is present must parse.
Files are read as UTF-8 (a BOM is allowed), CRLF or LF. A second line reusing an id with other
content is rejected (`duplicate_id`); the same id with the same content is one item. An `id` must be
a string or an integer (else `wrong_type:id`); an empty or blank one counts as no id. Blank lines are
skipped, every other line is kept, merged into an earlier identical item, or rejected with a reason.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import NamedTuple

from sb_pipeline.records import (JsonObject, Rejected, SourceRead, excerpt, json_object, numbered_lines, records_frame,
                                 rejects_frame, valid_utf8)
from sb_pipeline.sources.timestamps import to_utc

SOURCE = "inbox"
BATCH_ROWS = 2_000  # iter_inbox: items (and rejected lines) held in memory at once


def _reject(rejects: list, ref: str, reason: str, text: object) -> None:
    rejects.append(dict(source=SOURCE, source_ref=ref, reason=reason, excerpt=excerpt(text if isinstance(text, (str, bytes)) else str(text))))


def read_inbox(root: Path, naive_tz: tzinfo = timezone.utc) -> SourceRead:
    reads = list(iter_inbox(root, naive_tz))
    if not reads[0].available:
        return reads[0]
    records, rejects = SourceRead.concat(reads)
    return SourceRead(SOURCE, records, rejects)


def iter_inbox(root: Path, naive_tz: tzinfo = timezone.utc, batch_rows: int = BATCH_ROWS) -> Iterator[SourceRead]:
    """`read_inbox` in pieces of at most `batch_rows` items and rejected lines, so memory does not grow with the
    inbox (beyond one file's bytes and the ids seen); ids are checked across pieces. At least one piece."""
    root = Path(root)
    if not root.is_dir():
        yield SourceRead.unavailable(SOURCE, f"{root}: not a folder")
        return
    records: list[dict] = []
    rejects: list[dict] = []
    seen: dict[str, str] = {}  # id -> content hash
    for path in sorted(root.glob("*.jsonl")):
        rel = path.name
        try:
            data = path.read_bytes()
        except OSError as exc:
            _reject(rejects, rel, "unreadable_file", str(exc))
            continue
        for lineno, raw in numbered_lines(data):
            if len(records) + len(rejects) >= batch_rows:
                yield SourceRead(SOURCE, records_frame(records), rejects_frame(rejects))
                records, rejects = [], []
            ref = f"{rel}:{lineno}"
            item = _judge_line(raw, naive_tz, seen)
            if isinstance(item, Rejected):
                _reject(rejects, ref, item.reason, item.line)
            elif item is not None:
                records.append(_record(item, ref, rel, lineno))
    yield SourceRead(SOURCE, records_frame(records), rejects_frame(rejects))


class _Item(NamedTuple):
    """A valid line's fields; `key` is its identity (the id, else the content's hash)."""

    key: str
    content_hash: str
    content: str
    item_id: str | int | None
    project: str | None
    started_at: datetime | None
    text: str  # the line


def _judge_line(raw: bytes, naive_tz: tzinfo, seen: dict[str, str]) -> _Item | Rejected | None:
    """One line: an item to keep, a reject, or None (a blank line, or an item already kept with the same id and
    content). A kept item's identity goes into `seen`, so a later line reusing its id with other content is a
    `duplicate_id` even in another file or piece."""
    item = _parse_line(raw, naive_tz)
    if not isinstance(item, _Item):
        return item
    if item.key in seen:
        return Rejected("duplicate_id", item.text) if seen[item.key] != item.content_hash else None
    seen[item.key] = item.content_hash
    return item


def _parse_line(raw: bytes, naive_tz: tzinfo) -> _Item | Rejected | None:
    """The line's fields, a reject with the first thing wrong with it (see the module docstring), or None if blank."""
    parsed = json_object(raw)
    if not isinstance(parsed, JsonObject):
        return parsed
    item, text = parsed
    if "content" not in item or item["content"] is None:
        return Rejected("missing_field:content", text)
    content = item["content"]
    if not isinstance(content, str):
        return Rejected("wrong_type:content", text)
    item_id = item.get("id")
    if item_id is not None and (isinstance(item_id, bool) or not isinstance(item_id, (str, int))):
        return Rejected("wrong_type:id", text)
    project = item.get("project")
    if project is not None and not isinstance(project, str):
        return Rejected("wrong_type:project", text)
    try:
        started_at = to_utc(item.get("timestamp"), naive_tz)
    except ValueError:
        return Rejected("bad_timestamp", text)
    content_hash = hashlib.sha256(content.encode("utf-8", errors="surrogatepass")).hexdigest()
    # valid_utf8: two ids differing only in lone surrogates are one key once stored
    key = valid_utf8(str(item_id)) if item_id is not None and str(item_id).strip() else f"sha256:{content_hash}"
    return _Item(key, content_hash, content, item_id, project, started_at, text)


def _record(item: _Item, ref: str, rel: str, lineno: int) -> dict:
    return dict(
        source=SOURCE,
        natural_key=item.key,
        source_ref=ref,
        kind="conversation",
        project=item.project or None,
        started_at=item.started_at,
        content=item.content,
        metadata=json.dumps({"file": rel, "line": lineno, "id": item.item_id}),
    )
