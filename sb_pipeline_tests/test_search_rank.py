"""Ranking by best chunk, thresholds and snippets (pure numpy; the end-to-end search is in test_pipeline)."""

import numpy as np

from sb_pipeline.conversations.search import rank_conversations, snippet


def unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_best_chunk_per_conversation_and_threshold():
    vectors = np.stack([unit([1, 0, 0]), unit([0.9, 0.1, 0]), unit([0, 1, 0]), unit([0.7, 0.7, 0]), unit([0, 0, 1])])
    conv = ["a", "a", "b", "c", "d"]
    hits = rank_conversations(unit([1, 0, 0]), vectors, conv, limit=10, min_score=0.1)
    assert [h.conversation_id for h in hits] == ["a", "c"]
    assert hits[0].chunk_row == 0 and abs(hits[0].score - 1.0) < 1e-6
    assert [h.conversation_id for h in rank_conversations(unit([1, 0, 0]), vectors, conv, limit=1)] == ["a"]
    assert rank_conversations(unit([1, 0, 0]), vectors[:0], [], limit=5) == []


def test_many_chunks_of_one_conversation_do_not_hide_others():
    rng = np.random.default_rng(0)
    base = unit([1] + [0] * 15)
    crowd = np.stack([unit(base + rng.normal(0, 0.01, 16)) for _ in range(3000)])  # 3000 near-identical chunks of "big"
    others = np.stack([unit(rng.normal(0, 1, 16)) for _ in range(50)])
    vectors = np.vstack([crowd, others])
    conv = ["big"] * 3000 + [f"o{i}" for i in range(50)]
    hits = rank_conversations(base, vectors, conv, limit=5)
    assert hits[0].conversation_id == "big" and len(hits) == 5
    expected = sorted(range(50), key=lambda i: -float(others[i] @ base))[:4]
    assert [h.conversation_id for h in hits[1:]] == [f"o{i}" for i in expected]


def test_snippet_centres_on_the_query_words():
    text = ("lorem ipsum " * 100) + "the rollback of the alembic migration failed on NOT NULL" + (" dolor sit" * 100)
    s = snippet(text, "alembic migration rollback")
    assert "alembic migration" in s and s.startswith("…") and len(s) <= 245
    assert snippet("short text", "x") == "short text"
