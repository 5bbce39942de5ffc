"""`sb-pipeline`: run the whole pipeline, search conversations, show statistics.

`run` executes every asset once in this process, recorded in the Dagster instance under
`DAGSTER_HOME` (so the run shows in the UI). `search` and `stats` open the warehouse read-only
and say plainly when it is missing or busy.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from sb_pipeline import settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console()


def _prepare_env() -> None:
    settings.load_dotenv_files()
    os.environ.setdefault("DAGSTER_HOME", str(settings.dagster_home()))
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    settings.dagster_home().mkdir(parents=True, exist_ok=True)


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
    _prepare_env()
    import dagster as dg

    from sb_pipeline.definitions import defs

    definitions = defs()
    job = definitions.resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.get() as instance:
        # Warnings and errors reach the console; the full event log is in the UI (make dev).
        quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
        result = job.execute_in_process(instance=instance, run_config=quiet, raise_on_error=False)
    raw = _metadata_values(result, "raw_conversations")
    emb = _metadata_values(result, "conversation_embeddings")
    stats = emb.get("statistics", {})
    graph = _metadata_values(result, "graph_connectivity")
    alerts = _metadata_values(result, "quality_alerts")
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
                            f"({graph.get('discovered_edges')} discovered), health {graph.get('health')}: sb-pipeline graph"),
        ("quality alerts", f"{alerts.get('alerts_active')} active ({alerts.get('critical')} critical, {alerts.get('warning')} warning), "
                           f"{alerts.get('alerts_new')} new, {alerts.get('alerts_resolved')} resolved, as of {alerts.get('as_of')}"),
        ("model", emb.get("model_id")),
        ("checks", _check_summary(result)),
        ("warehouse", os.environ.get("SB_WAREHOUSE")),
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


@app.command()
def search(
    query: str = typer.Argument(..., help="What you are looking for, in your own words"),
    project: str | None = typer.Option(None, help="Only this project"),
    kind: str | None = typer.Option(None, help="conversation, reflection or insight"),
    limit: int = typer.Option(10, min=1, help="How many conversations"),
    min_score: float = typer.Option(0.0, "--min-score", help="Cosine threshold (Session Buddy used 0.7)"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output"),
) -> None:
    """Rank conversations by their best-matching chunk."""
    settings.load_dotenv_files()
    from sb_pipeline.conversations.search import rank_conversations, snippet
    from sb_pipeline.embedding import load_embedder
    from sb_pipeline.warehouse import WarehouseBusyError, WarehouseMissingError, connect
    from sb_pipeline.warehouse import conversations as store

    from sb_pipeline.warehouse.search_matrix import load_search_matrix

    model = load_embedder(profile=settings.embedding_profile())
    query_vec = model.embed([query])[0]
    warehouse = settings.warehouse_path()
    try:
        with connect(warehouse, read_only=True, wait_seconds=5.0) as conn:
            matrix = load_search_matrix(conn, warehouse, model.model_id, settings.cache_dir()).only(project, kind)
            chunk_ids = matrix.ids["chunk_id"]
            hits = rank_conversations(query_vec, matrix.vectors, matrix.ids["conversation_id"], limit=limit, min_score=min_score)
            details = store.search_details(conn, [chunk_ids[h.chunk_row] for h in hits])
    except (WarehouseBusyError, WarehouseMissingError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2)
    results = []
    for hit in hits:
        d = details[chunk_ids[hit.chunk_row]]
        started = d["started_at"]
        results.append({
            "score": round(hit.score, 4),
            "conversation_id": hit.conversation_id,
            "project": d["project"],
            "kind": d["kind"],
            "source": d["source"],
            "source_ref": d["source_ref"],
            "started_at": started.isoformat() if started else None,
            "chunk": d["ordinal"],
            "snippet": snippet(d["text"], query),
        })
    if as_json:
        sys.stdout.write(json.dumps({"query": query, "model_id": model.model_id, "results": results}, ensure_ascii=False, indent=2) + "\n")
        return
    if not results:
        console.print(f"No conversation scored {min_score} or more." if matrix.vectors.shape[0] else "No embedded conversations yet: run `make run`.")
        return
    table = Table(title=f"{len(results)} conversations for “{query}”")
    for col in ("score", "project", "date", "kind", "snippet"):
        table.add_column(col, overflow="fold")
    for r in results:
        table.add_row(f"{r['score']:.3f}", r["project"] or "-", (r["started_at"] or "-")[:10], r["kind"], r["snippet"])
    console.print(table)


@app.command()
def stats(as_json: bool = typer.Option(False, "--json")) -> None:
    """Conversation statistics (Session Buddy's get_conversation_statistics, over every source)."""
    settings.load_dotenv_files()
    from sb_pipeline.embedding import load_embedder
    from sb_pipeline.warehouse import WarehouseBusyError, WarehouseMissingError, connect
    from sb_pipeline.warehouse import conversations as store

    model_id = load_embedder(profile=settings.embedding_profile()).model_id
    try:
        with connect(settings.warehouse_path(), read_only=True, wait_seconds=5.0) as conn:
            result = store.statistics(conn, model_id, datetime.now(timezone.utc))
    except (WarehouseBusyError, WarehouseMissingError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2)
    result["model_id"] = model_id
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        table = Table(show_header=False, title="conversation statistics")
        for k, v in result.items():
            table.add_row(k, str(v))
        console.print(table)


def _read_graph(fn):
    """Run `fn(conn)` on the warehouse read-only, turning a missing, busy or not-yet-upgraded
    warehouse into a clear exit (readers never migrate: only a pipeline run writes)."""
    import duckdb

    from sb_pipeline.warehouse import WarehouseBusyError, WarehouseMissingError, connect

    try:
        with connect(settings.warehouse_path(), read_only=True, wait_seconds=5.0) as conn:
            return fn(conn)
    except (WarehouseBusyError, WarehouseMissingError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2)
    except duckdb.CatalogException:
        console.print("[red]This warehouse has no knowledge-graph tables yet: run `make run` first.[/red]")
        raise typer.Exit(2)


@app.command()
def graph(as_json: bool = typer.Option(False, "--json")) -> None:
    """The knowledge graph's connectivity report (from the latest graph_connectivity run)."""
    settings.load_dotenv_files()
    from sb_pipeline.warehouse import knowledge_graph as kg

    report = _read_graph(kg.latest_graph_metrics)
    if report is None:
        console.print("No connectivity report yet: materialize the knowledge_graph assets (make run).")
        raise typer.Exit(1)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return
    table = Table(show_header=False, title=f"knowledge graph: {report['health']}")
    for key in ("entities", "edges", "source_edges", "discovered_edges", "connectivity_ratio", "avg_degree", "isolated_entities",
                "embedding_coverage", "components", "largest_component_share", "entity_types", "relation_types", "degree_distribution"):
        table.add_row(key, str(report.get(key)))
    console.print(table)
    for line in report.get("recommendations", []):
        console.print(f"• {line}")


@app.command()
def related(name: str = typer.Argument(..., help="An entity name (case-insensitive)"),
            as_json: bool = typer.Option(False, "--json")) -> None:
    """An entity's relationships, discovered and from the source, with the evidence for each."""
    settings.load_dotenv_files()
    from sb_pipeline.warehouse import knowledge_graph as kg

    entity, edges = _read_graph(lambda conn: kg.relationships_of(conn, name))
    if entity is None:
        console.print(f"No entity named {name!r}.")
        raise typer.Exit(1)
    rows = edges.to_dicts()
    if as_json:
        sys.stdout.write(json.dumps({"entity": entity, "relationships": rows}, indent=2, default=str) + "\n")
        return
    table = Table(title=f"{entity['name']} ({entity['entity_type']}): {len(rows)} relationships")
    for col in ("relation", "other", "confidence", "similarity", "rule"):
        table.add_column(col, overflow="fold")
    for r in rows:
        arrow = f"{r['relation_type']} →" if r["direction"] == "out" else f"← {r['relation_type']}"
        sim = "" if r["similarity"] is None else f"{r['similarity']:.3f}"
        rule = (r["rule"] or "") + (" (mutual)" if r["mutual_knn"] else "")
        table.add_row(arrow, r["other"], r["confidence"], sim, rule)
    console.print("Evidence for each edge: sb-pipeline related NAME --json")
    console.print(table)


def _alert_bands(threshold: float | None):
    """The seed's --alert-threshold as the lowest band's floor; higher bands keep their cut-offs."""
    from sb_pipeline.quality.alerts import BANDS

    if threshold is None:
        return BANDS
    kept = [(lo, name) for lo, name in BANDS if lo >= threshold]
    if not kept or kept[0][0] > threshold:
        below = [name for lo, name in BANDS if lo < threshold]
        kept.insert(0, (threshold, below[-1] if below else BANDS[0][1]))
    return tuple(kept)


@app.command("quality-report")
def quality_report(
    days: float = typer.Option(30, "--days", min=0.01, help="Analysis window in days, ending at --as-of"),
    project: str | None = typer.Option(None, "--project", help="Only this project (a path or a project name)"),
    fmt: str = typer.Option("markdown", "--format", help="markdown, json or html"),
    output: str | None = typer.Option(None, "--output", help="Write here instead of standard output"),
    alert_threshold: float | None = typer.Option(None, "--alert-threshold", help="Smallest drop (%) that can alert (default 5)"),
    db_path: str | None = typer.Option(None, "--db-path", help="crackerjack_integration.db (default SB_CRACKERJACK_DB)"),
    as_of: str | None = typer.Option(None, "--as-of", help="ISO 8601 instant the window ends at (default SB_AS_OF or now)"),
) -> None:
    """The weekly quality report from Crackerjack's database, computed directly (read-only, from a copy).
    Alert status (new / ongoing / resolved) compares with the same report one week earlier."""
    settings.load_dotenv_files()
    from datetime import timedelta

    from sb_pipeline.quality.alerts import detect_alerts, lifecycle
    from sb_pipeline.quality.normalise import normalise, project_key
    from sb_pipeline.quality.render import render_html, render_markdown
    from sb_pipeline.quality.report import build_report
    from sb_pipeline.sources.crackerjack_db import read_crackerjack
    from sb_pipeline.sources.timestamps import to_utc

    if fmt not in ("markdown", "json", "html"):
        console.print(f"[red]--format must be markdown, json or html, not {fmt!r}[/red]")
        raise typer.Exit(2)
    path = settings.crackerjack_db_path() if db_path is None else Path(db_path).expanduser()
    try:
        end = to_utc(as_of or settings.quality_as_of() or datetime.now(timezone.utc))
    except ValueError as exc:
        console.print(f"[red]--as-of: {exc}[/red]")
        raise typer.Exit(2)
    read = read_crackerjack(path, settings.snapshot_dir())
    if not read.available:
        console.print(f"[red]Cannot read the Crackerjack database: {'; '.join(read.notes)}[/red]")
        raise typer.Exit(2)
    try:
        aliases = settings.quality_project_aliases()
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2)
    frames = normalise(read, known_roots=aliases)
    name = project_key(project) if project else None
    bands = _alert_bands(alert_threshold)
    before = detect_alerts(frames.points, end - timedelta(days=7), days, bands=bands, recent_days=min(7.0, days / 2))
    now = detect_alerts(frames.points, end, days, bands=bands, recent_days=min(7.0, days / 2))
    alerts = lifecycle(before, now, end)
    if name:
        alerts = alerts.filter(alerts["project"] == name)
    report = build_report(frames.runs, frames.points, alerts, end, days, project=name, database_path=str(path),
                          alert_threshold=alert_threshold)
    text = {"markdown": lambda: render_markdown(report), "json": lambda: json.dumps(report, indent=2, default=str) + "\n",
            "html": lambda: render_html(report, frames.points, alerts, end, days)}[fmt]()
    if output:
        Path(output).expanduser().write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    app()
