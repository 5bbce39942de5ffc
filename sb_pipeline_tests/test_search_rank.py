"""Ranking by best chunk, the three modes, fusion, filters and thresholds, on small hand-made matrices with a real
in-memory lexical index (the end-to-end search is in test_pipeline)."""

import numpy as np
import polars as pl
import pytest

from sb_pipeline.conversations.retrieval import Fusion, LexicalIndexUnavailable, Retriever
from sb_pipeline.conversations.search import snippet
from sb_pipeline.warehouse.lexical_index import in_memory
from sb_pipeline.warehouse.search_matrix import SearchMatrix


def unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def retriever(vectors, conversations, texts, projects=None, query_vector=None, fusion=Fusion(), lexical=True):
    n = len(conversations)
    ids = pl.DataFrame({"chunk_id": [f"{i:032x}" for i in range(n)], "conversation_id": conversations,
                        "project": projects or ["p"] * n, "kind": ["conversation"] * n})
    index = in_memory(ids.with_columns(pl.Series("text", texts)).select("chunk_id", "conversation_id", "text", "project", "kind"))
    return Retriever(SearchMatrix(ids, np.stack(vectors)), index if lexical else None,
                     lambda q: np.stack([query_vector]), fusion)


def test_semantic_mode_ranks_by_best_chunk_with_a_cosine_floor():
    vectors = [unit([1, 0, 0]), unit([0.9, 0.1, 0]), unit([0, 1, 0]), unit([0.7, 0.7, 0]), unit([0, 0, 1])]
    r = retriever(vectors, ["a", "a", "b", "c", "d"], ["x"] * 5, query_vector=unit([1, 0, 0]))
    hits = r.search("q", mode="semantic", min_score=0.1)
    assert [h.conversation_id for h in hits] == ["a", "c"]
    assert hits[0].chunk_id == f"{0:032x}" and abs(hits[0].score - 1.0) < 1e-6 and hits[0].lexical_score == 0
    assert [h.conversation_id for h in r.search("q", mode="semantic", limit=1)] == ["a"]


def test_many_chunks_of_one_conversation_do_not_hide_others():
    rng = np.random.default_rng(0)
    base = unit([1] + [0] * 15)
    crowd = [unit(base + rng.normal(0, 0.01, 16)) for _ in range(3000)]
    others = [unit(rng.normal(0, 1, 16)) for _ in range(50)]
    r = retriever(crowd + others, ["big"] * 3000 + [f"o{i}" for i in range(50)], ["x"] * 3050, query_vector=base)
    hits = r.search("q", mode="semantic", limit=5)
    expected = sorted(range(50), key=lambda i: -float(others[i] @ base))[:4]
    assert [h.conversation_id for h in hits] == ["big"] + [f"o{i}" for i in expected]


def test_lexical_mode_finds_the_exact_identifier_that_vectors_miss():
    vectors = [unit([1, 0]), unit([0.6, 0.8]), unit([0, 1])]
    texts = ["connection problems with the socket", "the client saw ECONNRESET after the deploy", "unrelated chat"]
    r = retriever(vectors, ["a", "b", "c"], texts, query_vector=unit([1, 0]))
    assert r.search("ECONNRESET", mode="semantic")[0].conversation_id == "a"
    lexical = r.search("ECONNRESET", mode="lexical")
    assert [h.conversation_id for h in lexical] == ["b"] and lexical[0].lexical_score > 0
    hybrid = r.search("ECONNRESET", mode="hybrid")
    assert hybrid[0].conversation_id == "b" and 0 < hybrid[0].score <= 1  # 0.5 x 0.6 + 0.5 x 1 beats 0.5 x 1 + 0
    assert abs(hybrid[0].score - (0.5 * 0.6 + 0.5 * 1.0)) < 1e-4


def test_rrf_sums_reciprocal_ranks_and_filters_apply_to_both_rankings():
    vectors = [unit([1, 0]), unit([0.6, 0.8]), unit([0, 1])]
    texts = ["socket trouble", "ECONNRESET again", "ECONNRESET in billing"]
    r = retriever(vectors, ["a", "b", "c"], texts, projects=["p", "p", "other"], query_vector=unit([1, 0]),
                  fusion=Fusion(method="rrf", rrf_k=60))
    hits = r.search("ECONNRESET", mode="hybrid")
    assert hits[0].conversation_id == "b"  # ranks 2 and 1 or 2: 1/62 + 1/61 (or 1/62) beats a's 1/61
    assert abs(hits[0].score - (1 / 62 + 1 / 61)) < 1e-9 or abs(hits[0].score - (1 / 62 + 1 / 62)) < 1e-9
    assert {h.conversation_id for h in r.search("ECONNRESET", mode="hybrid", project="p")} == {"a", "b"}
    assert [h.conversation_id for h in r.search("ECONNRESET", mode="lexical", project="other")] == ["c"]


def test_without_a_lexical_index_only_semantic_search_runs():
    r = retriever([unit([1, 0])], ["a"], ["text"], query_vector=unit([1, 0]), lexical=False)
    assert r.search("q", mode="semantic")[0].conversation_id == "a"
    for mode in ("hybrid", "lexical"):
        with pytest.raises(LexicalIndexUnavailable):
            r.search("q", mode=mode)
    with pytest.raises(ValueError):
        r.search("q", mode="fuzzy")


def test_snippet_centres_on_the_query_words():
    text = ("lorem ipsum " * 100) + "the rollback of the alembic migration failed on NOT NULL" + (" dolor sit" * 100)
    s = snippet(text, "alembic migration rollback")
    assert "alembic migration" in s and s.startswith("…") and len(s) <= 245
    assert snippet("short text", "x") == "short text"


def test_conversation_ids_restrict_every_mode_even_below_the_first_depth():
    """The filter the quality report uses for the sessions around a change: only the given conversations rank,
    in all three modes, even when they sit below the `depth` best chunks of the whole index."""
    n = 400
    vectors = [unit([1, 0])] * n + [unit([0.2, 1]), unit([0.1, 1])]
    texts = ["ruff lint ruff lint ruff lint"] * n + ["lint once", "nothing about it"]
    r = retriever(vectors, [f"crowd{i}" for i in range(n)] + ["x", "y"], texts, query_vector=unit([1, 0]))
    for mode in ("hybrid", "semantic", "lexical"):
        hits = r.search("ruff lint", mode=mode, limit=5, conversation_ids={"x", "y"})
        expected = ["x"] if mode == "lexical" else ["x", "y"]  # y has none of the words: no BM25 hit
        assert [h.conversation_id for h in hits] == expected, mode
    assert r.search("ruff lint", mode="hybrid", conversation_ids=[]) == []
    assert len(r.search("ruff lint", mode="hybrid", limit=5)) == 5 and r.search("ruff lint", limit=1)[0].conversation_id.startswith("crowd")


def test_passage_aggregation_lifts_a_conversation_that_discusses_the_query_in_several_chunks():
    vectors = [unit([0.9, 0.44]), unit([0.8, 0.6]), unit([0.95, 0.31])]
    texts = ["retry storm after the deploy", "the retry storm was the client's backoff", "standup: retry storm again"]
    plain = retriever(vectors, ["session", "session", "note"], texts, query_vector=unit([1, 0]), fusion=Fusion(weight=0.6))
    assert plain.search("retry storm")[0].conversation_id == "note"  # its one chunk is the single best
    lifted = retriever(vectors, ["session", "session", "note"], texts, query_vector=unit([1, 0]),
                       fusion=Fusion(weight=0.6, second_chunk=0.6))
    hits = lifted.search("retry storm")
    assert [h.conversation_id for h in hits] == ["session", "note"]
    assert hits[1].score == plain.search("retry storm")[0].score  # a single chunk gets nothing added
    assert lifted.search("retry storm", mode="lexical")[0].score == plain.search("retry storm", mode="lexical")[0].score
