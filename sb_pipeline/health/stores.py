"""The health of one Session Buddy / Crackerjack store: file, engine, lock, tables, then what they mean.

Why the order: every step needs only what the previous one proved. A missing file is reported as such;
a 0-byte file is a phantom before any engine sees it; the engine comes from the header, so a SQLite file
is never handed to DuckDB (which would try to download an extension); the lock is probed without opening
the file; only then is a private copy read. Nothing here raises for a bad store: whatever goes wrong
becomes a finding with a recommendation, and the next store is checked.
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path

from sb_pipeline.health.files import detect_engine, probe_lock, side_files
from sb_pipeline.health.report import StoreHealth
from sb_pipeline.health.roles import ROLES, interpret
from sb_pipeline.health.tables import inspect_database

_ENGINE_NAMES = {"duckdb": "DuckDB", "sqlite": "SQLite"}


def _missing(store: StoreHealth, explicit: bool) -> None:
    role = ROLES[store.role]
    if role.source or explicit:
        store.problems.append(f"not found at {store.path}" + (": the pipeline has nothing to read from it" if role.source else ""))
        store.recommendations.append(f"Set {store.setting} to your file (the owning tool keeps it at {role.home}), or unset it")
    else:
        store.notes.append(f"not found (optional: the owning tool keeps it at {role.home}; {store.setting} points elsewhere)")


def _unreadable(store: StoreHealth, reason: str, severe: bool = True) -> None:
    """`severe`: a problem (the store is unhealthy); else a warning (a file in Session Buddy's folder that is not ours to judge)."""
    store.readable = False
    (store.problems if severe else store.warnings).append(reason)
    if not severe:
        store.recommendations.append(f"{store.name} is not a database Session Buddy writes: ignored (move it out of the folder "
                                     "to silence this)")
        return
    store.recommendations.append(
        f"{store.name} is damaged or not a database: restore it from a backup or let its tool recreate it (keep any "
        f"-wal/.wal file beside it, it holds committed writes). The pipeline skips it meanwhile and reads the other sources.")


def _phantom(store: StoreHealth, source: bool, why: str) -> None:
    store.phantom = True
    if source:
        store.problems.append(f"phantom: {why}, so the pipeline reads nothing from it")
        store.recommendations.append(f"Point {store.setting} at the real file ({ROLES[store.role].home})")
    else:
        store.warnings.append(f"phantom: {why}; nothing reads or writes it")
        store.recommendations.append(f"{store.name} can be removed (Session Buddy's own status report once listed such an "
                                     "empty shared_analytics.duckdb)")


def check_store(path: Path, role: str, snapshot_root: Path, naive_tz: tzinfo, explicit: bool = False,
                lock_wait_seconds: float = 2.0) -> StoreHealth:
    """Everything `sb-pipeline status` says about one store. `explicit`: the user configured this path."""
    spec = ROLES[role]
    store = StoreHealth(role=role, label=spec.label, path=str(path), setting=spec.setting, expected_engine=spec.engine or None)
    if not path.exists():
        _missing(store, explicit)
        return store
    if not path.is_file():
        store.found = True
        _unreadable(store, f"{path} is not a file", role != "other")
        return store
    store.found = True
    try:
        store.size_bytes = path.stat().st_size
        store.side_files = side_files(path)
        store.engine = detect_engine(path)
    except OSError as exc:
        _unreadable(store, f"cannot read the file: {exc}")
        return store
    if store.engine == "empty":
        _phantom(store, spec.source, "the file is 0 bytes")
        return store
    if store.engine == "unknown":
        _unreadable(store, "not a DuckDB or SQLite file (unknown header)", role != "other")
        return store
    if spec.engine and store.engine != spec.engine:
        store.problems.append(f"wrong engine: the header says {_ENGINE_NAMES[store.engine]}, {spec.label} is "
                              f"{_ENGINE_NAMES[spec.engine]}")
        store.recommendations.append(f"{store.setting} points at the wrong file; Session Buddy keeps this one at {spec.home}")
    lock = probe_lock(path, wait_seconds=lock_wait_seconds)
    store.locked, store.lock_holder = lock.locked, lock.holder
    if lock.locked:
        store.warnings.append(f"locked: held read-write by {lock.holder} (a running Session Buddy?) after waiting "
                              f"{lock.waited_seconds:.1f} s; read from a private copy, the file itself was not opened")
    inspection = inspect_database(path, store.engine, snapshot_root, naive_tz)
    if inspection.error:
        _unreadable(store, f"unreadable: {inspection.error}")
        return store
    store.readable = True
    if not inspection.stable:
        store.warnings.append("the file kept changing while it was copied: counts are from the last copy")
    store.tables = inspection.tables
    for table in store.tables:
        if table.error:
            store.warnings.append(f"table {table.name} unreadable: {table.error}")
    stamps = [t.newest for t in store.tables if t.newest is not None]
    store.newest = max(stamps) if stamps else None
    if not store.tables:
        _phantom(store, spec.source, "a database without a single table")
        return store
    if store.total_rows == 0:
        store.empty = True
        if spec.source:
            store.warnings.append("every table is empty: nothing to ingest yet")
    interpret(store)
    return store
