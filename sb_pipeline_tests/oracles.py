"""Reference implementations the tests compare the streaming code with (not used by the pipeline).

`prepare_all` prepares records all at once, in memory: the row-by-row preparation and the collapse of
copies and id clashes over every row, as the ingest does across its spool files. A streamed ingest must
store exactly what this gives for the same input."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from sb_pipeline.conversations.prepare import DEFAULT_MAX_CHARS, DEFAULT_MIN_CHARS, collapse, duplicate_id_rejects, prepare_rows


@dataclass
class Prepared:
    conversations: pl.DataFrame
    rejects: pl.DataFrame
    duplicates: int
    secrets_redacted: int

    @property
    def rejected_by_reason(self) -> dict[str, int]:
        return dict(self.rejects.group_by("reason").len().iter_rows()) if self.rejects.height else {}


def prepare_all(records: pl.DataFrame, min_chars: int = DEFAULT_MIN_CHARS, max_chars: int = DEFAULT_MAX_CHARS) -> Prepared:
    rows = prepare_rows(records, min_chars, max_chars)
    kept, clashes, copies = collapse(rows.conversations)
    return Prepared(kept, pl.concat([rows.rejects, duplicate_id_rejects(clashes)]), copies, rows.secrets_redacted)
