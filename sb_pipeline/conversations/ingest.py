"""Ingest: source batches in, the `conversations` table and the quarantine updated, counts out.

Why three passes: a user's history can be larger than memory, but whether a row is kept depends on
every other row (an exact copy anywhere keeps only its earliest instance; two texts under one
conversation id keep the earliest and reject the other). So:

1. `spool_sources` reads the sources a batch at a time and prepares each row on its own (clean,
   redact, length limits, ids, hashes: `prepare.prepare_rows`); the rows go to private spool files,
   only their keys stay in memory.
2. Over the keys of every row at once, `prepare.collapse` decides copies and id clashes.
3. `Spool.write` upserts the kept rows a spool file per transaction, so neither Python nor DuckDB
   holds all the text at once, and quarantines every reject.

The sources are read before any warehouse connection is opened: the one-writer lock is held for the
writes only. Nothing here knows Dagster; the `raw_conversations` asset is the wiring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from sb_pipeline.conversations.prepare import DEFAULT_MAX_CHARS, DEFAULT_MIN_CHARS, collapse, duplicate_id_rejects, prepare_rows
from sb_pipeline.records import REJECT_SCHEMA, SourceRead, quarantine_frame
from sb_pipeline.warehouse import conversations as store
from sb_pipeline.warehouse.rejects import record_rejects

_KEYS = ["conversation_id", "content_hash", "started_at", "source", "source_ref", "_seq"]


@dataclass
class SourceTally:
    """What was read, per source, before anything was decided."""

    read: int = 0  # records the readers returned
    seen: int = 0  # records plus the inputs the readers themselves rejected
    per_source: dict[str, int] = field(default_factory=dict)
    unavailable: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    secrets_redacted: int = 0

    def add(self, read: SourceRead) -> None:
        self.notes.setdefault(read.source, []).extend(read.notes)  # e.g. a table skipped for a missing column
        if not read.available:
            self.unavailable[read.source] = read.notes
        self.per_source[read.source] = self.per_source.get(read.source, 0) + read.records.height
        self.read += read.records.height
        self.seen += read.records.height + read.rejects.height


@dataclass
class IngestCounts:
    """The fate of every input: new / updated / unchanged rows, copies skipped, rejects (new to the quarantine)."""

    new: int
    updated: int
    unchanged: int
    skipped_duplicates: int
    rejects: pl.DataFrame
    rejected_new: int

    @property
    def rejected_by_reason(self) -> dict[str, int]:
        return dict(sorted(self.rejects.group_by("reason").len().iter_rows())) if self.rejects.height else {}


@dataclass
class Spool:
    """Prepared rows in spool files, the keys of those to keep and every reject, ready to be written."""

    files: list[Path]
    kept: pl.DataFrame  # the keys (_KEYS) of the rows to write, in collapse's order
    rejects: pl.DataFrame  # quarantine-ready (REJECT_SCHEMA, excerpts redacted)
    copies: int  # exact copies dropped in collapse
    tally: SourceTally

    def kept_rows(self) -> pl.DataFrame:
        """Every kept row with all its columns, in one frame (for small inputs and tests)."""
        return _spooled_all(self.files, self.kept["_seq"])

    def write(self, conn: duckdb.DuckDBPyConnection, now: datetime) -> IngestCounts:
        """Upsert the kept rows (a spool file per transaction) and quarantine the rejects."""
        counts = store.upsert_conversation_batches(conn, self.kept, (_spooled(path, self.kept["_seq"]) for path in self.files), now)
        new_rejects = record_rejects(conn, self.rejects, now)
        return IngestCounts(new=counts["new"], updated=counts["updated"], unchanged=counts["unchanged"],
                            skipped_duplicates=self.copies + counts["duplicate"], rejects=self.rejects, rejected_new=new_rejects)


def spool_sources(batches: Iterable[SourceRead], spool_dir: Path, min_chars: int = DEFAULT_MIN_CHARS,
                  max_chars: int = DEFAULT_MAX_CHARS, on_batch: Callable[[SourceRead], None] | None = None) -> Spool:
    """Passes 1 and 2: prepare every batch into `spool_dir` (which the caller owns and deletes), then decide
    copies and id clashes over all rows' keys. `on_batch` sees each batch as it is read (for logging)."""
    tally = SourceTally()
    files: list[Path] = []
    keys: list[pl.DataFrame] = []
    rejects: list[pl.DataFrame] = []
    offset = 0  # _seq: each prepared row's place in the input, which collapse's order falls back on
    for read in batches:
        if on_batch is not None:
            on_batch(read)
        tally.add(read)
        rows = prepare_rows(read.records, min_chars, max_chars)
        rejects += [read.rejects, rows.rejects]
        tally.secrets_redacted += rows.secrets_redacted
        frame = rows.conversations.with_columns(pl.int_range(offset, offset + rows.conversations.height, dtype=pl.Int64).alias("_seq"))
        offset += frame.height
        files.append(spool_dir / f"{len(files):06d}.arrow")
        frame.write_ipc(files[-1])
        keys.append(frame.select(_KEYS))
    if not files:
        return Spool([], _no_keys(), pl.DataFrame(schema=REJECT_SCHEMA), 0, tally)
    kept, clashes, copies = collapse(pl.concat(keys))
    clash_rows = clashes.select("_seq").join(_spooled_all(files, clashes["_seq"]), on="_seq", how="left", maintain_order="left")
    quarantined = quarantine_frame(pl.concat([*rejects, duplicate_id_rejects(clash_rows)]))
    return Spool(files, kept, quarantined, copies, tally)


def _spooled(path: Path, seqs: pl.Series) -> pl.DataFrame:
    """The rows of one spool file whose `_seq` is in `seqs`."""
    return pl.scan_ipc(path).filter(pl.col("_seq").is_in(seqs.implode())).collect()


def _spooled_all(files: list[Path], seqs: pl.Series) -> pl.DataFrame:
    return pl.concat([_spooled(path, seqs) for path in files])


def _no_keys() -> pl.DataFrame:
    return pl.DataFrame(schema={"conversation_id": pl.Utf8, "content_hash": pl.Utf8, "started_at": pl.Datetime("us", "UTC"),
                                "source": pl.Utf8, "source_ref": pl.Utf8, "_seq": pl.Int64})
