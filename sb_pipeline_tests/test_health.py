"""Source health: every store told truthfully, whatever state it is in, and never written.

Real files everywhere: the committed samples, copies of them damaged in tmp_path, a DuckDB file held open
read-write by another process, a warehouse with vectors of two models, a model cache that no longer
matches its manifest, and the `source_health` asset materialized with Dagster.
"""

import hashlib
import json
import shutil
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from sb_pipeline.embedding import EMBEDDING_DIM
from sb_pipeline.embedding.model_store import MANIFEST_FILE, ONNX_FILE, cache_dir, cached_model_id
from sb_pipeline.health import HealthConfig, check_all
from sb_pipeline.health.embedding import check_model
from sb_pipeline.health.files import detect_engine
from sb_pipeline.health.stores import check_store
from sb_pipeline.health.warehouse import check_warehouse
from sb_pipeline.warehouse import connect
from sb_pipeline.warehouse.schema import SCHEMA_VERSION
from sb_pipeline_tests.conftest import REPO, SAMPLES, check_outcomes, duckdb_held_open, materialization_metadata

MODELS = REPO / "data" / "models"


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def samples_untouched():
    """The committed samples are byte-identical after the test (and no side file appeared next to them)."""
    before = digests(SAMPLES)
    yield
    assert digests(SAMPLES) == before


def config(tmp_path: Path, folder: Path = SAMPLES, **stores: Path) -> HealthConfig:
    paths = {"reflection": SAMPLES / "reflection.duckdb", "knowledge_graph": SAMPLES / "knowledge_graph.duckdb",
             "crackerjack": SAMPLES / "crackerjack_integration.db", "interruption": folder / "interruption_manager.db",
             "crackerjack_metrics": SAMPLES / "crackerjack_metrics.db"}
    paths.update(stores)
    return HealthConfig(stores=paths, session_buddy_dir=folder, warehouse=tmp_path / "warehouse.duckdb", model_dir=MODELS,
                        snapshot_dir=tmp_path / "snapshots", lock_wait_seconds=0.3, load_model=False)


def test_the_samples_are_healthy_and_described(tmp_path, samples_untouched):
    report = check_all(config(tmp_path))
    assert report.healthy, report.to_dict()
    refl = report.store("reflection")
    assert refl.engine == "duckdb" and refl.readable and not refl.locked
    assert [e.split(" ")[0] for e in refl.eras] == ["V1", "E1", "E3"]
    assert {t.name: t.rows for t in refl.tables}["conversations_v2"] == 10
    assert any("ignored" in n for n in refl.notes)  # Session Buddy's vectors: reported, not used
    kg = report.store("knowledge_graph")
    assert {t.name for t in kg.tables} >= {"kg_entities", "kg_relationships"} and 0 < kg.tables[1].coverage < 1
    cj = report.store("crackerjack")
    assert cj.engine == "sqlite" and cj.newest == datetime(2026, 11, 19, 19, 5, 10, tzinfo=timezone.utc)  # planted garbage skipped
    metrics = report.store("crackerjack_metrics")
    assert {t.name: t.rows for t in metrics.tables} == {"agent_executions": 7, "jobs": 3, "provider_performance": 5}
    assert report.store("warehouse").status == "warning" and "not built yet" in report.store("warehouse").warnings
    assert not report.store("warehouse").found and not (tmp_path / "warehouse.duckdb").exists()  # never created
    assert list(tmp_path.joinpath("snapshots").iterdir()) == []  # private copies deleted
    json.dumps(report.to_dict())


def test_the_interruption_manager_is_read_and_said_to_be_empty(tmp_path):
    store = check_all(config(tmp_path)).store("interruption")
    assert store.status == "ok" and store.empty and not store.phantom
    assert sorted(t.name for t in store.tables) == ["context_snapshots", "interruption_events", "session_contexts"]
    assert any(n.startswith("all 3 tables are empty, as usual") for n in store.notes)


def test_missing_files_source_or_optional(tmp_path):
    report = check_all(config(tmp_path, reflection=tmp_path / "absent.duckdb", folder=tmp_path))
    refl = report.store("reflection")
    assert not refl.found and refl.status == "unhealthy" and report.unhealthy == ["absent.duckdb"]
    assert any("SB_REFLECTION_DB" in r for r in refl.recommendations)
    # the interruption DB at its default place in an (empty) Session Buddy folder is optional: a note
    assert report.store("interruption").status == "ok" and "optional" in report.store("interruption").notes[0]
    explicit = check_all(config(tmp_path, interruption=tmp_path / "elsewhere" / "interruption_manager.db"))
    assert explicit.store("interruption").status == "unhealthy"  # a path the user typed that leads nowhere


def test_phantom_stores_empty_file_and_database_without_tables(tmp_path):
    folder = tmp_path / "sb"
    folder.mkdir()
    shutil.copy(SAMPLES / "interruption_manager.db", folder)
    (folder / "shared_analytics.duckdb").write_bytes(b"")
    duckdb.connect(str(folder / "workflow.duckdb")).close()
    sqlite3.connect(folder / "natural_scheduler.db").execute("CREATE TABLE reminders (id TEXT)").connection.close()
    (folder / "notes.db").write_text("some other tool's file\n")
    report = check_all(config(tmp_path, folder=folder))
    others = {s.name: s for s in report.stores if s.role == "other"}
    assert set(others) == {"shared_analytics.duckdb", "workflow.duckdb", "natural_scheduler.db", "notes.db"}
    assert others["notes.db"].status == "warning" and "not a database Session Buddy writes" in others["notes.db"].recommendations[0]
    assert others["shared_analytics.duckdb"].phantom and others["shared_analytics.duckdb"].engine == "empty"
    assert others["workflow.duckdb"].phantom and others["workflow.duckdb"].engine == "duckdb"
    assert all(s.status == "warning" and any("can be removed" in r for r in s.recommendations)
               for name, s in others.items() if s.phantom)
    assert others["natural_scheduler.db"].empty and not others["natural_scheduler.db"].phantom
    assert "reminders" in others["natural_scheduler.db"].label
    assert report.healthy  # phantoms nobody reads are worth a look, not a failure
    source = check_store(folder / "shared_analytics.duckdb", "reflection", tmp_path / "s", timezone.utc)
    assert source.phantom and source.status == "unhealthy"  # but a phantom where the pipeline reads is


@pytest.mark.parametrize("name, keep", [("reflection.duckdb", 5000), ("reflection.duckdb", 200_000),
                                        ("crackerjack_integration.db", 70_000)])
def test_a_truncated_store_is_unhealthy_and_nothing_raises(tmp_path, name, keep):
    broken = tmp_path / name
    broken.write_bytes((SAMPLES / name).read_bytes()[:keep])
    role = "reflection" if name.endswith(".duckdb") else "crackerjack"
    store = check_all(config(tmp_path, **{role: broken})).store(role)
    assert store.found and store.readable is False and store.status == "unhealthy"
    assert any(p.startswith("unreadable") for p in store.problems) and any("backup" in r for r in store.recommendations)


def test_a_source_held_open_read_write_is_reported_locked_within_a_bounded_time(tmp_path):
    held = tmp_path / "reflection.duckdb"
    shutil.copy(SAMPLES / "reflection.duckdb", held)
    before = digests(tmp_path)
    with duckdb_held_open(held) as holder:
        started = time.monotonic()
        store = check_all(config(tmp_path, reflection=held)).store("reflection")
        elapsed = time.monotonic() - started
    assert store.locked and f"PID {holder.pid}" in store.lock_holder
    assert elapsed < 10, elapsed
    assert store.status == "warning" and store.readable and store.total_rows == 52  # read from a private copy
    assert digests(tmp_path) == before


def test_wrong_engine_is_found_from_the_header_not_the_extension(tmp_path):
    disguised = tmp_path / "reflection.duckdb"
    shutil.copy(SAMPLES / "crackerjack_metrics.db", disguised)  # SQLite bytes under a DuckDB name
    assert detect_engine(disguised) == "sqlite"
    store = check_all(config(tmp_path, reflection=disguised)).store("reflection")
    assert store.engine == "sqlite" and store.status == "unhealthy"
    assert any(p.startswith("wrong engine: the header says SQLite") for p in store.problems)
    assert {t.name for t in store.tables} == {"agent_executions", "jobs", "provider_performance"}  # read as what it is
    (tmp_path / "notes.db").write_text("not a database at all\n")
    assert check_store(tmp_path / "notes.db", "crackerjack", tmp_path / "s", timezone.utc).problems == [
        "not a DuckDB or SQLite file (unknown header)"]


def _warehouse_with_two_models(path: Path, current: str) -> None:
    now = datetime.now(timezone.utc)
    vec = [1.0] + [0.0] * (EMBEDDING_DIM - 1)
    with connect(path) as conn:
        for i in range(3):
            conn.execute("INSERT INTO conversation_chunks VALUES (?, 'c1', ?, 'text', ?, 'h', 0, 4)", [f"k{i}", i, f"t{i}"])
            conn.execute("INSERT INTO conversation_embeddings VALUES (?, ?, ?, ?)", [f"t{i}", "all-MiniLM-L6-v2/int8/000000000000", vec, now])
        conn.execute("INSERT INTO conversation_embeddings VALUES ('t0', ?, ?, ?)", [current, vec, now])


def test_warehouse_stale_vectors_of_another_model(tmp_path):
    current = cached_model_id(MODELS)
    path = tmp_path / "w.duckdb"
    _warehouse_with_two_models(path, current)
    store = check_warehouse(path, current, lock_wait_seconds=0.5)
    assert store.extra["stale_vectors"] == 3 and store.extra["without_current_vector"]["conversation_chunks"] == 2
    assert store.extra["vectors_by_model"][current] == {"conversation_embeddings": 1}
    assert store.extra["schema_version"] == SCHEMA_VERSION and {t.name: t.rows for t in store.tables}["conversation_embeddings"] == 4
    assert store.status == "warning" and any("3 stale vectors" in w for w in store.warnings)
    assert any("make run" in r for r in store.recommendations)
    with duckdb_held_open(path):
        started = time.monotonic()
        busy = check_warehouse(path, current, lock_wait_seconds=0.5)
        assert time.monotonic() - started < 5
    assert busy.locked and busy.status == "warning" and "PID" in busy.lock_holder
    path.write_bytes(path.read_bytes()[:9000])
    assert check_warehouse(path, current, lock_wait_seconds=0.5).status == "unhealthy"


def test_a_broken_model_dir_is_explained_and_left_alone(tmp_path):
    real = cache_dir(MODELS, "fp32")
    broken = cache_dir(tmp_path, "fp32")
    broken.mkdir()
    shutil.copy(real / MANIFEST_FILE, broken / MANIFEST_FILE)
    (broken / ONNX_FILE).write_bytes((real / ONNX_FILE).read_bytes()[:4096])  # truncated
    health = check_model(tmp_path)
    assert health.status == "unhealthy" and health.checks["sha256_matches"] is False
    assert "does not match the sha256" in health.problems[0] and f"Delete {broken}" in health.recommendations[0]
    assert (broken / ONNX_FILE).stat().st_size == 4096  # not rebuilt behind the user's back
    (broken / MANIFEST_FILE).write_text("{not json")
    assert "manifest" in check_model(tmp_path).problems[0]
    empty = check_model(tmp_path / "nothing")
    assert empty.status == "warning" and empty.checks["built"] is False and not (tmp_path / "nothing").exists()


def test_the_real_model_loads_and_gives_a_unit_vector():
    health = check_model(MODELS)
    assert health.status == "ok", health.problems
    assert health.checks == {"package_found": True, "built": True, "sha256_matches": True, "loads": True, "unit_vector": True}


def test_source_health_asset_reports_in_metadata_and_warns_per_store(tmp_path, samples_untouched):
    from sb_pipeline.defs.health.assets import source_health
    from sb_pipeline.defs.resources import HealthStoresResource
    from sb_pipeline.defs.resources import (ConversationSourcesResource, EmbedderResource, KnowledgeGraphSourceResource,
                                            QualityResource, WarehouseResource)

    broken = tmp_path / "reflection.duckdb"
    broken.write_bytes((SAMPLES / "reflection.duckdb").read_bytes()[:5000])
    snaps = str(tmp_path / "snapshots")
    resources = {
        "conversation_sources": ConversationSourcesResource(reflection_db=str(broken), transcripts_dir=str(tmp_path),
                                                            inbox_dir=str(tmp_path), snapshot_dir=snaps),
        "knowledge_graph_source": KnowledgeGraphSourceResource(path=str(SAMPLES / "knowledge_graph.duckdb"), snapshot_dir=snaps),
        "quality": QualityResource(crackerjack_db=str(SAMPLES / "crackerjack_integration.db"), snapshot_dir=snaps,
                                   reports_dir=str(tmp_path / "reports")),
        "warehouse": WarehouseResource(database=str(tmp_path / "w.duckdb")),
        "embedder": EmbedderResource(model_dir=str(MODELS)),
        "health_stores": HealthStoresResource(session_buddy_dir=str(SAMPLES), interruption_db=str(SAMPLES / "interruption_manager.db"),
                                              crackerjack_metrics_db=str(SAMPLES / "crackerjack_metrics.db"), lock_wait_seconds=0.3),
    }
    result = dg.materialize([source_health], resources=resources, instance=dg.DagsterInstance.ephemeral())
    assert result.success  # a broken source never fails the run
    outcomes = check_outcomes(result)
    assert outcomes == {"reflection_db_healthy": False, "knowledge_graph_db_healthy": True, "crackerjack_db_healthy": True,
                        "interruption_db_healthy": True, "crackerjack_metrics_db_healthy": True, "other_stores_healthy": True,
                        "warehouse_healthy": True, "embedding_model_healthy": True}
    severities = {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data.severity
                  for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    assert set(severities.values()) == {dg.AssetCheckSeverity.WARN}
    meta = materialization_metadata(result, "source_health")
    assert meta["unhealthy"] == 1 and meta["unhealthy_names"] == [str(broken)]  # two reflection.duckdb: told apart by path
    report = meta["report"]
    assert report["stores"][0]["problems"][0].startswith(f"unreadable: IOException: IO Error: Could not read enough bytes from file \"{broken}\"")
    # the committed sample, no longer the configured reflection DB, is just another store in Session Buddy's folder
    (other,) = [s for s in report["stores"] if s["role"] == "other"]
    assert other["path"] == str(SAMPLES / "reflection.duckdb") and other["status"] == "ok" and "reflection DB" in other["label"]
    assert meta["stores"] == 7
    assert f"| {broken} | UNHEALTHY |" in meta["summary"] and f"store: {SAMPLES / 'reflection.duckdb'}" in meta and "all 3 tables are empty" in meta["store: interruption_manager.db"]
    assert "unit vector | yes" in meta["embedding model"] and not (tmp_path / "w.duckdb").exists()
