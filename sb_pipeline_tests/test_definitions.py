"""The code location loads the way the webserver, daemon and run workers load it."""

import os
import subprocess
import sys

import dagster as dg

from sb_pipeline.definitions import defs

ASSETS = {"raw_conversations", "conversation_chunks", "conversation_embeddings",
          "kg_entities", "entity_embeddings", "discovered_relationships", "graph_connectivity",
          "crackerjack_runs", "quality_metric_points", "quality_trends", "quality_alerts",
          "command_statistics", "project_insights", "performance_metrics", "quality_report", "source_health"}


def test_definitions_load_with_assets_checks_and_resources():
    d = defs()
    dg.Definitions.validate_loadable(d)
    assert {k.to_user_string() for k in d.resolve_all_asset_keys()} >= ASSETS
    checks = {(k.asset_key.to_user_string(), k.name) for k in d.resolve_asset_graph().asset_check_keys}
    assert checks >= {
        ("raw_conversations", "rejected_share_below_threshold"),
        ("raw_conversations", "conversation_ids_unique"),
        ("conversation_embeddings", "embedding_coverage_complete"),
        ("entity_embeddings", "entity_embedding_coverage_complete"),
        ("discovered_relationships", "edges_are_simple"),
        ("discovered_relationships", "discovery_precision"),
        ("graph_connectivity", "isolated_share_below_threshold"),
    }
    assert set(d.resources) >= {"warehouse", "conversation_sources", "knowledge_graph_source", "quality", "embedder"}


def test_every_warehouse_writer_is_in_the_single_writer_pool():
    d = defs()
    for key in ASSETS:
        spec = d.resolve_assets_def(key)
        assert spec.op.pool == "duckdb_write", key


def test_defaults_point_under_data_and_env_overrides(monkeypatch, tmp_path):
    before = dict(os.environ)
    resources = defs().resources
    assert dict(os.environ) == before, "loading the definitions must not write the environment"
    assert resources["warehouse"].database.endswith(os.path.join("data", "warehouse.duckdb"))
    assert resources["conversation_sources"].reflection_db.endswith(os.path.join("data", "samples", "reflection.duckdb"))
    monkeypatch.setenv("SB_WAREHOUSE", str(tmp_path / "w.duckdb"))
    configured = defs().resources["warehouse"].database
    assert isinstance(configured, dg.EnvVar) and configured.env_var_name == "SB_WAREHOUSE"  # the UI names the variable
    assert configured.get_value() == str(tmp_path / "w.duckdb")


def test_session_buddy_dir_follows_a_configured_reflection_db(monkeypatch, tmp_path):
    from sb_pipeline import settings

    assert settings.session_buddy_dir() == settings.samples_dir()
    monkeypatch.setenv("SB_REFLECTION_DB", str(tmp_path / "real" / "reflection.duckdb"))
    assert settings.session_buddy_dir() == tmp_path / "real"
    assert defs().resources["health_stores"].folder == tmp_path / "real"
    monkeypatch.setenv("SB_SESSION_BUDDY_DIR", str(tmp_path / "elsewhere"))
    assert settings.session_buddy_dir() == tmp_path / "elsewhere"


def test_workspace_yaml_validates_with_the_dagster_cli():
    out = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        capture_output=True, text=True, timeout=180,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "sb_pipeline" in out.stdout + out.stderr


def test_as_of_defaults_to_the_samples_reference_date_only_for_the_samples(monkeypatch, tmp_path):
    from sb_pipeline import settings

    assert settings.quality_as_of() == settings.SAMPLES_AS_OF
    monkeypatch.setenv("SB_CRACKERJACK_DB", str(tmp_path / "mine.db"))
    assert settings.quality_as_of() == ""  # a user's own database: windows end now
    monkeypatch.setenv("SB_AS_OF", "2026-10-05T09:00:00+02:00")
    assert settings.quality_as_of() == "2026-10-05T09:00:00+02:00"
