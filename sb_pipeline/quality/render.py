"""Markdown and files for the quality report dict of ``report.build_report`` (the HTML is in ``render_html``).

- ``render_markdown``: the seed's layout; never crashes on an empty window (None prints as "n/a") and says
  "no data in window" instead. Each alert says when its level changed and lists the same project's sessions
  around that time (or why there are none).
- ``write_report_files``: ``quality-<YYYY-MM-DD>.md/.json/.html`` in a folder.
"""

from __future__ import annotations

import json
import datetime as dt
from datetime import datetime
from pathlib import Path

from sb_pipeline.quality.context import headline, markdown_lines
from sb_pipeline.quality.render_html import render_html
from sb_pipeline.quality.trends import utc

__all__ = ["render_html", "render_markdown", "write_report_files"]

SEVERITY_ICON = {"critical": "🔴", "warning": "🟡", "info": "🔵"}
DIRECTION_ICON = {"improving": "📈", "declining": "📉", "stable": "➡️"}
STRENGTH_ICON = {"strong": "⚡", "moderate": "🔄", "weak": "📍"}


def _f(value, fmt: str = ".2f", suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{fmt}}{suffix}"


def _short(path: str, width: int = 50) -> str:
    return path if len(path) <= width else "..." + path[-(width - 3):]


def _alert_lines(alerts: list[dict], with_sessions: bool = True) -> list[str]:
    """One line per alert (first_seen: the first report that raised it), then when the level changed and the
    sessions around that time."""
    lines = []
    for a in alerts:
        lines.append(f"- {SEVERITY_ICON.get(a['severity'], '⚪')} **{a['severity'].upper()}** ({a['status']}) "
                     f"`{a['project']}` {a['metric_type']}: {a['message']} — since {a['first_seen'] or 'n/a'}")
        if with_sessions and a.get("change_at"):
            ci = a.get("change_ci_pct")
            p = "p < 1e-06" if a["p_value"] == 0 else f"p = {a['p_value']:.3g}"
            test = f"{p}, {a['runs_before']} runs before / {a['runs_after']} after" + (
                f", change {ci[0]:+.1f} to {ci[1]:+.1f} % (95 %)" if ci else "")
            lines += [f"  - {headline(a)} ({test}; first degraded run `{a['change_run_id']}`)", *markdown_lines(a.get("sessions"), "    ")]
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
        body += ["", "Resolved since the previous run:", *_alert_lines(resolved, with_sessions=False)]
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
