"""From raw source records to the rows of the `conversations` table.

Order matters: text is cleaned (NUL bytes, lone surrogates, CRLF), secrets are redacted, and
only then is anything hashed, filtered or stored, so no secret reaches the warehouse or the
embedder. The metadata's string values (a transcript's title, cwd and git branch, an inbox id) are
redacted too: they are stored next to the content. `conversation_id` hashes where an item comes
from (source + the source's own key: a Claude Code session id, a table and row id, an inbox id), so
a growing session keeps its id; `content_hash` hashes the redacted text and collapses exact copies
across sources and eras.
Two different texts under one `conversation_id` (a source key reused with other content: a table
without a primary key, ids differing only in invalid characters, a session id that looks like a
`#part2` key) cannot both be stored: the earliest is kept and each other one is rejected as
`duplicate_id`, never dropped silently.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl

from sb_pipeline.records import REJECT_SCHEMA, excerpt, redact, redact_json

SOURCE_PRIORITY = {"reflection_db": 0, "transcript": 1, "inbox": 2}
DEFAULT_MIN_CHARS = 50
DEFAULT_MAX_CHARS = 50_000


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def conversation_id(source: str, natural_key: str) -> str:
    return sha256_hex(f"{source}\x1f{natural_key}")[:32]


def clean_text(text: str) -> str:
    """Text every later step can store and hash: no NUL, LF line ends, no outer whitespace.
    (Lone surrogates never get this far: `records.records_frame` replaces them on the way into polars.)"""
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()


@dataclass
class PreparedRows:
    """One batch's rows, prepared one by one (copies and id clashes are decided later, over every batch)."""

    conversations: pl.DataFrame
    rejects: pl.DataFrame
    secrets_redacted: int = 0


def prepare_rows(records: pl.DataFrame, min_chars: int = DEFAULT_MIN_CHARS, max_chars: int = DEFAULT_MAX_CHARS) -> PreparedRows:
    """Clean, redact, apply the length limits, compute ids and hashes: no row depends on another, so records
    may come in batches; `collapse` then runs once over all of them (see `ingest.py`)."""
    kept: list[dict] = []
    rejects: list[dict] = []
    secrets = 0
    for row in records.iter_rows(named=True):
        text = clean_text(row["content"] or "")
        red = redact(text)
        text = red.text
        reason = None
        if not text:
            reason = "empty_content"
        elif len(text) < min_chars:
            reason = "too_short"
        elif len(text) > max_chars:
            reason = "too_long"
        if reason:
            rejects.append(dict(source=row["source"], source_ref=row["source_ref"], reason=reason, excerpt=excerpt(text)))
            continue
        secrets += red.count
        kept.append(
            {
                **row,
                "metadata": redact_json(row["metadata"]),
                "content": text,
                "conversation_id": conversation_id(row["source"], row["natural_key"]),
                "content_hash": sha256_hex(text),
                "char_count": len(text),
                "secrets_redacted": red.count,
            }
        )
    frame = pl.DataFrame(kept, schema={**records.schema, "conversation_id": pl.Utf8, "content_hash": pl.Utf8, "char_count": pl.Int64, "secrets_redacted": pl.Int64}) if kept else _empty(records)
    reject_frame = pl.DataFrame(rejects, schema=REJECT_SCHEMA, orient="row") if rejects else pl.DataFrame(schema=REJECT_SCHEMA)
    return PreparedRows(frame, reject_frame, secrets_redacted=secrets)


def collapse(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Across all prepared rows: the earliest copy of each content is kept (by started_at, then source
    priority, then source_ref, then input order), then the earliest row of each conversation_id.
    Returns (kept, id clashes, exact copies dropped). Reads only conversation_id, content_hash, started_at,
    source and source_ref, so a frame of those keys alone (plus any columns of the caller's) will do."""
    before = frame.height
    frame = (
        frame.with_columns(pl.col("source").replace_strict(SOURCE_PRIORITY, default=9).alias("_priority"))
        .sort(["started_at", "_priority", "source_ref"], nulls_last=True, maintain_order=True)
        .unique(subset="content_hash", keep="first", maintain_order=True)
        .drop("_priority")
    )
    copies = before - frame.height  # exact copies: counted as skipped duplicates
    clash = frame.select(~pl.col("conversation_id").is_first_distinct()).to_series()
    return frame.filter(~clash), frame.filter(clash), copies


def duplicate_id_rejects(clashes: pl.DataFrame) -> pl.DataFrame:
    """The `duplicate_id` rejects of `collapse`'s id clashes (rows with source, source_ref and content)."""
    rows = [dict(source=r["source"], source_ref=r["source_ref"], reason="duplicate_id", excerpt=excerpt(r["content"]))
            for r in clashes.select("source", "source_ref", "content").iter_rows(named=True)]
    return pl.DataFrame(rows, schema=REJECT_SCHEMA, orient="row") if rows else pl.DataFrame(schema=REJECT_SCHEMA)


def _empty(records: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame(schema={**records.schema, "conversation_id": pl.Utf8, "content_hash": pl.Utf8, "char_count": pl.Int64, "secrets_redacted": pl.Int64})
