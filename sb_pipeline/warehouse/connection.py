"""Open the warehouse briefly and always close it.

DuckDB lets one process hold a file read-write, and then no other process may open it at all.
So connections are short-lived (`with connect(...) as conn:`), retried for a few seconds when
another process holds the lock (a bounded wait: never the ~100 s of dagster-duckdb's backoff,
which outlives a sensor tick), and closed in `finally` whatever happens.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from sb_pipeline.sources.snapshot import NO_EXTENSION_DOWNLOADS
from sb_pipeline.warehouse.schema import ensure_schema


class WarehouseBusyError(RuntimeError):
    """Another process holds the warehouse (a pipeline run is writing)."""


class WarehouseMissingError(FileNotFoundError):
    """The warehouse has not been built yet."""


def is_remote(path: Path | str) -> bool:
    """A MotherDuck database (`md:name`): a service, not a file here; DuckDB itself connects to it."""
    return str(path).startswith(("md:", "motherduck:"))


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text or "different configuration" in text


@contextlib.contextmanager
def connect(path: Path | str, read_only: bool = False, wait_seconds: float = 10.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection that is closed on exit. Writers get the schema ensured; readers need the file to exist."""
    remote = is_remote(path)
    path = str(path) if remote else Path(path)
    if not remote and read_only and not path.is_file():
        raise WarehouseMissingError(f"no warehouse at {path}: run `make run` (or materialize the assets) first")
    if not remote and not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        try:
            # A local file needs no extension, so none is ever downloaded; MotherDuck's is loaded by DuckDB.
            conn = duckdb.connect(str(path), read_only=read_only, config={} if remote else NO_EXTENSION_DOWNLOADS)
            break
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            if not _is_lock_error(exc):
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusyError(
                    f"the warehouse {path} is in use by another process (a pipeline run?); try again shortly"
                ) from exc
            time.sleep(delay + random.uniform(0, delay))
            delay = min(delay * 2, 1.0)
    try:
        conn.execute("SET TimeZone = 'UTC'")  # TIMESTAMPTZ values come back as UTC datetimes
        if not read_only:
            ensure_schema(conn)
        yield conn
    finally:
        conn.close()


def transaction(conn: duckdb.DuckDBPyConnection, statements: list[tuple[str, list]]) -> None:
    """Run `(sql, params)` statements all-or-nothing: no reader ever sees half a write."""
    conn.execute("BEGIN TRANSACTION")
    try:
        for sql, params in statements:
            conn.execute(sql, params)
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise
