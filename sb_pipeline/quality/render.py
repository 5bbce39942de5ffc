"""Markdown, HTML (plotly, offline) and files for the quality report dict of ``report.build_report``.

- ``render_markdown``: the seed's layout; never crashes on an empty window (None prints as "n/a") and says
  "no data in window" instead.
- ``render_html``: one self-contained page. The plotly.js bundle is embedded ONCE (the first figure uses
  ``include_plotlyjs=True``, the others ``False``), so the page opens offline; no CDN, no ``<script src>``.
  One chart per project x metric: the points over time (older formula era in grey), the Theil-Sen line over
  the latest era, and, where an alert is active, the recent window shaded red with the severity in the title.
- ``write_report_files``: ``quality-<YYYY-MM-DD>.md/.json/.html`` in a folder.
"""

from __future__ import annotations

import html as htmllib
import json
import datetime as dt
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from sb_pipeline.quality.alerts import default_recent_days
from sb_pipeline.quality.trends import KEYS, theil_sen, utc, window

SEVERITY_ICON = {"critical": "🔴", "warning": "🟡", "info": "🔵"}
DIRECTION_ICON = {"improving": "📈", "declining": "📉", "stable": "➡️"}
STRENGTH_ICON = {"strong": "⚡", "moderate": "🔄", "weak": "📍"}


def _f(value, fmt: str = ".2f", suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{fmt}}{suffix}"


def _short(path: str, width: int = 50) -> str:
    return path if len(path) <= width else "..." + path[-(width - 3):]


def _alert_lines(alerts: list[dict]) -> list[str]:
    lines = []
    for a in alerts:
        lines.append(f"- {SEVERITY_ICON.get(a['severity'], '⚪')} **{a['severity'].upper()}** ({a['status']}) "
                     f"`{a['project']}` {a['metric_type']}: {a['message']} — since {a['first_seen'] or 'n/a'}")
    return lines


def render_markdown(report: dict) -> str:
    """The report in the seed's markdown layout: the title block, then one section per part of the report."""
    sections = [_title_block(report), _executive_summary(report), _quality_alerts(report), _metric_trends(report),
                _command_statistics(report), _performance_metrics(report), _project_insights(report),
                _recommendations(report), _footer(report)]
    return "\n\n".join("\n".join(lines) for lines in sections)  # a blank line between sections


def _section(heading: str, body: list[str]) -> list[str]:
    return [heading, "", *body]


def _title_block(report: dict) -> list[str]:
    scope = f" — project `{report['project']}`" if report.get("project") else ""
    return ["# Crackerjack Quality Report", "",
            f"**Generated:** {report['report_generated']} (as_of, UTC)  ",
            f"**Analysis period:** {report['analysis_period_days']} days{scope}"]


def _executive_summary(report: dict) -> list[str]:
    """Says "no data in window" when the window holds neither runs nor metric points, rather than a page of n/a."""
    s = report["summary"]
    empty = not s["total_records"] and not s["metric_records"]
    note = ["_No data in window: no Crackerjack runs or metric points in the analysis period._", ""] if empty else []
    return _section("## 📊 Executive Summary", [
        *note,
        f"- **Total executions:** {s['total_records']}",
        f"- **Success rate:** {_f(s['success_rate'], '.1f', '%')}",
        f"- **Unique commands:** {s['unique_commands']}",
        f"- **Average execution time:** {_f(s['avg_execution_time'], '.3f', 's')}",
        f"- **Metric records:** {s['metric_records']} ({s['metric_types']} types)",
        f"- **Period:** {s['first_record'] or 'n/a'} → {s['last_record'] or 'n/a'}",
    ])


def _quality_alerts(report: dict) -> list[str]:
    active, resolved = report["quality_alerts"], report.get("resolved_alerts", [])
    body = _alert_lines(active) if active else ["✅ No quality alerts"]
    if resolved:
        body += ["", "Resolved since the previous run:", *_alert_lines(resolved)]
    return _section("## 🚨 Quality Alerts", body)


def _metric_trends(report: dict) -> list[str]:
    if not report["metric_trends"]:
        return _section("## 📈 Metric Trends", ["No metric points in window."])
    header = ["| Series | Direction | Previous | Current | Change | Slope/day (95% CI) | Points |",
              "|---|---|---|---|---|---|---|"]
    return _section("## 📈 Metric Trends", header + [_trend_row(key, t) for key, t in report["metric_trends"].items()])


def _trend_row(key: str, t: dict) -> str:
    """One series: direction and strength with their icons, values, change, Theil-Sen slope with its 95% CI."""
    ci = t["slope_ci"]
    slope = "n/a" if t["slope_per_day"] is None else (
        f"{t['slope_per_day']:+.3f} [{ci[0]:+.3f}, {ci[1]:+.3f}]" if ci else f"{t['slope_per_day']:+.3f}")
    era = " (era break)" if t["era_break"] else ""
    return (f"| {key}{era} | {DIRECTION_ICON.get(t['direction'], '')} {t['direction']} "
            f"{STRENGTH_ICON.get(t['strength'], '')} {t['strength']} | {_f(t['previous_value'])} | "
            f"{_f(t['current_value'])} | {_f(t['change'], '+.2f')} ({_f(t['change_percentage'], '+.1f', '%')})"
            f" | {slope} | {t['data_points']} |")


def _command_statistics(report: dict) -> list[str]:
    """At most 15 commands (the report keeps those with at least 3 runs)."""
    if not report["command_statistics"]:
        return _section("## 🔧 Command Statistics", ["No command with at least 3 runs in window."])
    rows = [f"| `{c['command']}` | {c['total_executions']} | {_f(c['success_rate'], '.1f', '%')} | "
            f"{_f(c['avg_execution_time'], '.3f', 's')} | {c['failure_count']} |"
            for c in report["command_statistics"][:15]]
    return _section("## 🔧 Command Statistics",
                    ["| Command | Executions | Success rate | Avg time | Failures |", "|---|---|---|---|---|", *rows])


def _performance_metrics(report: dict) -> list[str]:
    p = report["performance_metrics"]
    body = [f"- **Average:** {_f(p['avg_execution_time'], '.3f', 's')}; **min** {_f(p['min_execution_time'], '.3f', 's')}; "
            f"**max** {_f(p['max_execution_time'], '.3f', 's')} over {p['total_executions']} timed runs"]
    for title, key in (("Slowest commands", "slowest_commands"), ("Fastest commands", "fastest_commands")):
        body += ["", f"**{title}:**"]
        body += [f"- `{c['command']}`: {_f(c['avg_time'], '.3f', 's')}" for c in p[key]] or ["- none"]
    return _section("## ⚡ Performance Metrics", body)


def _project_insights(report: dict) -> list[str]:
    """At most 10 projects, long paths shortened from the left."""
    if not report["project_insights"]:
        return _section("## 📁 Project Insights", ["No project with at least 3 runs in window."])
    rows = [f"| `{_short(name)}` | {r['executions']} | {_f(r['success_rate'], '.1f', '%')} | "
            f"{_f(r['avg_execution_time'], '.3f', 's')} | {r['days_active']} |"
            for name, r in list(report["project_insights"].items())[:10]]
    return _section("## 📁 Project Insights",
                    ["| Project | Executions | Success rate | Avg time | Days active |", "|---|---|---|---|---|", *rows])


def _recommendations(report: dict) -> list[str]:
    return _section("## 💡 Recommendations", [f"{i}. {r}" for i, r in enumerate(report["recommendations"], 1)])


def _footer(report: dict) -> list[str]:
    return ["---", f"*Report generated from {report['database_path'] or 'n/a'} "
            f"(schema {report.get('schema_version', 'n/a')})*", ""]


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
        split = end - timedelta(days=default_recent_days(days))
        fig.add_vrect(x0=split.isoformat(), x1=end.isoformat(), fillcolor="red", opacity=0.12, line_width=0)
        title += f" — {alert['severity'].upper()} ({alert.get('status', 'new')}): {alert['change_pct']:+.1f}%"
    fig.update_layout(title=title, height=320, margin={"l": 40, "r": 20, "t": 50, "b": 30},
                      xaxis={"range": [(end - timedelta(days=days)).isoformat(), end.isoformat()]},
                      yaxis={"title": metric}, legend={"orientation": "h"})
    return fig


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
        parts.append(f"<div class='chart'><h3>{htmllib.escape(project)} / {htmllib.escape(metric)}</h3>{div}</div>")
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


def write_report_files(report: dict, markdown: str, html: str, folder: Path | str,
                       date: dt.date | datetime | str | None = None) -> dict[str, Path]:
    """Write ``quality-<YYYY-MM-DD>.md/.json/.html`` into ``folder`` (created); returns {"md", "json", "html"}
    -> path. ``date`` defaults to the report's as_of date (a datetime is taken in UTC)."""
    if date is None:
        date = report["as_of"][:10]
    if isinstance(date, datetime):
        date = utc(date).date()
    stamp = date if isinstance(date, str) else date.isoformat()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {ext: folder / f"quality-{stamp}.{ext}" for ext in ("md", "json", "html")}
    paths["md"].write_text(markdown, encoding="utf-8")
    paths["json"].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["html"].write_text(html, encoding="utf-8")
    return paths
