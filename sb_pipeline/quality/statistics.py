"""Command, performance and project statistics over Crackerjack runs (the seed monitor's tables, fixed).

Input: the runs frame of ``normalise`` (RUN_SCHEMA) and, for ``summary``, the points frame (POINT_SCHEMA).
Every function takes an explicit ``as_of`` (aware, UTC) and a ``days`` window ``(as_of - days, as_of]``
(the same half-open window as ``trends.window``) and an optional ``project`` filter that applies to every
table, project insights included (the seed's ``--project`` never reached them). ``project`` is a project key
("acb") or a path, which is reduced with ``normalise.project_key`` ("/home/les/projects/acb/" -> "acb").

Seed bugs not reproduced: local-naive window strings (we compare UTC instants), insights keyed by the raw
``working_directory`` (we group by the normalised project key, so "~/projects/acb" and "/home/les/projects/acb/"
are one project), and ``None`` figures on an empty window (numbers are ``None`` in the dicts, but every
renderer copes).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from sb_pipeline.quality.normalise import RUN_SCHEMA, project_key
from sb_pipeline.quality.trends import in_window, utc, window

COMMAND_STATS_SCHEMA = {
    "command": pl.Utf8,
    "total_executions": pl.Int64,
    "successful_executions": pl.Int64,
    "success_rate": pl.Float64,
    "avg_execution_time": pl.Float64,
    "min_execution_time": pl.Float64,
    "max_execution_time": pl.Float64,
    "failure_count": pl.Int64,
}
PROJECT_INSIGHT_SCHEMA = {
    "project": pl.Utf8,
    "executions": pl.Int64,
    "success_rate": pl.Float64,
    "avg_execution_time": pl.Float64,
    "first_run": pl.Utf8,
    "last_run": pl.Utf8,
    "days_active": pl.Int64,
}


def project_name(project: str | None) -> str | None:
    """A ``--project`` value as a project key: a plain name is kept, a path is reduced with ``project_key``."""
    if project is None:
        return None
    text = str(project).strip()
    if "/" in text or "\\" in text or text.startswith("~") or text in ("", ".", ".."):
        return project_key(text)
    return text


def iso(value: datetime | None) -> str | None:
    """UTC ISO 8601 with offset ('2026-08-01T12:00:00+00:00'), None stays None."""
    return None if value is None else utc(value).isoformat()


def run_window(runs: pl.DataFrame, as_of: datetime, days: float, project: str | None = None) -> pl.DataFrame:
    """Runs with ``as_of - days < observed_at <= as_of`` (UTC) and, if given, of ``project`` only; sorted by
    (observed_at, run_id)."""
    frame = runs if runs.width else pl.DataFrame(schema=RUN_SCHEMA)
    out = in_window(frame, as_of, days).with_columns(pl.col("execution_time").cast(pl.Float64))
    name = project_name(project)
    if name is not None:
        out = out.filter(pl.col("project") == name)
    return out.sort(["observed_at", "run_id"])


def point_window(points: pl.DataFrame, as_of: datetime, days: float, project: str | None = None) -> pl.DataFrame:
    """``trends.window`` plus the project filter."""
    out = window(points, as_of, days)
    name = project_name(project)
    return out if name is None else out.filter(pl.col("project") == name)


def command_statistics(
    runs: pl.DataFrame, as_of: datetime, days: float, project: str | None = None, min_runs: int = 3
) -> pl.DataFrame:
    """Per command with >= ``min_runs`` runs in the window: total/successful executions, success_rate (%, 2 dp),
    avg/min/max execution time (s, 3 dp; runs without a time are ignored for those) and failure_count.
    Sorted by total_executions desc, then command (deterministic ties)."""
    w = run_window(runs, as_of, days, project)
    if w.is_empty():
        return pl.DataFrame(schema=COMMAND_STATS_SCHEMA)
    out = (
        w.group_by("command")
        .agg(
            pl.len().cast(pl.Int64).alias("total_executions"),
            pl.col("success").sum().cast(pl.Int64).alias("successful_executions"),
            pl.col("execution_time").mean().round(3).alias("avg_execution_time"),
            pl.col("execution_time").min().round(3).alias("min_execution_time"),
            pl.col("execution_time").max().round(3).alias("max_execution_time"),
        )
        .filter(pl.col("total_executions") >= min_runs)
        .with_columns(
            (pl.col("successful_executions") * 100.0 / pl.col("total_executions")).round(2).alias("success_rate"),
            (pl.col("total_executions") - pl.col("successful_executions")).alias("failure_count"),
        )
    )
    out = out.select([pl.col(c).cast(t) for c, t in COMMAND_STATS_SCHEMA.items()])
    return out.sort(["total_executions", "command"], descending=[True, False])


def _r3(value) -> float | None:
    return None if value is None else round(float(value), 3)


def performance_metrics(
    runs: pl.DataFrame, as_of: datetime, days: float, project: str | None = None, min_runs: int = 3, top: int = 5
) -> dict:
    """Overall avg/min/max execution time (3 dp, runs with a time only), total_executions (runs with a time,
    like the seed), and the ``top`` slowest/fastest commands by average among commands with >= ``min_runs``
    timed runs, as ``{command, avg_time}``."""
    w = run_window(runs, as_of, days, project).filter(pl.col("execution_time").is_not_null())
    per = (
        w.group_by("command")
        .agg(pl.len().alias("n"), pl.col("execution_time").mean().alias("avg_time"))
        .filter(pl.col("n") >= min_runs)
    )
    slow = per.sort(["avg_time", "command"], descending=[True, False]).head(top)
    fast = per.sort(["avg_time", "command"]).head(top)
    times = w["execution_time"]
    return {
        "avg_execution_time": _r3(times.mean()) if w.height else None,
        "min_execution_time": _r3(times.min()) if w.height else None,
        "max_execution_time": _r3(times.max()) if w.height else None,
        "total_executions": w.height,
        "slowest_commands": [{"command": r["command"], "avg_time": _r3(r["avg_time"])} for r in slow.to_dicts()],
        "fastest_commands": [{"command": r["command"], "avg_time": _r3(r["avg_time"])} for r in fast.to_dicts()],
    }


def project_insights(
    runs: pl.DataFrame, as_of: datetime, days: float, project: str | None = None, min_runs: int = 3, limit: int = 20
) -> pl.DataFrame:
    """Per normalised project key with >= ``min_runs`` runs: executions, success_rate (%, 2 dp),
    avg_execution_time (3 dp), first_run/last_run (UTC ISO strings), days_active = (last - first).days + 1.
    Sorted by executions desc then project; at most ``limit`` rows (the seed's LIMIT 20)."""
    w = run_window(runs, as_of, days, project)
    if w.is_empty():
        return pl.DataFrame(schema=PROJECT_INSIGHT_SCHEMA)
    agg = (
        w.group_by("project")
        .agg(
            pl.len().cast(pl.Int64).alias("executions"),
            (pl.col("success").sum() * 100.0 / pl.len()).round(2).alias("success_rate"),
            pl.col("execution_time").mean().round(3).alias("avg_execution_time"),
            pl.col("observed_at").min().alias("_first"),
            pl.col("observed_at").max().alias("_last"),
        )
        .filter(pl.col("executions") >= min_runs)
        .sort(["executions", "project"], descending=[True, False])
        .head(limit)
    )
    rows = [
        {
            "project": r["project"],
            "executions": r["executions"],
            "success_rate": r["success_rate"],
            "avg_execution_time": r["avg_execution_time"],
            "first_run": iso(r["_first"]),
            "last_run": iso(r["_last"]),
            "days_active": (r["_last"] - r["_first"]).days + 1,
        }
        for r in agg.to_dicts()
    ]
    return pl.DataFrame(rows, schema=PROJECT_INSIGHT_SCHEMA)


def summary(
    runs: pl.DataFrame, points: pl.DataFrame, as_of: datetime, days: float, project: str | None = None
) -> dict:
    """The seed's summary over the window: total_records, unique_commands, successful, avg_execution_time
    (3 dp), first_record/last_record (UTC ISO), success_rate (%, 2 dp; 0.0 if no runs), metric_records and
    metric_types (distinct count) from the metric points."""
    w = run_window(runs, as_of, days, project)
    p = point_window(points, as_of, days, project)
    total = w.height
    successful = int(w["success"].sum()) if total else 0
    return {
        "total_records": total,
        "unique_commands": w["command"].n_unique() if total else 0,
        "successful": successful,
        "avg_execution_time": _r3(w["execution_time"].mean()) if total else None,
        "first_record": iso(w["observed_at"].min()) if total else None,
        "last_record": iso(w["observed_at"].max()) if total else None,
        "success_rate": round(100.0 * successful / total, 2) if total else 0.0,
        "metric_records": p.height,
        "metric_types": p["metric"].n_unique() if p.height else 0,
    }
