"""`sb-pipeline run`: every asset once, in this process, recorded in the Dagster instance (so it shows in the UI),
with a live view of each step (`cli/progress.py`) and a summary of what the run ended with."""

from __future__ import annotations

import os
import shutil
import uuid

import typer
from rich.table import Table

from sb_pipeline import settings
from sb_pipeline.cli._app import app, console


def _prepare_instance_env() -> None:
    """This process's own Dagster instance: the project's (data/dagster_home) unless DAGSTER_HOME says
    otherwise. An instance folder without a dagster.yaml gets the project's: without it Dagster would send
    telemetry and would not limit pool `duckdb_write` to one writer."""
    os.environ.setdefault("DAGSTER_HOME", str(settings.dagster_home()))
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    home = settings.dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists() and not (home / "dagster.yml").exists():
        shutil.copyfile(settings.project_root() / "data" / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
        console.print(f"wrote {home / 'dagster.yaml'} (telemetry off, one warehouse writer at a time)")


def _metadata_values(result, asset: str) -> dict:
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        if mat.asset_key.to_user_string() == asset:
            return {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
    return {}


def _check_summary(result) -> str:
    outcomes = []
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            outcomes.append(f"{data.check_name}: {'passed' if data.passed else data.severity.value.lower()}")
    return ", ".join(sorted(outcomes)) or "none ran"


@app.command()
def run() -> None:
    """Materialize every asset once (incremental: unchanged inputs cost nothing) and print a summary."""
    _prepare_instance_env()
    import dagster as dg

    from sb_pipeline.cli.progress import RunView, RunWatcher
    from sb_pipeline.definitions import defs
    from sb_pipeline.defs.recovery import recover_abandoned_runs

    job = defs().resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.get() as instance:
        for gone in recover_abandoned_runs(instance):  # a killed earlier run would hold the write pool forever
            console.print(f"[yellow]run {gone.run_id} ({gone.job_name}) was killed (processes {list(gone.dead_pids)} gone): "
                          "marked failed, its pool slots freed[/yellow]")
        run_id = str(uuid.uuid4())
        watcher = RunWatcher(instance, run_id, RunView(console, live=console.is_terminal))
        watcher.start()
        try:  # the watcher shows steps, progress and warnings; the full event log is in the UI (make dev)
            silent = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
            result = job.execute_in_process(instance=instance, run_config=silent, raise_on_error=False, run_id=run_id)
        finally:
            watcher.finished.set()
            watcher.join()
    raw = _metadata_values(result, "raw_conversations")
    emb = _metadata_values(result, "conversation_embeddings")
    stats = emb.get("statistics", {})
    graph = _metadata_values(result, "graph_connectivity")
    alerts = _metadata_values(result, "quality_alerts")
    topics = _metadata_values(result, "conversation_report")
    table = Table(title="sb-pipeline run" + ("" if result.success else " [red](FAILED)[/red]"), show_header=False)
    rows = [
        ("conversations read", raw.get("read")),
        ("new / updated / unchanged", f"{raw.get('new')} / {raw.get('updated')} / {raw.get('unchanged')}"),
        ("skipped as duplicate", raw.get("skipped_duplicates")),
        ("rejected (see rejected_records)", f"{raw.get('rejected')} {raw.get('rejected_by_reason') or ''}"),
        ("secrets redacted", raw.get("secrets_redacted")),
        ("chunks embedded this run", emb.get("embedded")),
        ("conversations in warehouse", stats.get("total_conversations")),
        ("embedding coverage", f"{stats.get('embedding_coverage')} % of conversations, {stats.get('chunk_coverage')} % of chunks"),
        ("knowledge graph", f"{graph.get('entities')} entities, {graph.get('edges')} relationships "
                            f"({graph.get('discovered_edges')} discovered, {graph.get('candidates')} candidates below the cut), "
                            f"health {graph.get('health')}: sb-pipeline graph"),
        ("quality alerts", f"{alerts.get('alerts_active')} active ({alerts.get('critical')} critical, {alerts.get('warning')} warning), "
                           f"{alerts.get('alerts_new')} new, {alerts.get('alerts_resolved')} resolved, as of {alerts.get('as_of')}"),
        ("topics", f"{topics.get('topics')} topics, the largest '{topics.get('largest_topic')}' "
                   f"({topics.get('largest_share')} of recent conversations): sb-pipeline topics, {topics.get('html')}"),
        ("model", emb.get("model_id")),
        ("checks", _check_summary(result)),
        ("warehouse", settings.warehouse_path()),
        ("Dagster UI", "make dev, then open http://127.0.0.1:3000"),
    ]
    for key, value in rows:
        table.add_row(key, str(value))
    console.print(table)
    if not result.success:
        for event in result.all_events:
            if event.is_failure:
                console.print(f"[red]{event.step_key}: {event.message}[/red]")
        raise typer.Exit(1)

