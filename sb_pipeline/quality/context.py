"""What was happening when a quality series changed: the same project's sessions around ``change_at``.

The quality flow does not search conversations itself (the three domain packages are independent). The wiring
(sb_pipeline/defs/quality/sessions.py, used by the report asset and the CLI) takes each alert's project and
``change_at``, finds that project's conversations in ``session_window`` and ranks them with the project's
search by relevance to ``session_query(metric)``. It hands the result back as plain data, one ``context`` dict
per alert, which this module names, summarises and renders:

    {"window": [start ISO, end ISO], "project_conversations": int, "notice": str | None,
     "sessions": [{"conversation_id", "started_at", "title", "snippet", "source_ref", "kind", "score"}, ...]}

An alert whose project has no conversations in the warehouse says so, rather than showing nothing.
"""

from __future__ import annotations

import html as htmllib
from datetime import datetime, timedelta

SESSION_DAYS_BEFORE, SESSION_DAYS_AFTER = 2.0, 1.0
SHOWN = 5  # sessions listed per alert
METRIC_WORDS = {  # the words of each metric and its tools, the query the sessions are ranked by
    "lint_score": "lint linter ruff flake8 pyright mypy warnings formatter style errors",
    "code_coverage": "coverage tests pytest untested test suite cov",
    "test_pass_rate": "tests failing pytest test failures flaky",
    "complexity_score": "complexity cyclomatic refactor radon complex functions",
    "security_score": "security bandit vulnerability secrets audit",
    "build_status": "build failing broken ci pipeline install crackerjack",
}


def session_query(metric: str) -> str:
    return METRIC_WORDS.get(metric, metric.replace("_", " "))


def session_window(change_at: datetime, before_days: float = SESSION_DAYS_BEFORE,
                   after_days: float = SESSION_DAYS_AFTER) -> tuple[datetime, datetime]:
    return change_at - timedelta(days=before_days), change_at + timedelta(days=after_days)


def context(window: tuple[datetime, datetime], project_conversations: int, sessions: list[dict],
            notice: str | None = None) -> dict:
    """The plain-data record of one alert's sessions (see the module docstring)."""
    return {"window": [window[0].isoformat(), window[1].isoformat()], "project_conversations": project_conversations,
            "notice": notice, "sessions": sessions}


def unavailable(reason: str) -> dict:
    """The record when no conversations could be read at all (no warehouse, a busy one)."""
    return {"window": None, "project_conversations": None, "notice": reason, "sessions": []}


def note(ctx: dict | None, project: str) -> str:
    """One sentence on what the sessions list holds, or why it is empty."""
    if ctx is None:
        return "sessions around the change were not looked up"
    if ctx["project_conversations"] is None:
        return f"no sessions shown: {ctx['notice']}"
    if ctx["project_conversations"] == 0:
        return f"no conversations for project {project} in the warehouse"
    start, end = (w[:10] for w in ctx["window"])
    if not ctx["sessions"]:
        return f"no session of {project} between {start} and {end} ({ctx['project_conversations']} in all)"
    days = round((datetime.fromisoformat(ctx["window"][1]) - datetime.fromisoformat(ctx["window"][0])).total_seconds() / 86400)
    n = len(ctx["sessions"])
    return f"{n} session{'s' if n != 1 else ''} of {project} in the {days:g} days around it ({start} to {end})"


def headline(alert: dict) -> str:
    """'lint_score in orbit-api fell 26 % from 2026-11-06; in the 3 days around it: "switch the formatter ..."
    (2 sessions)'."""
    verb = "fell" if alert["change_percentage"] < 0 else "rose"
    since = (alert.get("change_at") or "")[:10] or "n/a"
    text = f"{alert['metric_type']} in {alert['project']} {verb} {abs(alert['change_percentage']):.0f} % from {since}"
    ctx = alert.get("sessions")
    if ctx and ctx["sessions"]:
        days = round((datetime.fromisoformat(ctx["window"][1]) - datetime.fromisoformat(ctx["window"][0])).total_seconds() / 86400)
        n = len(ctx["sessions"])
        return f"{text}; in the {days:g} days around it: '{_short(ctx['sessions'][0]['title'], 80)}' ({n} session{'s' if n != 1 else ''})"
    return f"{text}; {note(ctx, alert['project'])}"


def _short(text: str | None, width: int) -> str:
    text = (text or "").strip()
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def markdown_lines(ctx: dict | None, indent: str = "  ") -> list[str]:
    """The sessions as nested markdown bullets (date, title, snippet, source_ref), best first."""
    if not ctx or not ctx["sessions"]:
        return []
    return [f"{indent}- {(s['started_at'] or 'n/a')[:10]} **{_short(s['title'], 80)}** — {_short(s['snippet'], 160)} "
            f"(`{s['source_ref']}`)" for s in ctx["sessions"][:SHOWN]]


def html_block(alert: dict) -> str:
    """The headline and the sessions as an HTML list."""
    ctx = alert.get("sessions")
    items = "".join(f"<li>{htmllib.escape((s['started_at'] or 'n/a')[:10])} <b>{htmllib.escape(_short(s['title'], 80))}</b>"
                    f" — {htmllib.escape(_short(s['snippet'], 200))} <code>{htmllib.escape(s['source_ref'])}</code></li>"
                    for s in (ctx or {}).get("sessions", [])[:SHOWN])
    return f"<p>{htmllib.escape(headline(alert))}</p>" + (f"<ul>{items}</ul>" if items else "")
