"""The Crackerjack quality report: the seed monitor's JSON, recommendations, built from our trends and alerts.

``build_report`` returns a JSON-serialisable dict whose top-level keys keep the seed's order
(``report_generated``, ``analysis_period_days``, ``total_records``, ``database_path``, ``summary``,
``metric_trends``, ``command_statistics``, ``quality_alerts``, ``project_insights``, ``performance_metrics``,
``recommendations``) followed by ours (``as_of``, ``project``, ``alert_threshold``, ``improvements``,
``resolved_alerts``, ``schema_version``). Rendering lives in ``render.py`` (re-exported here).

Decisions (documented, differ from the seed):
- ``report_generated`` is ``as_of`` (UTC ISO), not the wall clock, so a past report regenerates byte-for-byte.
- ``metric_trends`` is FLAT, keyed ``"<project>/<metric>"`` (sorted), each value carrying ``project`` and
  ``metric_type``: the seed's flat dict shape survives, but two projects no longer average into one series.
  current_value = last point, previous_value = first point of the latest formula era in the window;
  ``change_percentage`` is SIGNED (negative = drop; the seed printed an always-positive number) and relative to
  previous_value (0.0 if previous is 0); ``direction`` is our Theil-Sen direction (CI excludes 0, >= 3 points),
  not the sign of a two-mean difference; ``strength`` is the seed's (|%| > 5 strong, > 1 moderate, else weak).
- ``quality_alerts`` are our active lifecycle rows (status new/ongoing); ``resolved_alerts`` the resolved ones.
  ``previous_value`` / ``current_value`` are the levels before and after the located change point (medians, pass
  rates for build_status), ``change_percentage`` their signed relative change; new keys follow the seed's:
  ``change_at``, ``change_run_id``, ``runs_before``, ``runs_after``, ``p_value``, ``change_ci_pct`` and
  ``sessions`` (the same project's sessions around the change, see ``context``; also in ``evidence``).
  ``alert_threshold`` (the seed's ``--alert-threshold``), when given, drops active alerts whose |change| is
  below it (severity bands stay those of ``alerts.detect_alerts``).
- ``project_insights`` is a dict keyed by the normalised project key (seed: raw ``working_directory``) and,
  like everything else, honours ``project``.
"""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl

from sb_pipeline.quality import statistics as st
from sb_pipeline.quality.alerts import improvements as detect_improvements
from sb_pipeline.quality.render import render_html, render_markdown, write_report_files
from sb_pipeline.quality.trends import series_trends, utc

__all__ = ["SCHEMA_VERSION", "build_report", "recommendations", "render_html", "render_markdown",
           "write_report_files"]

SCHEMA_VERSION = 2  # 2: alerts carry change_at, the test, the interval and the sessions around the change
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}
FAILURE_SHARE = 0.3
SLOW_SECONDS = 30.0
ALERT_MESSAGES = {
    "build_status": "CRITICAL: Build success rate declining by {pct:.1f}% in {project} - investigate failing builds",
    "lint_score": "WARNING: Code quality declining by {pct:.1f}% in {project} - run 'crackerjack lint' and fix the issues",
    "security_score": "SECURITY: Security score declining by {pct:.1f}% in {project} - run 'crackerjack security' "
                      "and review the findings",
    "complexity_score": "TECHNICAL DEBT: complexity score falling by {pct:.1f}% in {project} - refactor the most "
                        "complex functions",
    "code_coverage": "TESTING: Code coverage declining by {pct:.1f}% in {project} - add tests for new code",
    "test_pass_rate": "TESTING: Test pass rate declining by {pct:.1f}% in {project} - investigate failing tests",
}


def _r2(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _strength(pct: float) -> str:
    pct = abs(pct)
    return "strong" if pct > 5 else "moderate" if pct > 1 else "weak"


def _active(alerts: pl.DataFrame) -> pl.DataFrame:
    if alerts is None or alerts.is_empty():
        return pl.DataFrame()
    return alerts.filter(pl.col("status") != "resolved") if "status" in alerts.columns else alerts


def _rows(frame) -> list[dict]:
    if frame is None:
        return []
    return frame if isinstance(frame, list) else frame.to_dicts()


def recommendations(alerts: pl.DataFrame, trends, command_stats, performance: dict | None) -> list[str]:
    """The seed's rules, driven by our alerts. In order: one message per active alert (new/ongoing; a bare
    ``detect_alerts`` frame counts as active), worst severity then largest drop first; EVERY command with
    >= 30% failures; EVERY command averaging > 30 s (``command_stats``, plus any ``performance`` slowest
    command not in it); up to 3 strong improvements from ``trends`` (direction improving and |%| > 5); else
    "All metrics stable - continue current development practices".
    ``trends``: a ``series_trends`` frame or the report's ``metric_trends`` dict; ``command_stats``: a
    ``command_statistics`` frame or its rows."""
    out: list[str] = []
    active = _active(alerts)
    rows = sorted(active.to_dicts() if active.height else [],
                  key=lambda r: (SEVERITY_RANK.get(r["severity"], 9), r["change_pct"], r["project"], r["metric"]))
    for r in rows:
        template = ALERT_MESSAGES.get(r["metric"], "WARNING: {metric} declining by {pct:.1f}% in {project}")
        out.append(template.format(pct=abs(r["change_pct"]), project=r["project"], metric=r["metric"]))
    stats_rows = _rows(command_stats)
    for r in stats_rows:
        if r["total_executions"] and r["failure_count"] >= FAILURE_SHARE * r["total_executions"]:
            out.append(f"High failure rate for '{r['command']}' ({r['failure_count']}/{r['total_executions']} failed)"
                       " - investigate")
    slow = {r["command"]: r["avg_execution_time"] for r in stats_rows
            if r["avg_execution_time"] is not None and r["avg_execution_time"] > SLOW_SECONDS}
    for r in (performance or {}).get("slowest_commands", []):
        if r["avg_time"] is not None and r["avg_time"] > SLOW_SECONDS:
            slow.setdefault(r["command"], r["avg_time"])
    for cmd, avg in sorted(slow.items(), key=lambda kv: (-kv[1], kv[0])):
        out.append(f"Performance: '{cmd}' averaging {avg:.1f}s - consider optimization")
    if isinstance(trends, dict):
        trend_rows = [{"project": v["project"], "metric": v["metric_type"], "pct": v["change_percentage"] or 0.0,
                       "direction": v["direction"]} for v in trends.values()]
    else:
        trend_rows = [{"project": t["project"], "metric": t["metric"], "direction": t["direction"],
                       "pct": _pct(t["first"], t["last"])} for t in _rows(trends)]
    good = [t for t in trend_rows if t["direction"] == "improving" and _strength(t["pct"]) == "strong" and t["pct"] > 0]
    for t in sorted(good, key=lambda t: (-t["pct"], t["project"], t["metric"]))[:3]:
        out.append(f"EXCELLENT: {t['metric']} improving by {t['pct']:.1f}% in {t['project']} - keep up the good work!")
    return out or ["All metrics stable - continue current development practices"]


def _pct(previous: float | None, current: float | None) -> float:
    if previous is None or current is None or previous == 0:
        return 0.0
    return (current - previous) / previous * 100.0


def metric_trends(trends: pl.DataFrame) -> dict:
    """``series_trends`` rows as the seed's trend dicts plus slope, CI and era information."""
    out = {}
    for t in _rows(trends):
        pct = _pct(t["first"], t["last"])
        out[f"{t['project']}/{t['metric']}"] = {
            "project": t["project"],
            "metric_type": t["metric"],
            "current_value": _r2(t["last"]),
            "previous_value": _r2(t["first"]),
            "change": _r2(t["last"] - t["first"]),
            "change_percentage": _r2(pct),
            "direction": t["direction"],
            "strength": _strength(pct),
            "data_points": t["points"],
            "mean": _r2(t["mean"]),
            "slope_per_day": None if t["slope_per_day"] is None else round(t["slope_per_day"], 4),
            "slope_ci": None if t["slope_low"] is None else [round(t["slope_low"], 4), round(t["slope_high"], 4)],
            "formula_era": t["formula_era"],
            "era_break": t["era_break"],
        }
    return out


def _num(r: dict, key: str, digits: int = 2):
    value = r.get(key)
    return None if value is None or value != value else round(float(value), digits)  # NaN (a 0 baseline) -> None


def _alert_dict(r: dict, sessions: dict | None = None) -> dict:
    """The seed's alert keys, then ours: the change point, the test, and the sessions around the change (also in
    the evidence) when the caller looked them up."""
    pct = r["change_pct"]
    verb = "declined" if pct < 0 else "improved"
    status = r.get("status", "new")
    try:
        evidence = json.loads(r["evidence"]) if r.get("evidence") else None
    except (TypeError, ValueError):
        evidence = r.get("evidence")
    if isinstance(evidence, dict) and sessions is not None:
        evidence["sessions"] = sessions
    low, high = _num(r, "change_pct_low"), _num(r, "change_pct_high")
    return {
        "severity": r["severity"],
        "status": status,
        "metric_type": r["metric"],
        "project": r["project"],
        "message": f"{r['metric']} in {r['project']} has {verb} by {abs(pct):.1f}% "
                   f"(from {r['baseline_value']:.2f} to {r['current_value']:.2f})",
        "current_value": _r2(r["current_value"]),
        "previous_value": _r2(r["baseline_value"]),
        "change_percentage": _r2(pct),
        "timestamp": st.iso(r.get("last_seen")),  # the seed's key: when the alert was (last) raised
        "first_seen": st.iso(r.get("first_seen")),
        "last_seen": st.iso(r.get("last_seen")),
        "evidence": evidence,
        "change_at": st.iso(r.get("change_at")),
        "change_run_id": r.get("change_run_id"),
        "runs_before": r.get("runs_before"),
        "runs_after": r.get("runs_after"),
        "p_value": _num(r, "p_value", 6),
        "change_ci_pct": None if low is None or high is None else [low, high],
        "sessions": sessions,
    }


def build_report(
    runs: pl.DataFrame,
    points: pl.DataFrame,
    alerts_lifecycle: pl.DataFrame,
    as_of: datetime,
    days: float,
    project: str | None = None,
    database_path: str = "",
    alert_threshold: float | None = None,
    sessions: dict | None = None,
) -> dict:
    """The report dict (see the module docstring for its keys and decisions). ``alerts_lifecycle`` is a
    ``lifecycle`` frame (or a bare ``detect_alerts`` frame: every row active, status "new"). ``sessions``:
    {(project, metric): context dict} from the wiring (``context`` module), for the active alerts."""
    end = utc(as_of)
    name = st.project_name(project)
    pts = st.point_window(points, end, days, name)
    trends = series_trends(pts, end, days)
    cmd = st.command_statistics(runs, end, days, name)
    perf = st.performance_metrics(runs, end, days, name)
    insights = st.project_insights(runs, end, days, name)
    summ = st.summary(runs, points, end, days, name)
    alerts = alerts_lifecycle if alerts_lifecycle is not None else pl.DataFrame()
    if alerts.height and name is not None:
        alerts = alerts.filter(pl.col("project") == name)
    active = _active(alerts)
    if active.height and alert_threshold is not None:
        active = active.filter(pl.col("change_pct").abs() >= alert_threshold)
    resolved = alerts.filter(pl.col("status") == "resolved") if alerts.height and "status" in alerts.columns \
        else pl.DataFrame()
    order = lambda r: (SEVERITY_RANK.get(r["severity"], 9), r["change_pct"], r["project"], r["metric"])  # noqa: E731
    improved = detect_improvements(pts, end, days) if pts.height else pl.DataFrame()
    return {
        "report_generated": end.isoformat(),
        "analysis_period_days": days,
        "total_records": summ["total_records"],
        "database_path": str(database_path),
        "summary": summ,
        "metric_trends": metric_trends(trends),
        "command_statistics": cmd.to_dicts(),
        "quality_alerts": [_alert_dict(r, (sessions or {}).get((r["project"], r["metric"])))
                           for r in sorted(_rows(active), key=order)],
        "project_insights": {r.pop("project"): r for r in insights.to_dicts()},
        "performance_metrics": perf,
        "recommendations": recommendations(active, trends, cmd, perf),
        "as_of": end.isoformat(),
        "project": name,
        "alert_threshold": alert_threshold,
        "improvements": [
            {"project": r["project"], "metric_type": r["metric"], "change_percentage": _r2(r["change_pct"]),
             "previous_value": _r2(r["baseline_value"]), "current_value": _r2(r["current_value"]),
             "p_value": round(r["p_value"], 6), "change_at": st.iso(r["change_at"])}
            for r in _rows(improved)
        ],
        "resolved_alerts": [_alert_dict(r) for r in sorted(_rows(resolved), key=order)],
        "schema_version": SCHEMA_VERSION,
    }
