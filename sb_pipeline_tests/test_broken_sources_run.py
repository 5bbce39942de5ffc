"""Broken sources in a whole run: each is reported (metadata, the health checks) and everything else proceeds.

The knowledge graph is a truncated file, Crackerjack's database is missing and the reflection DB has lost
a column; the whole pipeline runs in process as `sb-pipeline run` runs it, and must still ingest,
chunk and embed the transcripts and the inbox, and keep what the warehouse held for the broken sources.
"""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from sb_pipeline.definitions import defs
from sb_pipeline_tests.conftest import SAMPLES, check_outcomes

pytestmark = pytest.mark.slow  # a whole run of every asset with broken sources


def materialization_metadata(result, asset: str) -> dict:
    (mat,) = [e.event_specific_data.materialization for e in result.get_asset_materialization_events()
              if e.event_specific_data.materialization.asset_key.to_user_string() == asset]
    return {k: v.value for k, v in mat.metadata.items()}


def test_broken_sources_are_reported_and_the_rest_of_the_run_proceeds(tmp_path, monkeypatch):
    kg = tmp_path / "knowledge_graph.duckdb"
    kg.write_bytes((SAMPLES / "knowledge_graph.duckdb").read_bytes()[:20_000])  # truncated mid-file
    reflection = tmp_path / "reflection.duckdb"
    shutil.copyfile(SAMPLES / "reflection.duckdb", reflection)
    with duckdb.connect(str(reflection)) as conn:  # an era's table without its content column
        conn.execute("ALTER TABLE conversations DROP COLUMN content")
    for name, value in {"SB_WAREHOUSE": tmp_path / "w.duckdb", "SB_DATA_DIR": tmp_path / "data", "SB_KNOWLEDGE_GRAPH_DB": kg,
                        "SB_CRACKERJACK_DB": tmp_path / "missing" / "crackerjack_integration.db",
                        "SB_REFLECTION_DB": reflection, "SB_SESSION_BUDDY_DIR": tmp_path}.items():
        monkeypatch.setenv(name, str(value))
    job = defs().resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)

    kg_meta = materialization_metadata(result, "kg_entities")
    assert kg_meta["source_available"] is False
    runs = materialization_metadata(result, "crackerjack_runs")
    assert runs["source_available"] is False
    raw = materialization_metadata(result, "raw_conversations")
    read = raw["read_by_source"]
    assert read["transcript"] > 0 and read["inbox"] > 0 and read["reflection_db"] > 0, read  # the other eras' tables too
    assert "conversations: no id/content column, skipped" in raw["source_notes"]["reflection_db"], raw["source_notes"]
    embeddings = materialization_metadata(result, "conversation_embeddings")
    assert embeddings["embedded"] > 0 and embeddings["chunk_coverage_pct"] == 100.0

    outcomes = check_outcomes(result)
    assert outcomes["knowledge_graph_db_healthy"] is False and outcomes["crackerjack_db_healthy"] is False
    assert outcomes["reflection_db_healthy"] is False  # a table lost its content column: its rows are skipped
    assert outcomes["embedding_coverage_complete"] is True and outcomes["conversation_ids_unique"] is True
    failed_steps = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert not failed_steps, f"a broken source failed steps instead of being reported: {failed_steps}"
