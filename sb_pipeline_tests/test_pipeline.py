"""The conversation flow end to end: real sources, real model, real DuckDB, real Dagster execution.

The expected figures come from data/samples/MANIFEST.json, written by scripts/make_samples.py
alongside the samples it plants traps in.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import dagster as dg
import pytest
from typer.testing import CliRunner

from sb_pipeline.cli import app
from sb_pipeline.defs.conversations.assets import conversation_chunks, conversation_embeddings, raw_conversations
from sb_pipeline.defs.conversations.checks import conversation_ids_unique, embedding_coverage_complete
from sb_pipeline.defs.conversations.search_index import conversation_lexical_index
from sb_pipeline.defs.resources import ConversationSourcesResource, EmbedderResource, WarehouseResource
from sb_pipeline_tests.conftest import REPO, SAMPLES, check_outcomes, materialization_metadata as meta, warehouse_rows as query

pytestmark = pytest.mark.slow  # the whole conversation flow on the samples and several re-runs: ~30 s on 2 cores

MANIFEST = json.loads((SAMPLES / "MANIFEST.json").read_text())
FLOW = [raw_conversations, conversation_chunks, conversation_embeddings, conversation_lexical_index, conversation_ids_unique,
        embedding_coverage_complete]


def run_flow(warehouse: Path, samples: Path, snapshots: Path) -> dg.ExecuteInProcessResult:
    resources = {
        "warehouse": WarehouseResource(database=str(warehouse)),
        "conversation_sources": ConversationSourcesResource(
            reflection_db=str(samples / "reflection.duckdb"), transcripts_dir=str(samples / "transcripts"),
            inbox_dir=str(samples / "inbox"), snapshot_dir=str(snapshots)),
        "embedder": EmbedderResource(model_dir=str(REPO / "data" / "models")),
    }
    result = dg.materialize(FLOW, resources=resources, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    return result


def tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """The samples run once into a fresh warehouse; tests that change things work on copies."""
    tmp = tmp_path_factory.mktemp("baseline")
    before = tree_digest(SAMPLES)
    result = run_flow(tmp / "warehouse.duckdb", SAMPLES, tmp / "snapshots")
    return {"dir": tmp, "warehouse": tmp / "warehouse.duckdb", "result": result, "before": before}


def copy_warehouse(baseline, tmp_path) -> Path:
    """The baseline's warehouse and the lexical index beside it."""
    target = tmp_path / "warehouse.duckdb"
    shutil.copyfile(baseline["warehouse"], target)
    shutil.copytree(baseline["dir"] / "warehouse.duckdb.lexical", tmp_path / "warehouse.duckdb.lexical")
    return target


def test_samples_end_to_end_match_the_manifest(baseline):
    counts = MANIFEST["counts"]
    wh = baseline["warehouse"]
    got = {(s, k): n for s, k, n in query(wh, "SELECT source, kind, count(*) FROM conversations GROUP BY ALL")}
    expected = {(s, k): n for s, c in counts.items() for k, n in c["kept_by_kind"].items()}
    assert got == expected
    rejects = sorted(query(wh, "SELECT source, reason, count(*) FROM rejected_records GROUP BY ALL"))
    assert rejects == sorted((s, r, n) for s, c in counts.items() for r, n in c["rejected"].items())
    raw = meta(baseline["result"], "raw_conversations")
    assert raw["new"] == sum(c["kept"] for c in counts.values()) == 80
    assert raw["skipped_duplicates"] == sum(c["duplicates"] for c in counts.values())
    assert raw["rejected"] == sum(sum(c["rejected"].values()) for c in counts.values())
    assert raw["rejected_by_reason"]["malformed_json"] == 2
    assert query(wh, "SELECT count(DISTINCT project) FROM conversations")[0][0] == len(MANIFEST["totals"]["projects"])
    emb = meta(baseline["result"], "conversation_embeddings")
    distinct_texts = query(wh, "SELECT count(DISTINCT text_hash) FROM conversation_chunks")[0][0]
    assert emb["embedded"] == distinct_texts > 80  # long conversations have several chunks
    assert emb["chunk_coverage_pct"] == 100.0 and emb["conversation_coverage_pct"] == 100.0
    assert check_outcomes(baseline["result"]) == {"rejected_share_below_threshold": False, "conversation_ids_unique": True,
                                          "embedding_coverage_complete": True, "retrieval_quality": True}
    # 11 of 104 inputs rejected: above the 10 % warning line, which is what the WARN check is for.


def test_sources_are_byte_identical_after_a_run(baseline):
    assert tree_digest(SAMPLES) == baseline["before"]


def test_traps_are_handled(baseline):
    wh = baseline["warehouse"]
    traps = MANIFEST["traps"]
    content = dict(query(wh, "SELECT source_ref, content FROM conversations"))
    assert "\ufffd" in content[traps["sb64_lone_surrogate"]]
    assert not content[traps["sb64_plain_emoji"]].startswith("__SB64__")
    assert traps["duplicate_across_eras"]["kept"] in content and traps["duplicate_across_eras"]["duplicate"] not in content
    everything = "\n".join(r[0] for r in query(wh, "SELECT content FROM conversations UNION ALL SELECT text FROM conversation_chunks "
                                                   "UNION ALL SELECT coalesce(excerpt, '') FROM rejected_records"))
    for secret in MANIFEST["secrets"]:
        assert secret["must_not_survive"] not in everything, secret["kind"]
    assert query(wh, "SELECT sum(secrets_redacted) FROM conversations")[0][0] >= 8


def test_long_conversations_are_chunked_and_the_late_fact_is_searchable(baseline, embedder):
    late = MANIFEST["late_fact"]
    wh = baseline["warehouse"]
    rows = query(wh, "SELECT k.ordinal, k.text FROM conversation_chunks k JOIN conversations c USING (conversation_id) "
                     "WHERE c.source_ref = ? ORDER BY k.ordinal", [late["ref"]])
    assert len(rows) >= 3
    assert not any(late["marker"] in t for o, t in rows if o == 0)
    assert any(late["marker"] in t for o, t in rows if o > 0)


def test_every_probe_finds_its_conversation_first(baseline, monkeypatch):
    monkeypatch.setenv("SB_WAREHOUSE", str(baseline["warehouse"]))
    runner = CliRunner()
    for probe in MANIFEST["probes"]:
        out = runner.invoke(app, ["search", probe["query"], "--limit", "3", "--json"])
        assert out.exit_code == 0, out.output
        answer = json.loads(out.output)
        assert answer["mode"] == "hybrid" and "notice" not in answer  # the run's lexical index is current
        results = answer["results"]
        assert results[0]["source_ref"].startswith(probe["expected_ref"].split("#")[0]), (probe["query"], results[0])
        assert set(results[0]) >= {"score", "semantic_score", "lexical_score", "project", "started_at", "snippet", "conversation_id",
                                   "natural_key", "source", "kind", "chunk"}
        assert results[0]["lexical_score"] > 0 and 0 < results[0]["semantic_score"] <= 1
    out = runner.invoke(app, ["search", "anything", "--project", "no-such-project", "--json"])
    assert json.loads(out.output)["results"] == []


@pytest.mark.parametrize("width", [80, 140])
def test_the_results_table_fits_the_terminal_and_keeps_the_snippet_readable(baseline, monkeypatch, width):
    """Below 100 columns the score's parts and the kind give their room to the snippet."""
    from sb_pipeline.cli._app import console

    monkeypatch.setenv("SB_WAREHOUSE", str(baseline["warehouse"]))
    monkeypatch.setattr(console, "width", width)
    probe = MANIFEST["probes"][0]
    out = CliRunner().invoke(app, ["search", probe["query"], "--limit", "3"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    header = next(line for line in lines if "snippet" in line)
    assert ("cosine" in header and "BM25" in header and "kind" in header) == (width >= 100)
    assert max(len(line) for line in lines) <= width
    snippet_width = len(header.split("┃")[-2])
    assert snippet_width >= (40 if width < 100 else 60)


def test_second_run_embeds_nothing_and_duplicates_nothing(baseline, tmp_path):
    wh = copy_warehouse(baseline, tmp_path)
    tables = ("conversations", "rejected_records", "conversation_chunks", "conversation_embeddings")
    before = {t: query(wh, f"SELECT count(*) FROM {t}")[0][0] for t in tables}
    result = run_flow(wh, SAMPLES, tmp_path / "snapshots")
    raw = meta(result, "raw_conversations")
    assert (raw["new"], raw["updated"], raw["unchanged"]) == (0, 0, 80)
    assert raw["rejected_new"] == 0
    assert meta(result, "conversation_chunks")["conversations_chunked"] == 0
    assert meta(result, "conversation_embeddings")["embedded"] == 0
    assert {t: query(wh, f"SELECT count(*) FROM {t}")[0][0] for t in tables} == before


def test_new_conversations_embed_only_their_chunks(baseline, sample_copy, tmp_path):
    wh = copy_warehouse(baseline, tmp_path)
    texts = [
        "How do I pin a transitive dependency in uv without adding it to my direct dependencies? Use constraint files.",
        "The nightly Airflow DAG skipped its run because catchup was false and the scheduler restarted after midnight.",
        " ".join(f"Step {i}: we profiled the Go service with pprof and found the JSON encoder allocating per request." for i in range(60)),
    ]
    lines = [json.dumps({"id": f"new-{i}", "project": "newproj", "timestamp": "2026-11-21T10:00:00Z", "content": t}) for i, t in enumerate(texts)]
    (sample_copy / "inbox" / "later.jsonl").write_text("\n".join(lines) + "\n")
    result = run_flow(wh, sample_copy, tmp_path / "snapshots")
    assert meta(result, "raw_conversations")["new"] == 3
    new_chunks = query(wh, "SELECT count(DISTINCT k.text_hash) FROM conversation_chunks k JOIN conversations c USING (conversation_id) "
                           "WHERE c.project = 'newproj'")[0][0]
    assert new_chunks >= 4  # the long one has several windows
    assert meta(result, "conversation_embeddings")["embedded"] == new_chunks
    assert meta(result, "conversation_chunks")["conversations_chunked"] == 3


def test_a_growing_session_keeps_its_id_and_reuses_its_vectors(baseline, sample_copy, tmp_path):
    wh = copy_warehouse(baseline, tmp_path)
    session = MANIFEST["sources"]["transcript"]["session_grouping"][0]
    path = sample_copy / "transcripts" / session["files"][0]
    last = json.loads([l for l in path.read_text().splitlines() if l.strip()][-1])
    added = {**last, "type": "user", "uuid": "added-later-1", "parentUuid": last.get("uuid"), "timestamp": "2026-11-22T09:00:00Z",
             "message": {"role": "user", "content": "One more thing: can we also add a regression test for the retry path?"}}
    with path.open("a") as f:
        f.write(json.dumps(added) + "\n")
    before = dict(query(wh, "SELECT natural_key, conversation_id FROM conversations WHERE source = 'transcript'"))
    result = run_flow(wh, sample_copy, tmp_path / "snapshots")
    raw = meta(result, "raw_conversations")
    assert (raw["new"], raw["updated"]) == (0, 1)
    after = dict(query(wh, "SELECT natural_key, conversation_id FROM conversations WHERE source = 'transcript'"))
    assert after == before
    content = query(wh, "SELECT content FROM conversations WHERE natural_key = ?", [session["session_id"]])[0][0]
    assert content.endswith("User: One more thing: can we also add a regression test for the retry path?")
    assert 1 <= meta(result, "conversation_embeddings")["embedded"] <= 2  # only the changed tail window(s)


def test_search_matrix_cache_is_reused_and_follows_every_write(baseline, sample_copy, tmp_path, embedder):
    from sb_pipeline.warehouse import connect
    from sb_pipeline.warehouse.search_matrix import load_search_matrix

    wh, cache = copy_warehouse(baseline, tmp_path), tmp_path / "matrix-cache"

    def load():
        with connect(wh, read_only=True) as conn:
            return load_search_matrix(conn, wh, embedder.model_id, cache)

    first, second = load(), load()
    assert (first.from_cache, second.from_cache) == (False, True)
    assert second.ids.equals(first.ids) and (second.vectors == first.vectors).all()
    assert second.only(project="acme-api").ids["project"].unique().to_list() == ["acme-api"]
    (sample_copy / "inbox" / "later.jsonl").write_text(json.dumps(
        {"id": "n1", "project": "newproj", "content": "A brand new conversation about tuning Gunicorn worker timeouts behind nginx."}) + "\n")
    run_flow(wh, sample_copy, tmp_path / "snapshots")
    third = load()
    assert not third.from_cache and third.vectors.shape[0] == first.vectors.shape[0] + 1
    wh.unlink()  # a rebuilt warehouse at the same path must not match the old cache
    run_flow(wh, SAMPLES, tmp_path / "snapshots2")
    assert not load().from_cache
    blocked = tmp_path / "a-file"
    blocked.write_text("a cache root below a regular file cannot be created, even by root")
    with connect(wh, read_only=True) as conn:  # an unwritable cache costs speed, never a search
        uncached = load_search_matrix(conn, wh, embedder.model_id, blocked / "cache")
    assert not uncached.from_cache and uncached.vectors.shape[0] == first.vectors.shape[0]


def _search(wh: Path, *args: str) -> tuple[int, dict | str]:
    out = CliRunner().invoke(app, ["search", *args, "--json"], env={"SB_WAREHOUSE": str(wh)})
    return out.exit_code, json.loads(out.output) if out.exit_code == 0 else out.output


def test_the_lexical_index_follows_each_run_by_difference_and_is_never_used_stale(baseline, sample_copy, tmp_path):
    from sb_pipeline.warehouse import connect, generations
    from sb_pipeline.warehouse.lexical_index import open_current

    wh = copy_warehouse(baseline, tmp_path)
    folder = wh.with_name(wh.name + ".lexical")
    assert meta(baseline["result"], "conversation_lexical_index")["dagster/row_count"] == 218
    (sample_copy / "inbox" / "later.jsonl").write_text(json.dumps(
        {"id": "n1", "project": "newproj", "content": "Gunicorn worker timeout WORKER_TIMEOUT_42 behind nginx, fixed with --graceful-timeout"}) + "\n")
    index = meta(run_flow(wh, sample_copy, tmp_path / "snapshots"), "conversation_lexical_index")
    assert (index["added"], index["deleted"], index["rebuilt"], index["dagster/row_count"]) == (1, 0, False, 219)
    code, answer = _search(wh, "worker_timeout_42", "--mode", "lexical")
    assert code == 0 and answer["results"][0]["project"] == "newproj" and answer["results"][0]["semantic_score"] is None  # not computed

    # Chunks written without the index (a run stopped before it): hybrid says so and answers from the vectors alone.
    (sample_copy / "inbox" / "later.jsonl").write_text(json.dumps(
        {"id": "n1", "project": "newproj", "content": "Gunicorn worker timeout WORKER_TIMEOUT_43 behind nginx, fixed with --graceful-timeout"}) + "\n")
    dg.materialize([raw_conversations, conversation_chunks], instance=dg.DagsterInstance.ephemeral(), resources={
        "warehouse": WarehouseResource(database=str(wh)), "conversation_sources": ConversationSourcesResource(
            reflection_db=str(sample_copy / "reflection.duckdb"), transcripts_dir=str(sample_copy / "transcripts"),
            inbox_dir=str(sample_copy / "inbox"), snapshot_dir=str(tmp_path / "snap"))})
    with connect(wh, read_only=True) as conn:
        assert open_current(folder, generations.current(conn, generations.CHUNKS)) is None
    code, answer = _search(wh, "gunicorn worker timeout")
    assert code == 0 and answer["mode"] == "semantic" and "behind the warehouse" in answer["notice"]
    code, said = _search(wh, "worker_timeout_43", "--mode", "lexical")
    assert code == 2 and "conversation_lexical_index" in " ".join(said.split())
    index = meta(run_flow(wh, sample_copy, tmp_path / "snapshots"), "conversation_lexical_index")
    assert (index["added"], index["deleted"]) == (1, 1)  # the changed note's chunk replaced, nothing else touched
    code, answer = _search(wh, "worker_timeout_43", "--mode", "lexical", "--limit", "1")
    assert code == 0 and answer["results"][0]["project"] == "newproj"
    old = _search(wh, "worker_timeout_42", "--mode", "lexical", "--project", "newproj")[1]["results"]
    assert len(old) == 1 and "WORKER_TIMEOUT_43" in old[0]["snippet"]  # only the parts match now: the old chunk is gone

    # A warehouse deleted and rebuilt at the same path never meets the old index.
    wh.unlink()
    dg.materialize([raw_conversations, conversation_chunks], instance=dg.DagsterInstance.ephemeral(), resources={
        "warehouse": WarehouseResource(database=str(wh)), "conversation_sources": ConversationSourcesResource(
            reflection_db=str(SAMPLES / "reflection.duckdb"), transcripts_dir=str(SAMPLES / "transcripts"),
            inbox_dir=str(SAMPLES / "inbox"), snapshot_dir=str(tmp_path / "snap2"))})
    with connect(wh, read_only=True) as conn:
        assert open_current(folder, generations.current(conn, generations.CHUNKS)) is None


def test_retrieval_quality_is_measured_on_both_labelled_sets(baseline):
    (data,) = [e.asset_check_evaluation_data for e in baseline["result"].all_events
               if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.asset_check_evaluation_data.check_name == "retrieval_quality"]
    figures = {k: v.value for k, v in data.metadata.items()}
    assert {f"samples_{m}_mrr" for m in ("hybrid", "semantic", "lexical")} <= set(figures)
    assert figures["samples_hybrid_recall_at_5"] == 1.0 and figures["samples_hybrid_mrr"] == 1.0
    # the development slice: hybrid ahead of either signal alone, above the floors (measured 0.944 / 0.782)
    assert figures["dev_slice_hybrid_recall_at_5"] >= 0.9 and figures["dev_slice_hybrid_mrr"] >= 0.72
    assert figures["dev_slice_hybrid_mrr"] > max(figures["dev_slice_lexical_mrr"], figures["dev_slice_semantic_mrr"])
