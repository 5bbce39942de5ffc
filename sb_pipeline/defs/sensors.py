"""Sensors that turn "a source changed" into one run of the flow that reads it.

They look at file names, sizes and mtimes only (`sources.fingerprint`): never the warehouse, never a
lock on a user's database. The cursor is the digest of what was seen; the run key is that digest,
so a re-evaluated tick cannot launch the same run twice.
"""

import hashlib
import json

import dagster as dg

from sb_pipeline.defs.resources import ConversationSourcesResource, EmbedderResource, QualityResource
from sb_pipeline.embedding.model_store import cached_model_id
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
    files, folders = conversation_sources.watched()
    return _changed(context, "conversations", fingerprint(files=files, folders=folders))


@dg.sensor(target=dg.AssetSelection.assets("crackerjack_runs", "quality_metric_points"),
           default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=60)
def new_crackerjack_runs_sensor(context: dg.SensorEvaluationContext, quality: QualityResource):
    """Crackerjack's SQLite database (and its WAL): when it changed, one run of the quality source assets;
    trends, alerts and the report follow by automation."""
    return _changed(context, "crackerjack", fingerprint(files=[quality.crackerjack_path]))


FULL_COVERAGE = {"conversation_embeddings": ("chunk_coverage_pct", 100.0), "entity_embeddings": ("coverage", 1.0)}


@dg.sensor(target=dg.AssetSelection.assets(*FULL_COVERAGE), default_status=dg.DefaultSensorStatus.RUNNING,
           minimum_interval_seconds=120)
def embedding_backfill_sensor(context: dg.SensorEvaluationContext, embedder: EmbedderResource):
    """Re-embed when vectors are stale: the model id changed, or coverage fell below 100 % for any reason.

    It reads the latest materialization metadata from Dagster's event log, never the warehouse, and the
    current model id from the model cache's manifest. A plain run, not partitions: the embedding assets
    embed exactly what lacks a vector for the current model, in groups that each commit, so one run is
    idempotent and resumes where an interrupted one stopped. The run key includes the latest event's
    timestamp, so the same stale state never launches twice, and a still-stale result after a run
    does launch again."""
    current = cached_model_id(embedder.models(), embedder.profile)
    stale, evidence = [], {}
    for key, (field, full) in FULL_COVERAGE.items():
        event = context.instance.get_latest_materialization_event(dg.AssetKey(key))
        if event is None or event.asset_materialization is None:
            continue  # never built: the schedule or automation builds it first
        metadata = event.asset_materialization.metadata
        model = getattr(metadata.get("model_id"), "value", None)
        coverage = getattr(metadata.get(field), "value", None)
        reasons = [r for r, bad in (("model_changed", current is not None and model != current),
                                    ("coverage_below_full", coverage is not None and coverage < full)) if bad]
        if reasons:
            stale.append(key)
            evidence[key] = {"reasons": reasons, "model_id": model, "current_model_id": current, field: coverage,
                             "event_time": event.timestamp}
    if not stale:
        return dg.SkipReason("embeddings are current: full coverage for the current model")
    key = hashlib.sha256(json.dumps(evidence, sort_keys=True).encode()).hexdigest()[:16]
    return dg.RunRequest(run_key=f"embedding-backfill-{key}", asset_selection=[dg.AssetKey(k) for k in stale],
                         tags={"sb/backfill": ",".join(f"{k}:{'+'.join(v['reasons'])}" for k, v in evidence.items())})
