"""What the work was about over the last weeks: one dict that `sb-pipeline topics`, the MCP tool
`conversation_topics` and the HTML dashboard all show.

Built from the warehouse's analytics frames (warehouse.topics.analytics_frames): the weeks ending at as_of, the
topics with the most conversations in them (their label, terms, all-time size, first and last seen, trend and a
few example conversations, the most typical first), the conversations per week per topic, and the session types
per week.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from sb_pipeline.conversations.topic_trends import ALL, week_start

EXAMPLES = 3


def summarise(frames: dict[str, pl.DataFrame], as_of: datetime, weeks: int = 8, project: str | None = None,
              top: int = 10) -> dict:
    start = week_start(as_of) - timedelta(weeks=weeks - 1)
    conversations = frames["conversations"].filter(pl.col("started_at").is_not_null() & (pl.col("started_at") >= start)
                                                   & (pl.col("started_at") <= as_of))
    if project is not None:
        conversations = conversations.filter(pl.col("project") == project)
    conversations = conversations.with_columns(
        week=pl.col("started_at").dt.convert_time_zone("UTC").dt.truncate("1w").dt.strftime("%G-W%V"))
    topics = frames["topics"]
    trends = _trend_marks(frames["trends"], project or ALL)
    counts = (conversations.filter(pl.col("topic_id").is_not_null()).group_by("topic_id").agg(conversations=pl.len())
              .sort(["conversations", "topic_id"], descending=[True, False]))
    total = conversations.height
    rows = []
    for topic_id, n in counts.head(top).iter_rows():
        t = topics.filter(pl.col("topic_id") == topic_id).row(0, named=True) if topic_id in topics["topic_id"] else None
        examples = (conversations.filter(pl.col("topic_id") == topic_id).sort(["weight", "started_at"], descending=[True, True])
                    .head(EXAMPLES).select("conversation_id", "project", "started_at", "title", "session_type"))
        rows.append({
            "topic_id": topic_id, "label": t["label"] if t else None, "top_terms": list(t["top_terms"]) if t else [],
            "conversations": n, "share": round(n / total, 4) if total else 0.0, "size": t["size"] if t else None,
            "first_seen": _iso(t["first_seen"]) if t else None, "last_seen": _iso(t["last_seen"]) if t else None,
            "new": bool(t and t["first_seen"] is not None and week_start(as_of) <= t["first_seen"] <= as_of),
            "trend": trends.get(topic_id), "examples": [{**e, "started_at": _iso(e["started_at"])} for e in examples.to_dicts()],
        })
    this_week = week_start(as_of)
    fresh = topics.filter(pl.col("first_seen").is_not_null() & (pl.col("first_seen") >= this_week) & (pl.col("first_seen") <= as_of))
    return {
        "as_of": as_of.isoformat(), "weeks": weeks, "project": project, "conversations": total,
        "topics_total": topics.height, "new_topics_this_week": fresh.height, "topics": rows,
        "weekly": _weekly(conversations, "topic_id"), "session_types": _counts(conversations, "session_type"),
        "session_types_weekly": _weekly(conversations, "session_type"),
    }


def _trend_marks(trends: pl.DataFrame, project: str) -> dict[str, str | None]:
    if not trends.height:
        return {}
    latest = trends.filter(pl.col("project") == project).unique("topic_id", keep="last")
    return dict(zip(latest["topic_id"].to_list(), latest["trend"].to_list()))


def _weekly(conversations: pl.DataFrame, column: str) -> list[dict]:
    if not conversations.height:
        return []
    table = (conversations.with_columns(pl.col(column).fill_null("(none)"))
             .group_by("week", column).agg(n=pl.len()).sort("week", column))
    out: dict[str, dict] = {}
    for week, key, n in table.iter_rows():
        entry = out.setdefault(week, {"week": week, "conversations": 0, "by": {}})
        entry["conversations"] += n
        entry["by"][key] = n
    return list(out.values())


def _counts(conversations: pl.DataFrame, column: str) -> dict[str, int]:
    if not conversations.height:
        return {}
    table = conversations.with_columns(pl.col(column).fill_null("(none)")).group_by(column).agg(n=pl.len()).sort(column)
    return dict(table.iter_rows())


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value
