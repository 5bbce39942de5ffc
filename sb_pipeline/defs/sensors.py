"""Sensors that turn "a source changed" into one run of the flow that reads it.

They look at file names, sizes and mtimes only (`sources.fingerprint`): never the warehouse, never a
lock on a user's database. The cursor is the digest of what was seen; the run key is that digest,
so a re-evaluated tick cannot launch the same run twice.
"""

import json
from pathlib import Path

import dagster as dg

from sb_pipeline.defs.resources import ConversationSourcesResource, QualityResource
from sb_pipeline.sources.fingerprint import fingerprint


def _changed(context: dg.SensorEvaluationContext, name: str, seen: dict) -> dg.SensorResult | dg.SkipReason:
    previous = json.loads(context.cursor) if context.cursor else {}
    if previous.get("digest") == seen["digest"]:
        return dg.SkipReason(f"no change in {seen['files']} watched files")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=f"{name}-{seen['digest']}")], cursor=json.dumps(seen))


@dg.sensor(target=dg.AssetSelection.assets("raw_conversations"), default_status=dg.DefaultSensorStatus.RUNNING,
           minimum_interval_seconds=60)
def new_conversations_sensor(context: dg.SensorEvaluationContext, conversation_sources: ConversationSourcesResource):
    """Session Buddy's reflection DB (and its WAL), the Claude Code transcripts and the inbox: when any
    changed, one run of raw_conversations; chunks and embeddings follow by automation."""
    seen = fingerprint(files=[Path(conversation_sources.reflection_db)],
                       folders=[(Path(conversation_sources.transcripts_dir), "*.jsonl"), (Path(conversation_sources.inbox_dir), "*.jsonl")])
    return _changed(context, "conversations", seen)


@dg.sensor(target=dg.AssetSelection.assets("crackerjack_runs", "quality_metric_points"),
           default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=60)
def new_crackerjack_runs_sensor(context: dg.SensorEvaluationContext, quality: QualityResource):
    """Crackerjack's SQLite database (and its WAL): when it changed, one run of the quality source assets;
    trends, alerts and the report follow by automation."""
    return _changed(context, "crackerjack", fingerprint(files=[Path(quality.crackerjack_db)]))
