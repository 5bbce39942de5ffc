"""The conversation analytics dashboard: one self-contained HTML page (plotly embedded once, opens offline).

Beside the quality report (data/reports/conversations-<date>.html): topics over time (stacked weekly bars, for
every project and then each project), session types per week, and the top topics with their labels, sizes,
trends and example conversations. Drawn from the summaries of topic_summary.summarise, so the page shows what
`sb-pipeline topics --project P` prints.
"""

from __future__ import annotations

import html
from pathlib import Path

OTHER = "other topics"
SHOWN_TOPICS = 10
CSS = ("body{font-family:system-ui,sans-serif;margin:1.5em;max-width:1200px}table{border-collapse:collapse;margin:.5em 0}"
       "td,th{border:1px solid #ccc;padding:3px 8px;font-size:90%;vertical-align:top}th{background:#eee}"
       ".chart{border:1px solid #ddd;margin:1em 0;padding:.3em}.rising{color:#080}.fading{color:#c00}")


def _stacked(weekly: list[dict], names: dict[str, str], title: str, div_id: str, include_js: bool) -> str:
    """Stacked weekly bars of `weekly` ([{week, by: {key: n}}]); keys named by `names`, the rest as OTHER."""
    import plotly.graph_objects as go

    weeks = [w["week"] for w in weekly]
    keys = list(names)
    fig = go.Figure()
    for key in keys:
        fig.add_trace(go.Bar(x=weeks, y=[w["by"].get(key, 0) for w in weekly], name=names[key]))
    rest = [sum(n for k, n in w["by"].items() if k not in names) for w in weekly]
    if any(rest):
        fig.add_trace(go.Bar(x=weeks, y=rest, name=OTHER, marker={"color": "#bbb"}))
    fig.update_layout(barmode="stack", title=title, height=360, margin={"l": 40, "r": 20, "t": 50, "b": 30},
                      yaxis={"title": "conversations"}, legend={"orientation": "h"})
    return fig.to_html(full_html=False, include_plotlyjs=include_js, div_id=div_id)


def _topic_table(summary: dict) -> str:
    head = "<tr><th>topic</th><th>terms</th><th>in these weeks</th><th>share</th><th>all time</th><th>first seen</th><th>trend</th><th>examples</th></tr>"
    rows = []
    for t in summary["topics"]:
        trend = t["trend"] or ""
        examples = "<br>".join(f"{html.escape((e['started_at'] or '')[:10])} {html.escape(e['project'] or '')}: "
                               f"{html.escape(e['title'] or '')} <i>({html.escape(e['session_type'] or '')})</i>" for e in t["examples"])
        rows.append(f"<tr><td><b>{html.escape(t['label'] or t['topic_id'])}</b>{' <b>new</b>' if t['new'] else ''}</td>"
                    f"<td>{html.escape(', '.join(t['top_terms'][:8]))}</td><td>{t['conversations']}</td><td>{t['share']:.0%}</td>"
                    f"<td>{t['size']}</td><td>{html.escape((t['first_seen'] or '')[:10])}</td>"
                    f"<td class='{trend}'>{html.escape(trend)}</td><td>{examples}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>" if rows else "<p>No conversations in these weeks.</p>"


def render_dashboard(overall: dict, by_project: dict[str, dict]) -> str:
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Conversations {html.escape(overall['as_of'][:10])}</title>"
             f"<style>{CSS}</style></head><body><h1>What the work was about</h1>",
             f"<p>{overall['weeks']} ISO weeks to {html.escape(overall['as_of'][:10])} (UTC): {overall['conversations']} conversations, "
             f"{overall['topics_total']} topics in all.</p>"]
    first = True
    for name, summary in [("all projects", overall), *by_project.items()]:
        if not summary["conversations"]:
            continue
        names = {t["topic_id"]: t["label"] or t["topic_id"] for t in summary["topics"][:SHOWN_TOPICS]}
        slug = "all" if summary is overall else "p-" + "".join(ch if ch.isalnum() else "-" for ch in name)
        parts.append(f"<h2>{html.escape(name)}</h2><div class='chart'>")
        parts.append(_stacked(summary["weekly"], names, f"Topics per week, {name}", f"topics-{slug}", first))
        first = False
        types = {k: k for k in summary["session_types"]}
        parts.append(_stacked(summary["session_types_weekly"], types, f"Session types per week, {name}", f"types-{slug}", False))
        parts.append("</div>" + _topic_table(summary))
    if first:
        parts.append("<p>No conversations in these weeks.</p>")
    parts.append("</body></html>")
    return "".join(parts)


def write_dashboard(page: str, folder: Path, day: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"conversations-{day}.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path
