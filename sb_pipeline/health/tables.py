"""Tables, row counts, vector coverage and newest timestamps of one database, read from a private copy.

Why a copy even for a count: the user's file may be held read-write by a running Session Buddy server
(DuckDB then refuses every other process) and must never be written, not even by a WAL replay. The copy
(with its write-ahead log, see `sources.snapshot.snapshot_copy`) is opened read-write, so committed writes
still in the log are counted, and deleted afterwards. DuckDB copies are opened with extension auto-loading
off: a health check never reaches for the network.

One query per table (count, vectors, max of every temporal column), identifiers from the file's own
catalogue, quoted; no user text ever reaches SQL. A table that fails is reported with its error and the
others are still read.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path

from sb_pipeline.health.report import TableInfo
from sb_pipeline.sources.snapshot import snapshot_copy
from sb_pipeline.sources.timestamps import to_utc

_VECTOR_NAMES = ("embedding",)
_TIME_NAMES = ("timestamp", "start_time", "end_time", "access_timestamp")


@dataclass
class Inspection:
    tables: list[TableInfo] = field(default_factory=list)
    error: str | None = None            # the database could not be opened or listed at all
    stable: bool = True                 # False: the file kept changing while it was copied


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _short(exc: Exception) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def _newest(values, convert) -> datetime | None:
    best = None
    for value in values:
        try:
            moment = convert(value)
        except (ValueError, TypeError, OverflowError):
            continue  # one odd column does not hide the others
        if moment is not None and (best is None or moment > best):
            best = moment
    return best


def _measure(run, table: str, columns: list[tuple[str, str]], dialect: "_Dialect", naive_tz: tzinfo) -> TableInfo:
    """Count rows, vectors and the newest timestamp of `table` with one query through `run(sql) -> row`."""
    info = TableInfo(name=table, columns=[c for c, _ in columns])
    vector = next((c for c, _ in columns if c.lower() in _VECTOR_NAMES), None)
    times = [c for c, t in columns if dialect.is_time(c, t)]
    parts = ["count(*)"] + ([f"count({_quote(vector)})"] if vector else []) + [dialect.newest_sql(_quote(c)) for c in times]
    try:
        row = run(f"SELECT {', '.join(parts)} FROM {_quote(table)}")
    except Exception as exc:  # noqa: BLE001  (any engine error: report it, read the next table)
        info.error = _short(exc)
        return info
    info.rows = int(row[0])
    if vector:
        info.vector_column, info.with_vectors = vector, int(row[1])
    info.newest = _newest(row[1 + bool(vector):], lambda v: dialect.convert(v, naive_tz))
    return info


@dataclass(frozen=True)
class _Dialect:
    is_time: Callable[[str, str], bool]                       # (column name, declared type) -> is it a timestamp?
    newest_sql: Callable[[str], str]                          # quoted column -> aggregate giving its newest plausible value
    convert: Callable[[object, tzinfo], datetime | None]      # that value -> aware UTC datetime


def _duckdb_is_time(name: str, declared: str) -> bool:
    declared = declared.upper()
    return declared.startswith("TIMESTAMP") or declared == "DATE"


def _sqlite_is_time(name: str, declared: str) -> bool:
    declared, low = declared.upper(), name.lower()
    return "TIME" in declared or "DATE" in declared or low in _TIME_NAMES or low.endswith("_at")


# Plausible instants only: 'infinity', year 9999 or a planted '2026-13-45' must not pass for the newest row.
_LOW, _HIGH = "1990-01-01", "2200-01-01"
_JD_LOW, _JD_HIGH, _JD_EPOCH = 2447892.5, 2524593.5, 2440587.5   # julian days of _LOW, _HIGH and 1970-01-01


def _sqlite_newest(q: str) -> str:
    """SQLite keeps timestamps as text, with 'T' or ' ', with or without an offset; julianday() reads every such
    form (offsets applied, naive taken as UTC) and is NULL for garbage, so max() skips it."""
    return f"max(CASE WHEN typeof({q}) = 'text' AND julianday({q}) BETWEEN {_JD_LOW} AND {_JD_HIGH} THEN julianday({q}) END)"


def _from_julian(value, naive_tz: tzinfo) -> datetime | None:
    if value is None:
        return None
    millis = round((float(value) - _JD_EPOCH) * 86_400_000)  # a julian day as a float is exact to ~20 us: round, never truncate
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=millis)


DUCKDB = _Dialect(_duckdb_is_time, lambda q: f"max({q}) FILTER (WHERE {q} BETWEEN '{_LOW}' AND '{_HIGH}')", to_utc)
SQLITE = _Dialect(_sqlite_is_time, _sqlite_newest, _from_julian)


def duckdb_tables(conn, naive_tz: tzinfo) -> list[TableInfo]:
    """Every base table of `main` in an open DuckDB connection, measured (shared with the warehouse check)."""
    rows = conn.execute(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE c.table_schema = 'main' AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position"
    ).fetchall()
    by_table: dict[str, list[tuple[str, str]]] = {}
    for table, column, declared in rows:
        by_table.setdefault(table, []).append((column, declared or ""))
    run = lambda sql: conn.execute(sql).fetchall()[0]  # noqa: E731
    return [_measure(run, t, cols, DUCKDB, naive_tz) for t, cols in sorted(by_table.items())]


def _inspect_duckdb(copy: Path, naive_tz: tzinfo) -> Inspection:
    import duckdb

    config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    try:
        conn = duckdb.connect(str(copy), config=config)
    except Exception as exc:  # noqa: BLE001  (IOException, corrupt file, newer storage version, ...)
        return Inspection(error=_short(exc))
    try:
        try:
            conn.execute("SET TimeZone = 'UTC'")
        except duckdb.Error:
            pass
        return Inspection(tables=duckdb_tables(conn, naive_tz))
    except Exception as exc:  # noqa: BLE001
        return Inspection(error=_short(exc))
    finally:
        conn.close()


def _inspect_sqlite(copy: Path, naive_tz: tzinfo) -> Inspection:
    try:
        conn = sqlite3.connect(str(copy))
    except sqlite3.Error as exc:
        return Inspection(error=_short(exc))
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()]
        tables = []
        for name in names:
            try:
                cols = [(r[1], r[2] or "") for r in conn.execute(f"PRAGMA table_info({_quote(name)})").fetchall()]
            except sqlite3.Error as exc:
                tables.append(TableInfo(name=name, error=_short(exc)))
                continue
            tables.append(_measure(lambda sql: conn.execute(sql).fetchone(), name, cols, SQLITE, naive_tz))
        return Inspection(tables=tables)
    except Exception as exc:  # noqa: BLE001  (malformed image, not a database, ...)
        return Inspection(error=_short(exc))
    finally:
        conn.close()


def inspect_database(path: Path, engine: str, snapshot_root: Path, naive_tz: tzinfo) -> Inspection:
    """Inspect a DuckDB or SQLite file (engine from its header) through a snapshot copy."""
    reader = {"duckdb": _inspect_duckdb, "sqlite": _inspect_sqlite}[engine]
    try:
        with snapshot_copy(path, snapshot_root) as (copy, stable):
            result = reader(copy, naive_tz)
    except OSError as exc:  # unreadable file (permissions), disk full while copying
        return Inspection(error=_short(exc))
    result.stable = stable
    # Engine messages name the private copy; the user knows the original.
    result.error = result.error and result.error.replace(str(copy), str(path))
    for table in result.tables:
        table.error = table.error and table.error.replace(str(copy), str(path))
    return result
