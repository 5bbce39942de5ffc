"""What each topic's share of the work was, week by week, and which topics are rising or fading.

Weeks are ISO weeks (Monday 00:00 UTC). For every topic x project x week: conversations, their chunks, and the
topic's share of that project's conversations that week; project '*' is every project together, '(none)' the
conversations filed under no project. A series is marked `rising` or `fading` by a rank test over its last
TREND_WEEKS weeks ending at as_of (weeks without conversations count as share 0): Kendall's tau between week
and share (the Mann-Kendall trend test), at p < ALPHA; `steady` otherwise; null when the project had
conversations in fewer than MIN_ACTIVE_WEEKS of those weeks (too little to say).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl

TREND_WEEKS = 8
ALPHA = 0.05
MIN_ACTIVE_WEEKS = 4
ALL, NONE = "*", "(none)"


def week_start(instant: datetime) -> datetime:
    day = instant.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def weekly_counts(rows: pl.DataFrame) -> pl.DataFrame:
    """From (conversation_id, topic_id, project, started_at, chunks): topic_id, project, week, iso_week,
    conversations, chunks, share; every project and '*' (all together)."""
    frame = (rows.filter(pl.col("started_at").is_not_null())
             .with_columns(project=pl.col("project").fill_null(NONE),
                           week=pl.col("started_at").dt.convert_time_zone("UTC").dt.truncate("1w").dt.date()))
    both = pl.concat([frame, frame.with_columns(project=pl.lit(ALL))])
    counts = both.group_by("topic_id", "project", "week").agg(conversations=pl.len().cast(pl.Int32),
                                                              chunks=pl.col("chunks").sum().cast(pl.Int32))
    totals = counts.group_by("project", "week").agg(total=pl.col("conversations").sum())
    return (counts.join(totals, on=["project", "week"])
            .with_columns(share=pl.col("conversations") / pl.col("total"),
                          iso_week=pl.col("week").dt.strftime("%G-W%V"))
            .select("topic_id", "project", "week", "iso_week", "conversations", "chunks", "share")
            .sort("project", "week", "topic_id"))


def mark_trends(weekly: pl.DataFrame, as_of: datetime, weeks: int = TREND_WEEKS) -> pl.DataFrame:
    """`weekly` with trend (rising | fading | steady | null), trend_tau and trend_p per topic x project series."""
    last = week_start(as_of).date()
    window = [last - timedelta(weeks=i) for i in reversed(range(weeks))]
    recent = weekly.filter(pl.col("week").is_in(window))
    active = recent.group_by("project").agg(active=pl.col("week").n_unique())
    marks = []
    for (topic, project), series in recent.partition_by("topic_id", "project", as_dict=True).items():
        shares = dict(zip(series["week"].to_list(), series["share"].to_list()))
        marks.append((topic, project, *_trend([shares.get(w, 0.0) for w in window])))
    schema = {"topic_id": pl.Utf8, "project": pl.Utf8, "trend": pl.Utf8, "trend_tau": pl.Float64, "trend_p": pl.Float64}
    marked = pl.DataFrame(marks, schema=schema, orient="row").join(active, on="project", how="left").with_columns(
        trend=pl.when(pl.col("active") >= MIN_ACTIVE_WEEKS).then(pl.col("trend")),
        trend_tau=pl.when(pl.col("active") >= MIN_ACTIVE_WEEKS).then(pl.col("trend_tau")),
        trend_p=pl.when(pl.col("active") >= MIN_ACTIVE_WEEKS).then(pl.col("trend_p"))).drop("active")
    return weekly.join(marked, on=["topic_id", "project"], how="left")


def _trend(shares: list[float]) -> tuple[str, float, float]:
    from scipy.stats import kendalltau
    values = np.asarray(shares, dtype=float)
    if np.ptp(values) == 0:
        return "steady", 0.0, 1.0
    tau, p = kendalltau(np.arange(values.size), values)
    tau, p = float(tau), float(p)
    return ("rising" if tau > 0 else "fading") if p < ALPHA else "steady", round(tau, 4), round(p, 6)
