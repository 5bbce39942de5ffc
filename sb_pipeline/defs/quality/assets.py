"""The Crackerjack quality flow: runs -> metric points -> trends -> alerts (-> report).

Every window ends at the quality resource's `as_of` (SB_AS_OF, default now), so a past week can be
recomputed exactly. The downstream assets read the points back from the warehouse: no state passes
between steps except through it.
"""

import json
from datetime import datetime, timezone

import dagster as dg
import polars as pl

from sb_pipeline.defs.automation import DOWNSTREAM_POLICY, ROOT_POLICY
from sb_pipeline.defs.metadata import markdown_table
from sb_pipeline.defs.quality.sessions import sessions_for_alerts
from sb_pipeline.defs.resources import EmbedderResource, QualityResource, WarehouseResource
from sb_pipeline.quality.alerts import detect_alerts, improvements, lifecycle
from sb_pipeline.quality.normalise import normalise
from sb_pipeline.quality.render import render_html, render_markdown, write_report_files
from sb_pipeline.quality.report import build_report
from sb_pipeline.quality.statistics import command_statistics, performance_metrics, project_insights
from sb_pipeline.quality.trends import period_stats, series_trends
from sb_pipeline.records import quarantine_frame, rejects_frame
from sb_pipeline.warehouse import quality as store
from sb_pipeline.warehouse.rejects import record_rejects

GROUP = "quality"
WRITE_POOL = "duckdb_write"


@dg.multi_asset(
    specs=[dg.AssetSpec("crackerjack_runs", group_name=GROUP, kinds={"duckdb", "sqlite"},
                        description="Crackerjack runs (command, exit code, time, normalised project); synthetic "
                                    "<unavailable> rows kept out and counted.", **ROOT_POLICY),
           dg.AssetSpec("quality_metric_points", group_name=GROUP, kinds={"duckdb", "sqlite"},
                        description="Whitelisted quality metrics in UTC with their formula era (the 2026-07-27 change); "
                                    "foreign types (health_*, unavailable, parsed_*) kept out and counted.", **ROOT_POLICY)],
    pool=WRITE_POOL,
)
def crackerjack_source(context: dg.AssetExecutionContext, quality: QualityResource, warehouse: WarehouseResource):
    """One snapshot read of crackerjack_integration.db feeds both tables; only rows not seen before are added."""
    read = quality.read()
    frames = normalise(read, known_roots=quality.aliases())
    for note in frames.notes:
        (context.log.info if read.available else context.log.warning)(f"crackerjack: {note}")
    with warehouse.get_connection() as conn:
        new_runs = store.append_runs(conn, frames.runs)
        new_points = store.append_points(conn, frames.points)
        new_rejects = record_rejects(conn, quarantine_frame(rejects_frame(frames.rejects)), datetime.now(timezone.utc))
        runs_total, points_total = store.row_counts(conn)
    counts = frames.counts
    yield dg.MaterializeResult(asset_key="crackerjack_runs", metadata={
        "dagster/row_count": dg.MetadataValue.int(runs_total),
        "new": dg.MetadataValue.int(new_runs),
        "read": dg.MetadataValue.int(frames.runs.height),
        "synthetic_excluded": dg.MetadataValue.int(int(counts.get("synthetic_results", 0))),
        "rejected": dg.MetadataValue.int(len(frames.rejects)),
        "rejected_new": dg.MetadataValue.int(new_rejects),
        "runs_by_project": dg.MetadataValue.json(counts.get("runs_by_project", {})),
        "source_available": dg.MetadataValue.bool(read.available),
    })
    yield dg.MaterializeResult(asset_key="quality_metric_points", metadata={
        "dagster/row_count": dg.MetadataValue.int(points_total),
        "new": dg.MetadataValue.int(new_points),
        "read": dg.MetadataValue.int(frames.points.height),
        "by_metric": dg.MetadataValue.json(counts.get("metric_points_by_type", {})),
        "foreign_excluded": dg.MetadataValue.json(counts.get("foreign_metric_types", {})),
        "rejected_by_reason": dg.MetadataValue.json(counts.get("rejects", {})),
    })


@dg.asset(group_name=GROUP, kinds={"duckdb", "python"}, pool=WRITE_POOL, deps=["quality_metric_points"], **DOWNSTREAM_POLICY)
def quality_trends(context: dg.AssetExecutionContext, quality: QualityResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Per project x metric x day and ISO week: count, mean, median, min, max, first, last; and a Theil-Sen
    slope per series over the window (all metrics higher-is-better, complexity included), never across
    the 2026-07-27 formula change."""
    as_of = quality.as_of_instant()
    with warehouse.get_connection() as conn:
        points = store.all_points(conn)
        periods = period_stats(points, as_of, quality.window_days)
        slopes = series_trends(points, as_of, quality.window_days)
        store.replace_for_as_of(conn, "quality_trends", periods, as_of, quality.window_days)
        store.replace_for_as_of(conn, "quality_series_trends", slopes, as_of, quality.window_days)
    directions = dict(slopes.group_by("direction").len().iter_rows()) if slopes.height else {}
    return dg.MaterializeResult(metadata={
        "as_of": dg.MetadataValue.text(as_of.isoformat()),
        "window_days": dg.MetadataValue.float(quality.window_days),
        "series": dg.MetadataValue.int(slopes.height),
        "period_rows": dg.MetadataValue.int(periods.height),
        "declining_series": dg.MetadataValue.int(int(directions.get("declining", 0))),
        "improving_series": dg.MetadataValue.int(int(directions.get("improving", 0))),
        "era_breaks": dg.MetadataValue.int(int(slopes["era_break"].sum()) if slopes.height else 0),
    })


@dg.asset(group_name=GROUP, kinds={"duckdb", "python"}, pool=WRITE_POOL, deps=["quality_metric_points"], **DOWNSTREAM_POLICY)
def quality_alerts(context: dg.AssetExecutionContext, quality: QualityResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Degradations a busy developer can trust: per series, the most recent change point in the window
    (sb_pipeline/quality/changepoints.py), its drop in a practical band (info 5-10 %, warning 10-25 %,
    critical > 25 %) AND a one-sided, search-adjusted rank test. Each alert records change_at (the first
    degraded run), the levels with an interval, the p-value and the runs on each side. Improvements never
    alert. Each (project, metric) carries new / ongoing / resolved across runs."""
    as_of = quality.as_of_instant()
    with warehouse.get_connection() as conn:
        points = store.all_points(conn)
        current = detect_alerts(points, as_of, quality.window_days)
        states = lifecycle(store.previous_alerts(conn), current, as_of)
        store.replace_alerts(conn, states)
    better = improvements(points, as_of, quality.window_days)
    status = dict(states.group_by("status").len().iter_rows()) if states.height else {}
    severity = dict(states.filter(states["status"] != "resolved").group_by("severity").len().iter_rows()) if states.height else {}
    lines = [f"- **{r['severity']}** ({r['status']}) {r['project']} / {r['metric']}: {r['change_pct']:+.1f} % "
             f"({r['baseline_value']:.1f} → {r['current_value']:.1f}) since {_day(r['change_at'])}, p {_p(r['p_value'])}, "
             f"{r['runs_before']} runs before / {r['runs_after']} after" for r in states.iter_rows(named=True)]
    return dg.MaterializeResult(metadata={
        "as_of": dg.MetadataValue.text(as_of.isoformat()),
        "alerts_active": dg.MetadataValue.int(int(status.get("new", 0) + status.get("ongoing", 0))),
        "alerts_new": dg.MetadataValue.int(int(status.get("new", 0))),
        "alerts_resolved": dg.MetadataValue.int(int(status.get("resolved", 0))),
        "critical": dg.MetadataValue.int(int(severity.get("critical", 0))),
        "warning": dg.MetadataValue.int(int(severity.get("warning", 0))),
        "improvements": dg.MetadataValue.int(better.height),
        "alerts": dg.MetadataValue.md("\n".join(lines) or "✅ No quality alerts"),
    })


def _day(value) -> str:
    return "n/a" if value is None else value.date().isoformat()


def _p(value) -> str:
    return "n/a" if value is None else f"{value:.3g}"


@dg.multi_asset(
    specs=[dg.AssetSpec("command_statistics", group_name=GROUP, kinds={"duckdb"}, deps=["crackerjack_runs"],
                        description="Per command with >= 3 runs in the window: executions, success rate, execution times.",
                        **DOWNSTREAM_POLICY),
           dg.AssetSpec("project_insights", group_name=GROUP, kinds={"duckdb"}, deps=["crackerjack_runs"],
                        description="Per project: executions, success rate, first/last run, days active.", **DOWNSTREAM_POLICY),
           dg.AssetSpec("performance_metrics", group_name=GROUP, kinds={"duckdb"}, deps=["crackerjack_runs"],
                        description="Overall execution times and the five slowest and fastest commands.", **DOWNSTREAM_POLICY)],
    pool=WRITE_POOL,
)
def quality_statistics(context: dg.AssetExecutionContext, quality: QualityResource, warehouse: WarehouseResource):
    """The seed monitor's statistics, over normalised projects and the window ending at as_of."""
    as_of, days = quality.as_of_instant(), quality.window_days
    with warehouse.get_connection() as conn:
        runs = store.all_runs(conn)
        commands = command_statistics(runs, as_of, days)
        projects = project_insights(runs, as_of, days)
        performance = performance_metrics(runs, as_of, days)
        store.replace_report_table(conn, "command_statistics", commands, as_of, days)
        store.replace_report_table(conn, "project_insights", projects, as_of, days)
        store.replace_report_table(conn, "performance_metrics", pl.DataFrame({"report": [json.dumps(performance)]}), as_of, days)
    yield dg.MaterializeResult(asset_key="command_statistics", metadata={
        "dagster/row_count": dg.MetadataValue.int(commands.height),
        "preview": dg.MetadataValue.md(markdown_table(commands.head(15), '_none in the window_'))})
    yield dg.MaterializeResult(asset_key="project_insights", metadata={
        "dagster/row_count": dg.MetadataValue.int(projects.height), "preview": dg.MetadataValue.md(markdown_table(projects.head(10), '_none in the window_'))})
    yield dg.MaterializeResult(asset_key="performance_metrics", metadata={
        "avg_execution_time": dg.MetadataValue.float(float(performance.get("avg_execution_time") or 0.0)),
        "max_execution_time": dg.MetadataValue.float(float(performance.get("max_execution_time") or 0.0)),
        "slowest_commands": dg.MetadataValue.json(performance.get("slowest_commands", []))})


@dg.asset(group_name=GROUP, kinds={"html", "markdown"}, pool=WRITE_POOL,
          deps=["quality_alerts", "quality_trends", "command_statistics", "project_insights", "performance_metrics"],
          **DOWNSTREAM_POLICY)
def quality_report(context: dg.AssetExecutionContext, quality: QualityResource, warehouse: WarehouseResource,
                   embedder: EmbedderResource) -> dg.MaterializeResult:
    """`data/reports/quality-<date>.md`, `.json` (the seed monitor's keys, for existing consumers) and `.html`
    (a self-contained dashboard: a trend chart per project x metric with the change point marked, opens offline).
    Each alert lists the same project's sessions around its change_at, ranked by the project's search (the
    conversations as the warehouse holds them when the report runs)."""
    as_of, days = quality.as_of_instant(), quality.window_days
    with warehouse.get_connection(read_only=True) as conn:
        runs, points, alerts = store.all_runs(conn), store.all_points(conn), store.previous_alerts(conn)
    sessions = sessions_for_alerts(alerts, warehouse.path, warehouse.lexical_index_path, embedder.get,
                                   quality.sessions_before_days, quality.sessions_after_days)
    report = build_report(runs, points, alerts, as_of, days, database_path=quality.crackerjack_db, sessions=sessions)
    markdown = render_markdown(report)
    files = write_report_files(report, markdown, render_html(report, points, alerts, as_of, days), quality.reports())
    return dg.MaterializeResult(metadata={
        "summary": dg.MetadataValue.md(markdown),
        "dashboard": dg.MetadataValue.url(files["html"].resolve().as_uri()),
        "html": dg.MetadataValue.path(str(files["html"])),
        "json": dg.MetadataValue.path(str(files["json"])),
        "markdown": dg.MetadataValue.path(str(files["md"])),
        "alerts": dg.MetadataValue.int(len(report["quality_alerts"])),
        "alerts_with_sessions": dg.MetadataValue.int(sum(bool(a["sessions"] and a["sessions"]["sessions"])
                                                         for a in report["quality_alerts"])),
        "recommendations": dg.MetadataValue.int(len(report["recommendations"])),
        "as_of": dg.MetadataValue.text(as_of.isoformat()),
    })

