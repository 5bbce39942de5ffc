"""A warehouse written by the oldest layout in git history is migrated forward on first use, no row lost.

The layout comes from `fixtures/warehouse_layout_oldest.sql` (made from that commit's own schema module by
scripts/oldest_warehouse_layout.py, so the test needs no git history). It is filled with what that version
stored (the samples' conversations, chunks and vectors) plus vectors of another model, then the current
pipeline runs on it.
"""

from __future__ import annotations

import duckdb
import pytest

from sb_pipeline.warehouse.schema import SCHEMA_VERSION
from sb_pipeline_tests.conftest import REPO, SAMPLES, materialization_metadata
from sb_pipeline_tests.test_pipeline import run_flow

pytestmark = pytest.mark.slow  # the oldest warehouse layout migrated and the whole conversation flow run on it

OLD_TABLES = ("conversations", "rejected_records", "conversation_chunks", "conversation_embeddings")
OTHER_MODEL = "all-mpnet-base-v2/fp32/0123456789ab"


def build_oldest_warehouse(path, filled_from):
    """The old layout, holding the rows of a warehouse the current code wrote (the columns it had)."""
    layout = (REPO / "sb_pipeline_tests" / "fixtures" / "warehouse_layout_oldest.sql").read_text()
    conn = duckdb.connect(str(path))
    try:
        conn.execute(layout)  # DDL and the schema-1 marker, several statements
        conn.execute(f"ATTACH '{filled_from}' AS newer (READ_ONLY)")  # paths from tmp_path, not user text
        for table in OLD_TABLES:
            columns = ", ".join(f'"{c[0]}"' for c in conn.execute(f"DESCRIBE {table}").fetchall())
            conn.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM newer.{table}")
        conn.execute("INSERT INTO conversation_embeddings SELECT text_hash, ?, embedding, embedded_at FROM newer.conversation_embeddings",
                     [OTHER_MODEL])
        conn.execute("DETACH newer")
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in OLD_TABLES}
        assert conn.execute("SELECT value FROM sb_meta WHERE key = 'schema_version'").fetchone() == ("1",)
    finally:
        conn.close()
    return counts


def test_the_oldest_layout_is_migrated_forward_with_no_row_lost(tmp_path):
    current = tmp_path / "current.duckdb"
    run_flow(current, SAMPLES, tmp_path / "snap0")
    old = tmp_path / "old.duckdb"
    before = build_oldest_warehouse(old, current)
    assert before["conversations"] == 80 and before["conversation_embeddings"] == 2 * before["conversation_chunks"]

    result = run_flow(old, SAMPLES, tmp_path / "snap1")  # the first use migrates, then the run goes on
    embedded = materialization_metadata(result, "conversation_embeddings")
    assert embedded["embedded"] == 0, "vectors the old version made for this model are reused, not recomputed"
    assert embedded["stale_vectors_other_models"] == before["conversation_chunks"], "another model's vectors are kept, as stale"
    assert materialization_metadata(result, "raw_conversations")["new"] == 0

    conn = duckdb.connect(str(old), read_only=True)
    try:
        assert conn.execute("SELECT value FROM sb_meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        after = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in OLD_TABLES}
        assert after == before, "no row lost, none duplicated"
        assert conn.execute("SELECT count(*) FROM conversation_embeddings WHERE model_id = ?", [OTHER_MODEL]).fetchone()[0] == before["conversation_chunks"]
        tables = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert {"kg_entities", "discovered_relationships", "crackerjack_runs", "quality_alerts"} <= tables
    finally:
        conn.close()
