"""Open the warehouse briefly and always close it.

DuckDB lets one process hold a file read-write, and then no other process may open it at all.
So connections are short-lived (`with connect(...) as conn:`), retried while another process
holds the lock for a bounded wait (`wait_seconds`: 10 s by default, 30 s for the pipeline's own
steps, 5 s for the CLI's readers; never the ~100 s of dagster-duckdb's backoff, which outlives a
sensor tick), and closed in `finally` whatever happens.
"""

from __future__ import annotations

import contextlib
import random
import re
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from sb_pipeline.constants import DUCKDB_OFFLINE
from sb_pipeline.warehouse.schema import ensure_schema


_MEMORY_SIZE = re.compile(r"[0-9]+(?:\.[0-9]+)?\s*(?:[KMGT]i?B|B)", re.IGNORECASE)


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
def connect(path: Path | str, read_only: bool = False, wait_seconds: float = 10.0, memory_limit: str | None = None,
            config: dict | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection that is closed on exit. Writers get the schema ensured; readers need the file to exist.
    `memory_limit` caps DuckDB's buffer pool (e.g. '512MB'; larger work spills to disk); `config` is passed to
    DuckDB as is (dagster-duckdb's `connection_config`)."""
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
            conn = duckdb.connect(str(path), read_only=read_only, config={**({} if remote else DUCKDB_OFFLINE), **(config or {})})
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
        if memory_limit:
            conn.execute(f"SET memory_limit = '{_memory_size(memory_limit)}'")  # SET takes no parameters: checked below
        if not read_only:
            ensure_schema(conn)
        yield conn
    finally:
        conn.close()


def _memory_size(value: str) -> str:
    """A DuckDB memory size such as '512MB' or '1.5GiB', refused otherwise (it is formatted into SET)."""
    if not _MEMORY_SIZE.fullmatch(value.strip()):
        raise ValueError(f"not a memory size: {value!r} (e.g. '512MB', '2GiB')")
    return value.strip()


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
