"""The contract between the source readers and the three flows that consume them.

A conversation reader returns a `SourceRead`: a polars frame of raw records (one per conversation,
reflection or insight, in the source's own words) plus a frame of rejected inputs with a reason.
The knowledge-graph and Crackerjack readers return their own frames but reject bad rows into the
same `REJECT_SCHEMA`, so every flow's quarantine looks alike. Readers never raise on bad rows: a bad
row becomes a rejection and the rest is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

RECORD_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.Utf8,  # reflection_db | transcript | inbox
    "natural_key": pl.Utf8,  # the source's own identity of the item (table:id, session id, inbox id)
    "source_ref": pl.Utf8,  # where a person finds it (file, table, line)
    "kind": pl.Utf8,  # conversation | reflection | insight
    "project": pl.Utf8,
    "started_at": pl.Datetime("us", "UTC"),
    "content": pl.Utf8,
    "metadata": pl.Utf8,  # JSON text with source-specific details
}

REJECT_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.Utf8,
    "source_ref": pl.Utf8,
    "reason": pl.Utf8,
    "excerpt": pl.Utf8,
}


def valid_utf8(text: str) -> str:
    """Lone surrogates (JSON `\\ud83d` escapes, Session Buddy's `__SB64__` payloads) become U+FFFD.

    Polars and DuckDB hold only valid UTF-8; one such character would otherwise fail a whole read.
    """
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)


def _frame(rows: list[dict], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame(schema=schema)
    clean = [{k: valid_utf8(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows]
    return pl.DataFrame(clean, schema=schema, orient="row")


def records_frame(rows: list[dict]) -> pl.DataFrame:
    return _frame(rows, RECORD_SCHEMA)


def rejects_frame(rows: list[dict]) -> pl.DataFrame:
    return _frame(rows, REJECT_SCHEMA)


@dataclass
class SourceRead:
    """What one reader found: records, rejections, and human-readable notes (skipped tables, locks...)."""

    source: str
    records: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=RECORD_SCHEMA))
    rejects: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECT_SCHEMA))
    notes: list[str] = field(default_factory=list)
    available: bool = True  # False when the source could not be read at all (missing, corrupt, locked)

    @classmethod
    def unavailable(cls, source: str, note: str) -> "SourceRead":
        return cls(source=source, notes=[note], available=False)

    @staticmethod
    def concat(reads: list["SourceRead"]) -> tuple[pl.DataFrame, pl.DataFrame]:
        records = pl.concat([r.records for r in reads]) if reads else pl.DataFrame(schema=RECORD_SCHEMA)
        rejects = pl.concat([r.rejects for r in reads]) if reads else pl.DataFrame(schema=REJECT_SCHEMA)
        return records, rejects
