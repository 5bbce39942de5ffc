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
from datetime import timezone, tzinfo
from pathlib import Path

from sb_pipeline.records import SourceRead, excerpt, records_frame, rejects_frame, valid_utf8
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
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        for lineno, raw in enumerate(data.split(b"\n"), start=1):
            if len(records) + len(rejects) >= batch_rows:
                yield SourceRead(SOURCE, records_frame(records), rejects_frame(rejects))
                records, rejects = [], []
            ref = f"{rel}:{lineno}"
            raw = raw.rstrip(b"\r")
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                _reject(rejects, ref, "invalid_utf8", raw)
                continue
            try:
                item = json.loads(text)
            except (ValueError, RecursionError):
                _reject(rejects, ref, "malformed_json", text)
                continue
            if not isinstance(item, dict):
                _reject(rejects, ref, "not_an_object", text)
                continue
            if "content" not in item or item["content"] is None:
                _reject(rejects, ref, "missing_field:content", text)
                continue
            content = item["content"]
            if not isinstance(content, str):
                _reject(rejects, ref, "wrong_type:content", text)
                continue
            item_id = item.get("id")
            if item_id is not None and (isinstance(item_id, bool) or not isinstance(item_id, (str, int))):
                _reject(rejects, ref, "wrong_type:id", text)
                continue
            project = item.get("project")
            if project is not None and not isinstance(project, str):
                _reject(rejects, ref, "wrong_type:project", text)
                continue
            try:
                started_at = to_utc(item.get("timestamp"), naive_tz)
            except ValueError:
                _reject(rejects, ref, "bad_timestamp", text)
                continue
            content_hash = hashlib.sha256(content.encode("utf-8", errors="surrogatepass")).hexdigest()
            # valid_utf8: two ids differing only in lone surrogates are one key once stored
            key = valid_utf8(str(item_id)) if item_id is not None and str(item_id).strip() else f"sha256:{content_hash}"
            if key in seen:
                if seen[key] != content_hash:
                    _reject(rejects, ref, "duplicate_id", text)
                continue
            seen[key] = content_hash
            records.append(
                dict(
                    source=SOURCE,
                    natural_key=key,
                    source_ref=ref,
                    kind="conversation",
                    project=project or None,
                    started_at=started_at,
                    content=content,
                    metadata=json.dumps({"file": rel, "line": lineno, "id": item_id}),
                )
            )
    yield SourceRead(SOURCE, records_frame(records), rejects_frame(rejects))
