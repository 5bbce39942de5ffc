"""Source sensors: a change requests one run, no change skips, and nothing is opened or written."""

import hashlib
import json
import shutil

import dagster as dg

from sb_pipeline.defs.resources import ConversationSourcesResource, QualityResource
from sb_pipeline.defs.sensors import new_conversations_sensor, new_crackerjack_runs_sensor
from sb_pipeline_tests.conftest import SAMPLES


def tick(sensor, cursor, **resources):
    with dg.instance_for_test() as instance:
        return sensor(dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources))


def digest_tree(root):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def test_conversation_sources_change_means_one_run(tmp_path):
    samples = tmp_path / "samples"
    shutil.copytree(SAMPLES, samples)
    sources = ConversationSourcesResource(reflection_db=str(samples / "reflection.duckdb"), transcripts_dir=str(samples / "transcripts"),
                                          inbox_dir=str(samples / "inbox"), snapshot_dir=str(tmp_path / "snap"))
    before = digest_tree(samples)
    first = tick(new_conversations_sensor, None, conversation_sources=sources)
    (request,) = first.run_requests
    assert request.run_key.startswith("conversations-") and json.loads(first.cursor)["files"] > 20
    assert isinstance(tick(new_conversations_sensor, first.cursor, conversation_sources=sources), dg.SkipReason)
    (samples / "inbox" / "later.jsonl").write_text('{"id": "x", "content": "a new conversation arrived in the inbox just now"}\n')
    second = tick(new_conversations_sensor, first.cursor, conversation_sources=sources)
    assert second.run_requests[0].run_key != request.run_key and second.cursor != first.cursor
    before["later.jsonl"] = hashlib.sha256((samples / "inbox" / "later.jsonl").read_bytes()).hexdigest()
    assert digest_tree(samples) == before, "a sensor never writes a source"


def test_crackerjack_sensor_and_a_missing_database(tmp_path):
    db = tmp_path / "crackerjack_integration.db"
    quality = QualityResource(crackerjack_db=str(db), snapshot_dir=str(tmp_path / "s"), reports_dir=str(tmp_path / "r"))
    missing = tick(new_crackerjack_runs_sensor, None, quality=quality)  # no database yet: one cheap run reports it
    assert len(missing.run_requests) == 1
    assert isinstance(tick(new_crackerjack_runs_sensor, missing.cursor, quality=quality), dg.SkipReason)
    shutil.copyfile(SAMPLES / "crackerjack_integration.db", db)
    appeared = tick(new_crackerjack_runs_sensor, missing.cursor, quality=quality)
    assert appeared.run_requests[0].run_key.startswith("crackerjack-") and appeared.cursor != missing.cursor


def test_embedding_backfill_follows_the_event_log(tmp_path):
    from sb_pipeline.defs.resources import EmbedderResource
    from sb_pipeline.defs.sensors import embedding_backfill_sensor
    from sb_pipeline.embedding.model_store import cached_model_id
    from sb_pipeline_tests.conftest import REPO

    embedder = EmbedderResource(model_dir=str(REPO / "data" / "models"))
    current = cached_model_id(REPO / "data" / "models")
    assert current and current.startswith("all-MiniLM-L6-v2/fp32/")

    def report(asset, **metadata):
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=asset, metadata=metadata))

    def evaluate():
        return embedding_backfill_sensor(dg.build_sensor_context(instance=instance, resources={"embedder": embedder}))

    with dg.instance_for_test() as instance:
        assert isinstance(evaluate(), dg.SkipReason)  # nothing built yet: nothing to backfill
        report("conversation_embeddings", model_id=current, chunk_coverage_pct=100.0)
        report("entity_embeddings", model_id=current, coverage=1.0)
        assert isinstance(evaluate(), dg.SkipReason)
        report("conversation_embeddings", model_id=current, chunk_coverage_pct=97.5)
        first = evaluate()
        assert [k.to_user_string() for k in first.asset_selection] == ["conversation_embeddings"]
        assert "coverage_below_full" in first.tags["sb/backfill"]
        assert evaluate().run_key == first.run_key  # the same stale state: the same key, launched once
        report("entity_embeddings", model_id="all-MiniLM-L6-v2/fp32/000000000000", coverage=1.0)
        both = evaluate()
        assert {k.to_user_string() for k in both.asset_selection} == {"conversation_embeddings", "entity_embeddings"}
        assert "model_changed" in both.tags["sb/backfill"] and both.run_key != first.run_key
