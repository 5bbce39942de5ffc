"""The code location loads the way the webserver, daemon and run workers load it."""

import os

import dagster as dg

from sb_pipeline.definitions import defs

ASSETS = {"raw_conversations", "conversation_chunks", "conversation_embeddings", "conversation_lexical_index",
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


WRITE_POOL = "duckdb_write"
KNOWN_WRITER_CHECKS = {("raw_conversations", "conversation_ids_unique"), ("raw_conversations", "rejected_share_below_threshold"),
                       ("conversation_embeddings", "embedding_coverage_complete"), ("discovered_relationships", "edges_are_simple"),
                       ("entity_embeddings", "entity_embedding_coverage_complete"), ("graph_connectivity", "isolated_share_below_threshold"),
                       ("source_health", "warehouse_healthy")}


def warehouse_users(d: dg.Definitions) -> dict[str, dict]:
    """Every executable op of the loaded definitions (assets, multi-assets, asset checks) that requires the
    `warehouse` resource: what it materializes and checks, and its pool. Derived, never listed by hand."""
    users = {}
    for node in d.resolve_asset_graph().assets_defs:
        if node.is_executable and "warehouse" in node.required_resource_keys:
            users[node.op.name] = {"assets": {k.to_user_string() for k in node.keys},
                                   "checks": {(k.asset_key.to_user_string(), k.name) for k in node.check_keys},
                                   "pool": node.op.pool}
    return users


def test_every_warehouse_writer_is_in_the_single_writer_pool():
    users = warehouse_users(defs())
    outside = {op: u["pool"] for op, u in users.items() if u["pool"] != WRITE_POOL}
    assert not outside, f"ops that open the warehouse outside pool {WRITE_POOL}: {outside}"
    assets = set().union(*(u["assets"] for u in users.values())) if users else set()
    checks = set().union(*(u["checks"] for u in users.values())) if users else set()
    assert assets and checks, "no op requires the warehouse: the derivation found nothing"
    assert assets >= ASSETS, f"known writers not found among the warehouse's users: {sorted(ASSETS - assets)}"
    assert checks >= KNOWN_WRITER_CHECKS, f"known checks not found among the warehouse's users: {sorted(KNOWN_WRITER_CHECKS - checks)}"
    # standalone checks have ops of their own and count too (a check that reads the warehouse takes its lock)
    standalone = {op for op, u in users.items() if not u["assets"]}
    assert {check for op in standalone for check in users[op]["checks"]} >= {
        ("raw_conversations", "conversation_ids_unique"), ("conversation_embeddings", "embedding_coverage_complete"),
        ("discovered_relationships", "edges_are_simple")}


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


def test_as_of_defaults_to_the_samples_reference_date_only_for_the_samples(monkeypatch, tmp_path):
    from sb_pipeline import settings

    assert settings.quality_as_of() == settings.SAMPLES_AS_OF
    monkeypatch.setenv("SB_CRACKERJACK_DB", str(tmp_path / "mine.db"))
    assert settings.quality_as_of() == ""  # a user's own database: windows end now
    monkeypatch.setenv("SB_AS_OF", "2026-10-05T09:00:00+02:00")
    assert settings.quality_as_of() == "2026-10-05T09:00:00+02:00"
