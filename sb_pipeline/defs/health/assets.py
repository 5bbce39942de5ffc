"""`source_health`: every store, the warehouse and the model, checked on the weekly schedule (a root asset).

Why an asset and not only the CLI: a broken source then shows in the UI next to the flows it feeds, through
one WARN check per store (non-blocking: a damaged interruption DB must not stop the conversation flow).
The report is all in the materialization's metadata (a markdown table per store, counts the UI plots), so
nothing is written to the warehouse; the step is in pool `duckdb_write` only because it reads the
warehouse, which DuckDB refuses while a writer holds it.
"""


import dagster as dg

from sb_pipeline.defs.automation import ROOT_POLICY
from sb_pipeline.defs.resources import (ConversationSourcesResource, EmbedderResource, HealthStoresResource,
                                        KnowledgeGraphSourceResource, QualityResource, WarehouseResource)
from sb_pipeline.health import HealthConfig, HealthReport, check_all
from sb_pipeline.health.render import markdown_model, markdown_store, markdown_summary

GROUP = "health"
WRITE_POOL = "duckdb_write"
# check name -> the report entries it covers ("model" is the embedding model)
CHECKS = {
    "reflection_db_healthy": ("reflection",),
    "knowledge_graph_db_healthy": ("knowledge_graph",),
    "crackerjack_db_healthy": ("crackerjack",),
    "interruption_db_healthy": ("interruption",),
    "crackerjack_metrics_db_healthy": ("crackerjack_metrics",),
    "other_stores_healthy": ("other", "folder"),
    "warehouse_healthy": ("warehouse",),
    "embedding_model_healthy": ("model",),
}


def _check(name: str, roles: tuple[str, ...], report: HealthReport) -> dg.AssetCheckResult:
    items = [report.model] if roles == ("model",) else [s for s in report.stores if s.role in roles]
    problems = [p for item in items for p in item.problems]
    warnings = [w for item in items for w in item.warnings]
    return dg.AssetCheckResult(
        check_name=name, passed=not problems, severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(problems) or ("ok, with warnings: " + "; ".join(warnings) if warnings else "ok"),
        metadata={"checked": [getattr(i, "path", None) or getattr(i, "model_dir", "") for i in items],
                  "problems": problems, "warnings": warnings,
                  "fix": [r for item in items for r in item.recommendations]},
    )


@dg.asset(
    group_name=GROUP,
    kinds={"python", "duckdb", "sqlite"},
    pool=WRITE_POOL,
    **ROOT_POLICY,
    check_specs=[dg.AssetCheckSpec(name, asset="source_health", description=f"WARN when {', '.join(roles)} is unhealthy")
                 for name, roles in CHECKS.items()],
)
def source_health(context: dg.AssetExecutionContext, conversation_sources: ConversationSourcesResource,
                  knowledge_graph_source: KnowledgeGraphSourceResource, quality: QualityResource, warehouse: WarehouseResource,
                  embedder: EmbedderResource, health_stores: HealthStoresResource) -> dg.MaterializeResult:
    """Every Session Buddy / Crackerjack store the pipeline knows (and any other *.db / *.duckdb in Session Buddy's
    folder), the warehouse and the embedding model: found, engine, locked, tables and rows, schema eras, vector
    coverage, newest timestamp, phantoms, recommendations. The same report as `sb-pipeline status`."""
    config = HealthConfig(
        stores={"reflection": conversation_sources.reflection_db_path, "knowledge_graph": knowledge_graph_source.db_path,
                "crackerjack": quality.crackerjack_path, "interruption": health_stores.interruption_path,
                "crackerjack_metrics": health_stores.metrics_path},
        session_buddy_dir=health_stores.folder, warehouse=warehouse.path, model_dir=embedder.models(),
        snapshot_dir=conversation_sources.snapshots(), profile=embedder.profile, source_timezone=conversation_sources.source_timezone,
        lock_wait_seconds=health_stores.lock_wait_seconds,
    )
    report = check_all(config)
    for name in report.unhealthy:
        context.log.warning(f"source_health: {name} is unhealthy")
    everything = report.stores + [report.model]
    metadata = {
        "summary": dg.MetadataValue.md(markdown_summary(report)),
        "stores": dg.MetadataValue.int(len(report.stores)),
        "unhealthy": dg.MetadataValue.int(len(report.unhealthy)),
        "with_warnings": dg.MetadataValue.int(sum(item.status == "warning" for item in everything)),
        "locked": dg.MetadataValue.int(sum(s.locked for s in report.stores)),
        "phantoms": dg.MetadataValue.int(sum(s.phantom for s in report.stores)),
        "unhealthy_names": dg.MetadataValue.json(report.unhealthy),
        **{f"store: {s.name}": dg.MetadataValue.md(markdown_store(s)) for s in report.stores},
        "embedding model": dg.MetadataValue.md(markdown_model(report.model)),
        "report": dg.MetadataValue.json(report.to_dict()),
    }
    return dg.MaterializeResult(metadata=metadata, check_results=[_check(n, r, report) for n, r in CHECKS.items()])
