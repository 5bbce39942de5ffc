"""Session Buddy's `crackerjack_integration.db` (SQLite), read from a private copy.

The file is copied with `snapshot_copy` (plus SQLite's `-wal` side file, which holds committed but not
yet checkpointed writes) and the copy is opened read-only (`mode=ro` URI); the source is never written.
Tables and columns are discovered with `PRAGMA table_info`; a missing table gives a note and an empty
frame, a missing or corrupt file gives `available=False` with a note, never an exception.

Frames are raw (the source's own values and column names); `sb_pipeline.quality.normalise` turns them
into runs and metric points. Columns are typed from the declared SQLite type (INTEGER -> Int64,
REAL -> Float64, anything else -> Utf8 text); a stored value that does not fit its declared type (SQLite is
dynamically typed) becomes null and is counted in a note. The large `stdout`/`stderr` columns are not read.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from sb_pipeline.records import valid_utf8
from sb_pipeline.sources.snapshot import snapshot_copy

SOURCE = "crackerjack"
TABLES = ("crackerjack_results", "quality_metrics_history", "test_results", "progress_snapshots")
SKIP_COLUMNS = {"crackerjack_results": {"stdout", "stderr"}}


@dataclass
class CrackerjackRead:
    """Raw frames of one crackerjack_integration.db, its discovered columns and notes."""

    path: str
    results: pl.DataFrame = field(default_factory=pl.DataFrame)
    metrics: pl.DataFrame = field(default_factory=pl.DataFrame)
    test_results: pl.DataFrame = field(default_factory=pl.DataFrame)
    progress_snapshots: pl.DataFrame = field(default_factory=pl.DataFrame)
    columns: dict[str, list[str]] = field(default_factory=dict)  # table -> discovered columns (all tables in the file)
    notes: list[str] = field(default_factory=list)
    available: bool = True
    source: str = SOURCE

    @classmethod
    def unavailable(cls, path: Path | str, note: str) -> "CrackerjackRead":
        return cls(path=str(path), notes=[note], available=False)

    def frame(self, table: str) -> pl.DataFrame:
        return {"crackerjack_results": self.results, "quality_metrics_history": self.metrics,
                "test_results": self.test_results, "progress_snapshots": self.progress_snapshots}[table]


def _dtype(declared: str) -> pl.DataType:
    d = (declared or "").upper()
    if "INT" in d:
        return pl.Int64
    if any(k in d for k in ("REAL", "FLOA", "DOUB")):
        return pl.Float64
    return pl.Utf8


def _coerce(value: object, dtype: pl.DataType) -> tuple[object, bool]:
    """(value in dtype, ok). Bad values become None (ok=False)."""
    if value is None:
        return None, True
    try:
        if dtype == pl.Int64:
            if isinstance(value, float) and not value.is_integer():
                return None, False
            number = int(value)  # SQLite stores '1e30' in an INTEGER column as REAL 1e30: beyond Int64
            return (number, True) if -(2**63) <= number < 2**63 else (None, False)
        if dtype == pl.Float64:
            if isinstance(value, (bytes, str)) and not str(value).strip():
                return None, False
            return float(value), True
    except (TypeError, ValueError, OverflowError):
        return None, False
    if isinstance(value, bytes):
        return valid_utf8(value.decode("utf-8", errors="replace")), True
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value), True
    return valid_utf8(str(value)), True


def quote_identifier(name: str) -> str:
    """An SQL identifier in double quotes, embedded quotes doubled (SQL standard, SQLite and DuckDB):
    a column named `a"b` or `x"; DROP TABLE t; --` stays one identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def _read_table(conn: sqlite3.Connection, table: str, info: list[tuple], notes: list[str]) -> pl.DataFrame:
    cols = [(name, _dtype(decl)) for _, name, decl, *_ in info if name not in SKIP_COLUMNS.get(table, set())]
    schema = {name: dtype for name, dtype in cols}
    select = ", ".join(quote_identifier(name) for name, _ in cols)
    rows, bad = [], 0
    # `table` is one of our constant TABLES; the column names come from the file's catalogue and are
    # quoted with quote_identifier (identifiers cannot be `?` parameters). Values are never formatted in.
    for values in conn.execute(f"SELECT {select} FROM {quote_identifier(table)}"):
        row = []
        for (name, dtype), value in zip(cols, values):
            v, ok = _coerce(value, dtype)
            bad += not ok
            row.append(v)
        rows.append(row)
    if bad:
        notes.append(f"{table}: {bad} value(s) did not match their declared column type and were read as null")
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame(rows, schema=schema, orient="row")


def read_crackerjack(path: Path | str, snapshot_root: Path | str) -> CrackerjackRead:
    """Read the four Crackerjack tables from a snapshot copy of `path`; never raises for a bad file."""
    path = Path(path)
    if not path.is_file():
        return CrackerjackRead.unavailable(path, f"{path}: not found")
    try:
        with snapshot_copy(path, Path(snapshot_root)) as (copy, stable):
            out = CrackerjackRead(path=str(path))
            if not stable:
                out.notes.append(f"{path}: changed while being copied; read the last copy")
            conn = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
            try:
                names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
                # A table name is source text (a file may hold a table named `x"; DROP ...`): it is bound
                # as a parameter of the pragma_table_info table function, never formatted into SQL.
                infos = {name: conn.execute("SELECT cid, name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?)",
                                            [name]).fetchall() for name in names}
                out.columns = {name: [c[1] for c in info] for name, info in infos.items()}
                frames = {}
                for table in TABLES:
                    if table not in infos:
                        out.notes.append(f"{path}: table {table} missing; read as empty")
                        frames[table] = pl.DataFrame()
                        continue
                    try:
                        frames[table] = _read_table(conn, table, infos[table], out.notes)
                    except sqlite3.Error as exc:
                        out.notes.append(f"{path}: {table} unreadable ({type(exc).__name__}: {str(exc)[:200]})")
                        frames[table] = pl.DataFrame()
            finally:
                conn.close()
    except (sqlite3.Error, OSError) as exc:
        return CrackerjackRead.unavailable(path, f"{path}: cannot open ({type(exc).__name__}: {str(exc)[:200]})")
    out.results = frames["crackerjack_results"]
    out.metrics = frames["quality_metrics_history"]
    out.test_results = frames["test_results"]
    out.progress_snapshots = frames["progress_snapshots"]
    return out
