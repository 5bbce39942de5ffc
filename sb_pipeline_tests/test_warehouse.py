"""The warehouse: schema version recorded, newer refused untouched, a held lock is a clear bounded error."""

import hashlib
import time

import duckdb
import pytest

from sb_pipeline.warehouse import WarehouseBusyError, WarehouseMissingError, connect
from sb_pipeline.warehouse.schema import SCHEMA_VERSION
from sb_pipeline_tests.conftest import duckdb_held_open


def test_schema_version_recorded_and_idempotent(tmp_path):
    path = tmp_path / "w.duckdb"
    for _ in range(2):
        with connect(path) as conn:
            assert conn.execute("SELECT value FROM sb_meta WHERE key='schema_version'").fetchall() == [(str(SCHEMA_VERSION),)]
            tables = {r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert tables >= {"conversations", "rejected_records", "conversation_chunks", "conversation_embeddings"}


def test_a_newer_warehouse_is_refused_and_not_modified(tmp_path):
    path = tmp_path / "w.duckdb"
    c = duckdb.connect(str(path))
    c.execute("CREATE TABLE sb_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    c.execute("INSERT INTO sb_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION + 1)])
    c.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(RuntimeError, match="newer sb-pipeline"):
        with connect(path):
            pass
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_missing_warehouse_for_readers(tmp_path):
    with pytest.raises(WarehouseMissingError, match="make run"):
        with connect(tmp_path / "none.duckdb", read_only=True):
            pass


def test_busy_warehouse_is_a_bounded_clear_error(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path):
        pass
    with duckdb_held_open(path):
        started = time.monotonic()
        with pytest.raises(WarehouseBusyError, match="in use by another process"):
            with connect(path, read_only=True, wait_seconds=1.0):
                pass
        assert time.monotonic() - started < 5


def test_a_schema_1_warehouse_gains_the_newer_tables_and_keeps_its_rows(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path) as conn:
        conn.execute("INSERT INTO rejected_records VALUES ('r1', 'inbox', 'a:1', 'malformed_json', '{', now(), now())")
    c = duckdb.connect(str(path))  # make it look like a warehouse written before the knowledge graph existed
    for table in ("kg_entities", "kg_source_relationships", "entity_embeddings", "entity_neighbors", "discovered_relationships",
                  "graph_metrics", "crackerjack_runs", "quality_metric_points", "quality_trends", "quality_series_trends", "quality_alerts"):
        c.execute(f"DROP TABLE {table}")
    c.execute("UPDATE sb_meta SET value = '1' WHERE key = 'schema_version'")
    c.close()
    with connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert {"kg_entities", "discovered_relationships", "graph_metrics", "crackerjack_runs", "quality_alerts"} <= tables
        assert conn.execute("SELECT count(*) FROM rejected_records").fetchall() == [(1,)]
        assert conn.execute("SELECT value FROM sb_meta WHERE key = 'schema_version'").fetchall() == [(str(SCHEMA_VERSION),)]
