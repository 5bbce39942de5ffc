"""The warehouse's health: tables and rows, schema version, the model ids its vectors carry, stale vectors.

Why read-only through `warehouse.connect`: a status check must never migrate or lock out a pipeline run;
the connection waits a bounded time for a writer and then says the warehouse is busy. Stale vectors
(another model id than the current model's) are kept by design, so switching profiles back reuses them;
they only matter when the current model's coverage is incomplete, which is what a warning flags.
"""

from __future__ import annotations

from datetime import timezone
from pathlib import Path

from sb_pipeline.health.files import detect_engine, probe_lock, side_files
from sb_pipeline.health.report import StoreHealth
from sb_pipeline.health.tables import duckdb_tables
from sb_pipeline.warehouse.connection import WarehouseBusyError, connect
from sb_pipeline.warehouse.schema import SCHEMA_VERSION

_VECTORS = {  # table with vectors -> (table they cover, SQL counting its rows without a current-model vector)
    "conversation_embeddings": ("conversation_chunks", "SELECT count(*) FROM conversation_chunks c WHERE NOT EXISTS "
                                "(SELECT 1 FROM conversation_embeddings e WHERE e.text_hash = c.text_hash AND e.model_id = ?)"),
    "entity_embeddings": ("kg_entities", "SELECT count(*) FROM kg_entities k WHERE NOT EXISTS (SELECT 1 FROM entity_embeddings e "
                          "WHERE e.entity_id = k.entity_id AND e.text_hash = k.text_hash AND e.model_id = ?)"),
}
REBUILD = "run `make run` (or `.venv/bin/sb-pipeline run`)"


def _vectors(conn, store: StoreHealth, model_id: str | None) -> None:
    names = {t.name for t in store.tables}
    by_model: dict[str, dict[str, int]] = {}
    missing: dict[str, int] = {}
    for table, (covered, sql) in _VECTORS.items():
        if table not in names:
            continue
        for mid, n in conn.execute(f"SELECT model_id, count(*) FROM {table} GROUP BY model_id ORDER BY model_id").fetchall():
            by_model.setdefault(mid, {})[table] = n
        if model_id is not None and covered in names:
            missing[covered] = conn.execute(sql, [model_id]).fetchall()[0][0]
    stale = {mid: sum(v.values()) for mid, v in by_model.items() if model_id is not None and mid != model_id}
    store.extra.update(current_model_id=model_id, vectors_by_model=by_model, stale_vectors=sum(stale.values()),
                       without_current_vector=missing)
    if model_id is None:
        store.notes.append("the current model is not built yet, so stale vectors cannot be told apart")
        return
    incomplete = {k: v for k, v in missing.items() if v}
    if incomplete:
        what = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in incomplete.items())
        store.warnings.append(f"{what} lack a vector of the current model {model_id}")
        store.recommendations.append(f"Embed them: {REBUILD}; the embedding_backfill_sensor also does it in `make dev`")
    if stale:
        detail = ", ".join(f"{n} of {mid}" for mid, n in sorted(stale.items()))
        text = f"{sum(stale.values())} stale vectors ({detail}): kept, not used by search"
        (store.warnings if incomplete else store.notes).append(text)


def check_warehouse(path: Path, model_id: str | None, lock_wait_seconds: float = 5.0) -> StoreHealth:
    """Everything `sb-pipeline status` says about the warehouse (never created, never written)."""
    store = StoreHealth(role="warehouse", label="sb-pipeline warehouse", path=str(path), setting="SB_WAREHOUSE",
                        expected_engine="duckdb")
    if not path.is_file():
        store.warnings.append("not built yet")
        store.recommendations.append(f"Build it: {REBUILD}")
        return store
    store.found, store.size_bytes, store.side_files = True, path.stat().st_size, side_files(path)
    store.engine = detect_engine(path)
    if store.engine != "duckdb":
        store.readable = False
        store.problems.append(f"not a DuckDB database (header: {store.engine})")
        store.recommendations.append(f"Move {path} aside and {REBUILD}: every table is rebuilt from the sources")
        return store
    try:
        with connect(path, read_only=True, wait_seconds=lock_wait_seconds) as conn:
            store.tables = duckdb_tables(conn, timezone.utc)
            names = {t.name for t in store.tables}
            version = conn.execute("SELECT value FROM sb_meta WHERE key = 'schema_version'").fetchall() if "sb_meta" in names else []
            _vectors(conn, store, model_id)
    except WarehouseBusyError:
        lock = probe_lock(path, wait_seconds=0)  # this process holds nothing on it now
        store.locked, store.lock_holder = True, lock.holder
        store.warnings.append(f"in use by another process{f' ({lock.holder})' if lock.holder else ''}: a pipeline run is "
                              f"writing; nothing read after waiting {lock_wait_seconds:.0f} s")
        store.recommendations.append("Run `sb-pipeline status` again when the run has finished")
        return store
    except Exception as exc:  # noqa: BLE001  (corrupt or truncated file, newer storage version)
        store.readable = False
        store.problems.append(f"unreadable: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
        store.recommendations.append(f"Move {path} aside and {REBUILD}: every table is rebuilt from the sources")
        return store
    store.readable = True
    for table in store.tables:
        table.vector_column = table.with_vectors = None  # NOT NULL by construction; coverage is per model, above
    stamps = [t.newest for t in store.tables if t.newest is not None]
    store.newest = max(stamps) if stamps else None
    schema = int(version[0][0]) if version else None
    store.extra["schema_version"] = schema
    if schema is not None and schema > SCHEMA_VERSION:
        store.problems.append(f"written by a newer sb-pipeline (schema {schema} > {SCHEMA_VERSION})")
        store.recommendations.append("Upgrade sb-pipeline, or point SB_WAREHOUSE elsewhere; it is never altered")
    elif schema is not None and schema < SCHEMA_VERSION:
        store.notes.append(f"schema {schema}: upgraded to {SCHEMA_VERSION} by the next run")
    if not store.tables or store.total_rows == 0:
        store.empty = True
        store.warnings.append("no rows yet")
        store.recommendations.append(f"Fill it: {REBUILD}")
    return store
