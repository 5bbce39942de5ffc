"""The weekly trends of the topics and the dashboard that shows them (wiring; see assets.py for the graph)."""

from datetime import datetime, timezone

import dagster as dg

from sb_pipeline.conversations.dashboard import render_dashboard, write_dashboard
from sb_pipeline.conversations.topic_summary import summarise
from sb_pipeline.conversations.topic_trends import ALL, TREND_WEEKS, mark_trends, weekly_counts
from sb_pipeline.defs.analytics.assets import GROUP, WRITE_POOL, conversation_topics, session_types
from sb_pipeline.defs.automation import DOWNSTREAM_POLICY
from sb_pipeline.defs.resources import QualityResource, WarehouseResource
from sb_pipeline.sources.timestamps import to_utc
from sb_pipeline.warehouse import topics as store


class WeeksConfig(dg.Config):
    as_of: str = ""  # ISO 8601; empty: now. The weeks end here.
    weeks: int = TREND_WEEKS


def _as_of(config: WeeksConfig) -> datetime:
    return to_utc(config.as_of) if config.as_of.strip() else datetime.now(timezone.utc)


@dg.asset(group_name=GROUP, kinds={"duckdb", "python"}, pool=WRITE_POOL, deps=[conversation_topics], **DOWNSTREAM_POLICY)
def topic_trends(config: WeeksConfig, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Conversations and chunks per topic x project x ISO week (table `topic_trends`; project '*' is all of them),
    rising and fading topics marked by a Mann-Kendall rank test over the last weeks."""
    as_of = _as_of(config)
    with warehouse.get_connection(read_only=True) as conn:
        members = store.topic_members(conn)
    trends = mark_trends(weekly_counts(members), as_of, config.weeks)
    with warehouse.get_connection() as conn:
        store.replace_topic_trends(conn, trends, as_of)
    overall = trends.filter(trends["project"] == ALL).unique(["topic_id"])
    return dg.MaterializeResult(metadata={
        "dagster/row_count": dg.MetadataValue.int(trends.height),
        "rising_topics": dg.MetadataValue.int(int((overall["trend"] == "rising").sum()) if overall.height else 0),
        "fading_topics": dg.MetadataValue.int(int((overall["trend"] == "fading").sum()) if overall.height else 0),
        "as_of": dg.MetadataValue.text(as_of.isoformat()),
    })


@dg.asset(group_name=GROUP, kinds={"html"}, pool=WRITE_POOL, deps=[topic_trends, session_types], **DOWNSTREAM_POLICY)
def conversation_report(config: WeeksConfig, quality: QualityResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """`conversations-<date>.html` beside the quality report (self-contained, offline): topics over time per project,
    session types per week, the top topics with labels, sizes, trends and example conversations."""
    as_of = _as_of(config)
    with warehouse.get_connection(read_only=True) as conn:
        frames = store.analytics_frames(conn)
    overall = summarise(frames, as_of, config.weeks)
    projects = sorted(p for p in frames["conversations"]["project"].drop_nulls().unique().to_list())
    by_project = {p: summarise(frames, as_of, config.weeks, project=p) for p in projects}
    path = write_dashboard(render_dashboard(overall, by_project), quality.reports(), as_of.date().isoformat())
    top = overall["topics"][0] if overall["topics"] else None
    return dg.MaterializeResult(metadata={
        "dashboard": dg.MetadataValue.url(path.resolve().as_uri()), "html": dg.MetadataValue.path(str(path)),
        "topics": dg.MetadataValue.int(overall["topics_total"]),
        "conversations_in_weeks": dg.MetadataValue.int(overall["conversations"]),
        "largest_share": dg.MetadataValue.float(top["share"] if top else 0.0),
        "largest_topic": dg.MetadataValue.text(top["label"] if top else "-"),
        "new_topics_this_week": dg.MetadataValue.int(overall["new_topics_this_week"]),
        "session_types": dg.MetadataValue.json(overall["session_types"]),
    })
