"""The quality report as one self-contained HTML page (plotly, offline).

The plotly.js bundle is embedded ONCE (the first figure uses ``include_plotlyjs=True``, the others ``False``),
so the page opens offline; no CDN, no ``<script src>``. One chart per project x metric: the points over time
(older formula era in grey), the Theil-Sen line over the latest era and, where an alert is active, its change
point: a dashed line at ``change_at``, the degraded stretch shaded from there to as_of, and the levels before
and after drawn over the runs they were measured on. Under an alerting chart: when it changed and the same
project's sessions around that time.
"""

from __future__ import annotations

import html as htmllib
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from sb_pipeline.quality.context import html_block
from sb_pipeline.quality.trends import KEYS, theil_sen, utc, window


def _table(rows: list[dict], columns: list[str]) -> str:
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th>{htmllib.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{htmllib.escape('' if r.get(c) is None else str(r.get(c)))}</td>" for c in columns)
        + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


CSS = ("body{font-family:system-ui,sans-serif;margin:1.5em;max-width:1200px}table{border-collapse:collapse;"
       "margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:90%}th{background:#eee}"
       ".chart{border:1px solid #ddd;margin:1em 0;padding:.3em}")


def _series_figure(g: pl.DataFrame, project: str, metric: str, end: datetime, days: float, alert: dict | None):
    import plotly.graph_objects as go

    era = g["formula_era"][-1]
    latest, older = g.filter(pl.col("formula_era") == era), g.filter(pl.col("formula_era") != era)
    fig = go.Figure()
    if older.height:
        fig.add_trace(go.Scatter(x=[t.isoformat() for t in older["observed_at"]], y=older["value"].to_list(),
                                 mode="markers", name=f"{project} / {metric} ({older['formula_era'][0]}, old formula)",
                                 marker={"color": "#aaa"}))
    fig.add_trace(go.Scatter(x=[t.isoformat() for t in latest["observed_at"]], y=latest["value"].to_list(),
                             mode="lines+markers", name=f"{project} / {metric}"))
    x = np.array([(t - end).total_seconds() / 86400.0 for t in latest["observed_at"]])
    y = latest["value"].to_numpy()
    slope, _low, _high = theil_sen(x, y)
    if slope is not None:
        intercept = float(np.median(y - slope * x))
        xs = [float(x.min()), float(x.max())]
        fig.add_trace(go.Scatter(x=[(end + timedelta(days=v)).isoformat() for v in xs],
                                 y=[intercept + slope * v for v in xs], mode="lines",
                                 name=f"Theil-Sen {slope:+.3f}/day", line={"dash": "dash", "color": "#555"}))
    title = f"{project} / {metric}"
    if alert is not None:
        _mark_change(fig, latest, alert, end)
        title += f" — {alert['severity'].upper()} ({alert.get('status', 'new')}): {alert['change_pct']:+.1f}%"
    fig.update_layout(title=title, height=320, margin={"l": 40, "r": 20, "t": 50, "b": 30},
                      xaxis={"range": [(end - timedelta(days=days)).isoformat(), end.isoformat()]},
                      yaxis={"title": metric}, legend={"orientation": "h"})
    return fig


def _mark_change(fig, latest: pl.DataFrame, alert: dict, end: datetime) -> None:
    """The change point: a dashed line at change_at, the stretch after it shaded, each side's level drawn."""
    import plotly.graph_objects as go

    change = alert.get("change_at")
    if change is None:
        return
    first = latest["observed_at"].min()
    fig.add_vrect(x0=change.isoformat(), x1=end.isoformat(), fillcolor="red", opacity=0.10, line_width=0)
    fig.add_vline(x=change.isoformat(), line_dash="dash", line_color="red")
    for x0, x1, y, name in ((first, change, alert["baseline_value"], "before"), (change, end, alert["current_value"], "after")):
        if y is not None:
            fig.add_trace(go.Scatter(x=[x0.isoformat(), x1.isoformat()], y=[y, y], mode="lines",
                                     name=f"level {name} {y:.1f}", line={"color": "#c00" if name == "after" else "#080"}))


def render_html(report: dict, points: pl.DataFrame, alerts: pl.DataFrame | None, as_of: datetime, days: float) -> str:
    """A self-contained dashboard page (see the module docstring)."""
    end = utc(as_of)
    w = window(points, end, days)
    if report.get("project"):
        w = w.filter(pl.col("project") == report["project"])
    s = report["summary"]
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Crackerjack quality {htmllib.escape(report['as_of'])}"
             f"</title><style>{CSS}</style></head><body>",
             "<h1>Crackerjack Quality Dashboard</h1>",
             f"<p>as_of {htmllib.escape(report['as_of'])} (UTC), window {htmllib.escape(str(days))} days"
             + (f", project <b>{htmllib.escape(report['project'])}</b>" if report.get("project") else "") + "</p>"]
    if w.is_empty() and not s["total_records"]:
        parts.append(f"<p><b>No data in window</b> ({htmllib.escape((end - timedelta(days=days)).isoformat())}, "
                     f"{htmllib.escape(end.isoformat())}].</p></body></html>")
        return "".join(parts)
    parts += ["<h2>Summary</h2>", _table([s], list(s.keys())), "<h2>Quality alerts</h2>"]
    alert_cols = ["severity", "status", "project", "metric_type", "change_percentage", "previous_value",
                  "current_value", "first_seen", "message"]
    parts.append(_table(report["quality_alerts"] + report.get("resolved_alerts", []), alert_cols)
                 if report["quality_alerts"] or report.get("resolved_alerts") else "<p>✅ No quality alerts</p>")
    parts += ["<h2>Recommendations</h2><ul>", *[f"<li>{htmllib.escape(r)}</li>" for r in report["recommendations"]],
              "</ul>", "<h2>Metric trends</h2>"]
    active = {}
    if alerts is not None and alerts.height:
        live = alerts.filter(pl.col("status") != "resolved") if "status" in alerts.columns else alerts
        active = {(r["project"], r["metric"]): r for r in live.to_dicts()}
    reported = {(a["project"], a["metric_type"]): a for a in report["quality_alerts"]}
    first = True
    series = w.partition_by(KEYS, as_dict=True, maintain_order=True)
    rank = {"critical": 0, "warning": 1, "info": 2}
    # Alerting series first (worst first), then the rest in name order: the page opens on what needs doing.
    ordered = sorted(series, key=lambda key: (rank.get(active[key]["severity"], 3) if key in active else 4, key))
    for project, metric in ordered:
        g = series[(project, metric)]
        fig = _series_figure(g, project, metric, end, days, active.get((project, metric)))
        div = fig.to_html(full_html=False, include_plotlyjs=first, div_id=f"chart-{project}-{metric}")
        first = False
        story = html_block(reported[(project, metric)]) if (project, metric) in reported else ""
        parts.append(f"<div class='chart'><h3>{htmllib.escape(project)} / {htmllib.escape(metric)}</h3>{div}{story}</div>")
    if w.is_empty():
        parts.append("<p>No metric points in window.</p>")
    parts += ["<h2>Command statistics</h2>",
              _table(report["command_statistics"], list(report["command_statistics"][0].keys())
                     if report["command_statistics"] else []),
              "<h2>Project insights</h2>",
              _table([{"project": k, **v} for k, v in report["project_insights"].items()],
                     ["project", "executions", "success_rate", "avg_execution_time", "first_run", "last_run",
                      "days_active"]),
              f"<footer><p>Source: {htmllib.escape(report['database_path'] or 'n/a')}</p></footer></body></html>"]
    return "".join(parts)


def render_story_html(story: dict, g: pl.DataFrame, as_of: datetime, days: float) -> str:
    """One series' story as a page: its chart with the located change marked, then the story's text."""
    from sb_pipeline.quality.story import render_story, story_alert_row

    title = f"{story['project']} / {story['metric']}"
    chart = ""
    if g.height:
        fig = _series_figure(g, story["project"], story["metric"], utc(as_of), days, story_alert_row(story))
        chart = fig.to_html(full_html=False, include_plotlyjs=True, div_id="chart-story")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{htmllib.escape(title)}</title><style>{CSS}</style>"
            f"</head><body><div class='chart'>{chart}</div><pre>{htmllib.escape(render_story(story))}</pre></body></html>")
