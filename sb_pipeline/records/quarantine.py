"""What a rejected input leaves behind: a short, printable, redacted excerpt and a reason.

Every flow quarantines its bad inputs in `rejected_records` the same way, so a user reads one table
to learn what was not kept and why, whichever source it came from.
"""

from __future__ import annotations

import polars as pl

from sb_pipeline.records.frames import valid_utf8
from sb_pipeline.records.redaction import redact

EXCERPT_CHARS = 200


def excerpt(text: str | bytes | None) -> str:
    """A short, printable excerpt of a bad input for the quarantine table, secrets redacted.

    Redaction runs on a wider window *before* the cut: a key cut in half at the 200th character would
    be too short for any rule to recognise, and half a key is still a leak."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text[: EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    window = valid_utf8(text[: EXCERPT_CHARS * 4].replace("\x00", "\\0"))
    return redact(window).text[:EXCERPT_CHARS]


def quarantine_frame(rejects: pl.DataFrame) -> pl.DataFrame:
    """Rejected inputs as they are stored: excerpts redacted too (a bad line can hold a key)."""
    if rejects.height == 0:
        return rejects
    return rejects.with_columns(pl.col("excerpt").map_elements(lambda t: redact(t or "").text, return_dtype=pl.Utf8))
