"""Read a user's database from a private copy, never from the file itself.

A running Session Buddy server holds its DuckDB files open read-write; DuckDB then refuses any
other process, even read-only. Copying the bytes (plus the `.wal`, which holds committed but
not yet checkpointed writes) needs no lock and never touches the original. The copy is checked
for stability (size and mtime unchanged across the copy) and retried briefly if the writer was
busy; it is deleted when the read is done, so no state is left between steps.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sb_pipeline.constants import DUCKDB_OFFLINE

SIDE_FILES = (".wal", "-wal")  # DuckDB's and SQLite's write-ahead logs: copied with the file, under the same stability check


def _signature(path: Path) -> tuple:
    out = []
    for p in [path, *(path.with_name(path.name + s) for s in SIDE_FILES)]:
        try:
            st = p.stat()
            out.append((st.st_size, st.st_mtime_ns))
        except FileNotFoundError:
            out.append(None)
    return tuple(out)


@contextlib.contextmanager
def snapshot_copy(source: Path, snapshot_root: Path, attempts: int = 3) -> Iterator[tuple[Path, bool]]:
    """Yield (copy_path, stable). `stable` is False if the source kept changing during every attempt."""
    source = Path(source)
    snapshot_root.mkdir(parents=True, exist_ok=True)
    tag = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:10]
    workdir = Path(tempfile.mkdtemp(prefix=f"{source.stem}-{tag}-", dir=snapshot_root))
    try:
        target = workdir / source.name
        stable = False
        for attempt in range(attempts):
            before = _signature(source)
            shutil.copyfile(source, target)
            for suffix in SIDE_FILES:
                side = source.with_name(source.name + suffix)
                side_target = target.with_name(target.name + suffix)
                if side.exists():
                    shutil.copyfile(side, side_target)
                elif side_target.exists():
                    side_target.unlink()
            if _signature(source) == before:
                stable = True
                break
            time.sleep(0.2 * (attempt + 1))
        yield target, stable
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class SourceUnavailable(Exception):
    """A source that cannot be read at all (missing, corrupt, unopenable): the message goes to the run's notes."""


@contextlib.contextmanager
def open_snapshot(source: Path, snapshot_root: Path) -> Iterator[tuple["duckdb.DuckDBPyConnection", list[str]]]:
    """A DuckDB connection to a private copy of `source`, closed and the copy deleted on exit; with notes."""
    import duckdb

    source = Path(source)
    if not source.is_file():
        raise SourceUnavailable(f"{source}: not found")
    with snapshot_copy(source, snapshot_root) as (copy, stable):
        notes = [] if stable else [f"{source}: changed while being copied; read the last copy"]
        try:
            # Our private copy: replaying its WAL is safe. Extensions off: handed a SQLite file (or any
            # other format) DuckDB would otherwise download a scanner, and nothing here uses the network.
            conn = duckdb.connect(str(copy), config=DUCKDB_OFFLINE)
        except duckdb.Error as exc:
            raise SourceUnavailable(f"{source}: cannot open ({type(exc).__name__}: {str(exc)[:200]})") from exc
        try:
            yield conn, notes
        finally:
            conn.close()
