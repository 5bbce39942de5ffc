"""Streaming keeps the conversation flow's memory bounded and changes nothing it stores.

The readers' `iter_*` pieces add up to their `read_*` results; `raw_conversations`, reading a few rows
at a time, stores exactly what reading everything at once and `oracles.prepare_all` +
`upsert_conversations` give (every copy and id clash decided across batches); chunks and vectors made
a conversation / a few texts at a time equal those of one batch. On the samples and on the hostile corpus.
"""

from __future__ import annotations

import json
import shutil

import dagster as dg
import numpy as np
import polars as pl
import pytest

from sb_pipeline_tests.oracles import prepare_all
from sb_pipeline.records import quarantine_frame
from sb_pipeline.defs.conversations import assets
from sb_pipeline.defs.conversations.assets import raw_conversations
from sb_pipeline.defs.resources import ConversationSourcesResource, WarehouseResource
from sb_pipeline.records import SourceRead
from sb_pipeline.sources import inbox, reflection_db, transcripts
from sb_pipeline.warehouse import connect
from sb_pipeline.warehouse.conversations import CONVERSATION_COLUMNS
from sb_pipeline_tests.conftest import SAMPLES
from sb_pipeline_tests.conftest import materialization_metadata as meta
from sb_pipeline_tests.hostile_corpus import build_corpus
from sb_pipeline_tests.test_pipeline import run_flow

pytestmark = pytest.mark.slow  # the conversation flow several times in tiny batches, about a minute


@pytest.fixture(scope="module", params=["samples", "hostile"])
def sources(request, tmp_path_factory) -> dict:
    if request.param == "samples":
        root = SAMPLES
    else:
        root = build_corpus(tmp_path_factory.mktemp("hostile") / "sources").root
    return {"reflection_db": root / "reflection.duckdb", "transcripts_dir": root / "transcripts", "inbox_dir": root / "inbox"}


def by_ref(frame: pl.DataFrame) -> list[dict]:
    return sorted(frame.to_dicts(), key=lambda r: json.dumps(r, sort_keys=True, default=str))


def test_reader_pieces_add_up_to_the_whole_read(sources, tmp_path):
    whole = transcripts.read_transcripts(sources["transcripts_dir"])
    pieces = list(transcripts.iter_transcripts(sources["transcripts_dir"], batch_bytes=1))
    assert len(pieces) > 1
    assert by_ref(pl.concat([p.records for p in pieces])) == by_ref(whole.records)
    assert by_ref(pl.concat([p.rejects for p in pieces])) == by_ref(whole.rejects)

    whole = inbox.read_inbox(sources["inbox_dir"])
    pieces = list(inbox.iter_inbox(sources["inbox_dir"], batch_rows=2))
    assert len(pieces) > 2 and all(p.records.height + p.rejects.height <= 2 for p in pieces)
    assert pl.concat([p.records for p in pieces]).equals(whole.records)  # same rows, same order
    assert pl.concat([p.rejects for p in pieces]).equals(whole.rejects)

    whole = reflection_db.read_reflection_db(sources["reflection_db"], tmp_path / "a")
    pieces = list(reflection_db.iter_reflection_db(sources["reflection_db"], tmp_path / "b", batch_rows=2))
    assert len(pieces) > 2 and all(p.records.height + p.rejects.height <= 2 for p in pieces)
    assert pl.concat([p.records for p in pieces]).equals(whole.records)
    assert pl.concat([p.rejects for p in pieces]).equals(whole.rejects)
    assert [n for p in pieces for n in p.notes] == whole.notes


def test_a_resumed_session_is_read_whole_whatever_the_pieces(tmp_path):
    """A session continued in another file (here far apart in file order, its id spelt with escapes in one)
    is one conversation in the pieces too, never two halves under one id."""
    def line(uid: str, sid_key: str, sid: str, text: str, role: str = "user") -> str:
        body = json.dumps({"type": role, "uuid": uid, "timestamp": "2026-10-03T14:00:00Z", "cwd": "/home/dev/projects/p",
                           "message": {"role": role, "content": text}})
        return body[:-1] + f', "{sid_key}": {json.dumps(sid)}}}'
    first = tmp_path / "a-project" / "s1.jsonl"
    second = tmp_path / "z-project" / "s2.jsonl"
    third = tmp_path / "m-project" / "s3.jsonl"
    for path in (first, second, third):
        path.parent.mkdir()
    first.write_text(line("u1", "sessionId", 'we"ird', "The first half of a long debugging session about lock files.") + "\n")
    second.write_text(line("u2", "session\\u0049d", 'we"ird', "The second half, resumed the next day, about retries.", "assistant") + "\n")
    third.write_text(line("u3", "sessionId", "other", "An unrelated session about pagination cursors and their encoding.") + "\n")
    pieces = list(transcripts.iter_transcripts(tmp_path, batch_bytes=1))
    assert len(pieces) == 2
    (resumed,) = [p for p in pieces if p.records.height and p.records["natural_key"][0] == 'we"ird']
    assert resumed.records.height == 1 and "first half" in resumed.records["content"][0] and "second half" in resumed.records["content"][0]
    assert by_ref(pl.concat([p.records for p in pieces])) == by_ref(transcripts.read_transcripts(tmp_path).records)


def test_raw_conversations_in_tiny_batches_stores_what_preparing_everything_at_once_gives(sources, tmp_path, monkeypatch):
    monkeypatch.setattr(transcripts, "BATCH_BYTES", 1)
    monkeypatch.setattr(inbox, "BATCH_ROWS", 2)
    monkeypatch.setattr(reflection_db, "BATCH_ROWS", 2)
    warehouse = tmp_path / "warehouse.duckdb"
    resources = {
        "warehouse": WarehouseResource(database=str(warehouse)),
        "conversation_sources": ConversationSourcesResource(snapshot_dir=str(tmp_path / "snapshots"),
                                                            **{k: str(v) for k, v in sources.items()}),
    }
    result = dg.materialize([raw_conversations], resources=resources, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert not list((tmp_path / "snapshots").iterdir()), "the spool and the snapshot are deleted"

    reads = [reflection_db.read_reflection_db(sources["reflection_db"], tmp_path / "ref"), transcripts.read_transcripts(sources["transcripts_dir"]),
             inbox.read_inbox(sources["inbox_dir"])]
    records, read_rejects = SourceRead.concat(reads)
    prepared = prepare_all(records)
    expected_rejects = quarantine_frame(pl.concat([read_rejects, prepared.rejects]))
    with connect(warehouse, read_only=True) as conn:
        stored = conn.sql(f"SELECT {', '.join(CONVERSATION_COLUMNS)} FROM conversations").pl()
        rejected = conn.sql("SELECT source, source_ref, reason, excerpt FROM rejected_records").pl()
    assert by_ref(stored) == by_ref(prepared.conversations.select(CONVERSATION_COLUMNS))
    assert by_ref(rejected) == by_ref(expected_rejects.unique())
    got = meta(result, "raw_conversations")
    assert got["read"] == records.height and got["new"] == prepared.conversations.height
    assert got["skipped_duplicates"] == prepared.duplicates and got["secrets_redacted"] == prepared.secrets_redacted
    assert got["rejected"] == expected_rejects.height
    assert got["read_by_source"] == {r.source: r.records.height for r in reads}


def test_chunks_and_vectors_made_in_tiny_batches_equal_one_batch(tmp_path, monkeypatch):
    run_flow(tmp_path / "one.duckdb", SAMPLES, tmp_path / "snap-one")
    monkeypatch.setattr(assets, "DEFAULT_BATCH_CHARS", 1)  # a conversation per batch
    monkeypatch.setattr(assets, "EMBED_GROUP_SIZE", 7)
    monkeypatch.setattr(assets, "EMBED_READ_GROUPS", 3)
    run_flow(tmp_path / "tiny.duckdb", SAMPLES, tmp_path / "snap-tiny")
    tables = {}
    for name in ("one", "tiny"):
        with connect(tmp_path / f"{name}.duckdb", read_only=True) as conn:
            tables[name] = (
                conn.sql("SELECT * FROM conversation_chunks ORDER BY chunk_id").pl(),
                conn.sql("SELECT text_hash, model_id, embedding FROM conversation_embeddings ORDER BY text_hash, model_id").pl(),
            )
    (chunks_one, vectors_one), (chunks_tiny, vectors_tiny) = tables["one"], tables["tiny"]
    assert chunks_one.height > 80 and chunks_tiny.equals(chunks_one)
    assert vectors_tiny.select("text_hash", "model_id").equals(vectors_one.select("text_hash", "model_id"))
    a, b = (np.array(v["embedding"].to_list(), dtype=np.float32) for v in (vectors_one, vectors_tiny))
    assert np.abs(a - b).max() < 1e-5  # fp32 vectors do not depend on batching (padding is masked)


def test_the_spool_is_deleted_when_a_source_is_unreadable(tmp_path):
    samples = tmp_path / "samples"
    shutil.copytree(SAMPLES, samples)
    (samples / "reflection.duckdb").write_bytes(b"not a database")
    resources = {
        "warehouse": WarehouseResource(database=str(tmp_path / "warehouse.duckdb")),
        "conversation_sources": ConversationSourcesResource(
            reflection_db=str(samples / "reflection.duckdb"), transcripts_dir=str(samples / "transcripts"),
            inbox_dir=str(samples / "inbox"), snapshot_dir=str(tmp_path / "snapshots")),
    }
    result = dg.materialize([raw_conversations], resources=resources, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    got = meta(result, "raw_conversations")
    assert list(got["sources_unavailable"]) == ["reflection_db"] and got["read_by_source"]["reflection_db"] == 0
    assert got["read_by_source"]["transcript"] > 0 and got["read_by_source"]["inbox"] > 0
    assert not list((tmp_path / "snapshots").iterdir())
