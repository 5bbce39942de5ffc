"""Relationship discovery core: exact neighbours, incremental refresh, null thresholds, typed edges."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from sb_pipeline.knowledge_graph.calibration import null_thresholds
from sb_pipeline.knowledge_graph.comention import CoMentions, co_mentions
from sb_pipeline.knowledge_graph.discovery import SCHEMA, discover, edge_id
from sb_pipeline.knowledge_graph.features import FEATURES, GraphInputs
from sb_pipeline.knowledge_graph.model import load_model
from sb_pipeline.knowledge_graph.evidence import NameIndex, name_stems
from sb_pipeline.knowledge_graph.neighbors import exact_topk, lists_from_arrays, refresh_neighbors


def unit(a: np.ndarray) -> np.ndarray:
    return (a / np.linalg.norm(a, axis=1, keepdims=True)).astype(np.float32)


def brute_topk(x: np.ndarray, k: int, rows: np.ndarray) -> list[np.ndarray]:
    s = x[rows] @ x.T
    s[np.arange(rows.size), rows] = -np.inf
    n = x.shape[0]
    return [np.lexsort((np.arange(n), -s[r]))[: min(k, n - 1)] for r in range(rows.size)]


# ---------------------------------------------------------------- exact_topk


@pytest.mark.parametrize("n", [1, 2, 4, 33, 257, 3000])
@pytest.mark.parametrize("k", [1, 5, 12])
@pytest.mark.parametrize("block", [1, 64, 2048])
def test_exact_topk_matches_brute_force(n, k, block):
    rng = np.random.default_rng(n * 100 + k)
    x = unit(rng.standard_normal((n, 24)))
    rows = np.arange(n) if n <= 257 else rng.choice(n, 40, replace=False)
    if block == 1 and n > 257:
        rows = rows[:5]
    idx, sims = exact_topk(x, k, rows=None if rows.size == n else rows, block=block)
    assert idx.shape == sims.shape == (rows.size, k) and idx.dtype == np.int64 and sims.dtype == np.float32
    for r, expected in enumerate(brute_topk(x, k, rows)):
        kk = expected.size
        np.testing.assert_array_equal(idx[r, :kk], expected)
        np.testing.assert_allclose(sims[r, :kk], x[rows[r]] @ x[expected].T, atol=1e-5)
        assert (idx[r, kk:] == -1).all() and np.isneginf(sims[r, kk:]).all()
        assert rows[r] not in idx[r]
        assert (np.diff(sims[r, :kk]) <= 0).all()


def test_exact_topk_ties_break_to_lower_index_even_with_many_duplicates():
    x = np.zeros((20000, 4), np.float32)
    x[:, 0] = 1.0
    x[::3] = [0, 1, 0, 0]
    idx, _ = exact_topk(x, 5, rows=np.array([0, 1, 2, 19998]))
    assert idx[0].tolist() == [3, 6, 9, 12, 15]
    assert idx[1].tolist() == [2, 4, 5, 7, 8]
    assert idx[3].tolist() == [0, 3, 6, 9, 12]


def test_exact_topk_large_random_block_path():
    rng = np.random.default_rng(7)
    x = unit(rng.standard_normal((20000, 32)))
    rows = rng.choice(20000, 64, replace=False)
    idx, _ = exact_topk(x, 5, rows=rows, block=16)
    for r, expected in enumerate(brute_topk(x, 5, rows)):
        np.testing.assert_array_equal(idx[r], expected)


# ---------------------------------------------------------------- refresh_neighbors


@pytest.mark.parametrize("trial", range(25))
def test_refresh_equals_full_recompute(trial):
    rng = np.random.default_rng(1000 + trial)
    n, k, d = int(rng.integers(3, 300)), int(rng.integers(1, 8)), 8
    ids = [f"e{i}" for i in range(n)]
    x = unit(rng.standard_normal((n, d)))
    idx, sims = exact_topk(x, k)
    stored = {e: [(j, round(v, 3)) for j, v in lst] for e, lst in lists_from_arrays(ids, idx, sims).items()}

    changed = set(rng.choice(n, int(rng.integers(0, max(1, n // 6))), replace=False).tolist())
    removed = set(rng.choice(n, int(rng.integers(0, max(1, n // 10))), replace=False).tolist()) - changed
    x2 = x.copy()
    for c in changed:
        x2[c] = unit(rng.standard_normal((1, d)))[0]
    keep = [i for i in range(n) if i not in removed]
    new = int(rng.integers(0, 4))
    ids2 = [ids[i] for i in keep] + [f"new{j}" for j in range(new)]
    x3 = np.concatenate([x2[keep], unit(rng.standard_normal((new, d)))]) if new else x2[keep]

    result = refresh_neighbors(ids2, x3, stored, {ids[c] for c in changed}, k, block=17)
    full = lists_from_arrays(ids2, *exact_topk(x3, k))
    assert result.neighbors.keys() == full.keys()
    for e in ids2:
        assert [j for j, _ in result.neighbors[e]] == [j for j, _ in full[e]]
        np.testing.assert_allclose([v for _, v in result.neighbors[e]], [v for _, v in full[e]], atol=1e-5)
    assert result.recomputed + result.merged == len(ids2)
    assert result.recomputed >= len(changed) + new
    assert result.removed == len(removed)


def test_refresh_merges_when_nothing_relevant_changed():
    rng = np.random.default_rng(5)
    x = unit(rng.standard_normal((200, 16)))
    ids = [f"e{i}" for i in range(200)]
    stored = lists_from_arrays(ids, *exact_topk(x, 3))
    same = refresh_neighbors(ids, x, stored, set(), 3)
    assert (same.recomputed, same.merged, same.removed) == (0, 200, 0)
    assert same.neighbors.keys() == stored.keys()
    # one new entity: it gets a full top-k; rows that never listed it are merged, not recomputed
    x2 = np.concatenate([x, unit(rng.standard_normal((1, 16)))])
    grown = refresh_neighbors(ids + ["fresh"], x2, stored, set(), 3)
    assert grown.recomputed == 1 and grown.merged == 200
    full = lists_from_arrays(ids + ["fresh"], *exact_topk(x2, 3))
    assert {e: [j for j, _ in lst] for e, lst in grown.neighbors.items()} == {e: [j for j, _ in lst] for e, lst in full.items()}


# ---------------------------------------------------------------- calibration


def two_clusters(rng, per=150, d=32):
    a = unit(np.array([1.0] + [0.0] * (d - 1)) * 8 + rng.standard_normal((per, d)))
    b = unit(np.array([0.0, 1.0] + [0.0] * (d - 2)) * 8 + rng.standard_normal((per, d)))
    return np.concatenate([a, b]), ["test"] * per + ["library"] * per


def test_calibration_is_deterministic_and_per_type():
    rng = np.random.default_rng(0)
    x, types = two_clusters(rng)
    c1 = null_thresholds(x, types, seed=3)
    c2 = null_thresholds(x, types, seed=3)
    assert c1.to_json() == c2.to_json()
    assert null_thresholds(x, types, seed=4).to_json() != c1.to_json()
    within, across = c1.threshold("test", "test"), c1.threshold("test", "library")
    assert within > 0.6 and across < 0.4  # tight cluster: random same-type pairs are already close
    assert c1.threshold("library", "test") == across
    assert c1.pair_samples[("test", "test")] == 150 * 149 // 2  # fewer than requested: all pairs
    assert c1.pair_samples[("library", "test")] == 20000
    assert min(within, across) < c1.global_threshold < max(within, across)
    meta = json.loads(c1.to_json())
    assert meta["quantile"] == 0.99 and len(meta["pairs"]) == 3


def test_calibration_falls_back_to_global_for_rare_type_pairs():
    rng = np.random.default_rng(1)
    x, types = two_clusters(rng)
    types = types[:-5] + ["service"] * 5  # service/service: 10 possible pairs < min_samples
    c = null_thresholds(x, types, min_samples=200)
    assert ("service", "service") in c.fallback_pairs
    assert c.threshold("service", "service") == c.global_threshold
    assert c.threshold("unknown", "project") == c.global_threshold
    assert ("library", "service") in c.pair_thresholds  # 145 * 5 = 725 possible pairs


# ---------------------------------------------------------------- evidence


def test_observation_matching_is_whole_word_and_phrase():
    index = NameIndex(["fastapi", "fast", "acme api", "acme", "Session Buddy"])
    found = index.mentions(
        [["uses fastapi-based routing; reuses fast", "Depends on the ACME API and uses session buddy."], []]
    )
    got = [(m.source, m.target, m.relation) for m in found]
    assert (0, 1, "uses") not in got  # "fastapi-based" is not "fast"/"fastapi"; "reuses" is not "uses"
    assert (0, 2, "depends_on") in got  # longest phrase wins over "acme"
    assert (0, 3, "depends_on") not in got
    assert (0, 4, "uses") in got
    assert not any(m.target == 0 for m in found)  # never itself
    assert name_stems("acme-api") & name_stems("acmeWeb") == {"acme"}
    assert name_stems("user-service") & name_stems("order-service") == frozenset()


# ---------------------------------------------------------------- discover


def entity_frame(rows):
    return pl.DataFrame(
        {
            "entity_id": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "entity_type": [r[2] for r in rows],
            "observations": [r[3] for r in rows],
            "text_hash": [f"h-{r[0]}" for r in rows],
        },
        schema={"entity_id": pl.Utf8, "name": pl.Utf8, "entity_type": pl.Utf8,
                "observations": pl.List(pl.Utf8), "text_hash": pl.Utf8},
    )


def vec(*parts):
    v = np.zeros(16, np.float32)
    for dim, w in parts:
        v[dim] = w
    return v / np.linalg.norm(v)


@pytest.fixture
def graph():
    """Handcrafted: each case sits in its own dimensions so neighbour lists are predictable."""
    rows = [
        ("p1", "acme-web", "project", ["Uses fastapi for routing"]),      # 0
        ("l1", "fastapi", "library", []),                                 # 1  far from p1: observation only
        ("p2", "billing", "project", []),                                 # 2
        ("l2", "stripe", "library", []),                                  # 3  mutual with p2 -> uses
        ("c1", "alpha", "concept", []),                                   # 4
        ("c2", "beta", "concept", []),                                    # 5  0.95 with c1 -> very_similar
        ("t1", "test_gamma", "test", []),                                 # 6
        ("t2", "test_delta", "test", []),                                 # 7  0.6 with t1 -> related_to
        ("s1", "gateway", "service", ["connects to the billing project"]),  # 8  below threshold, observation
        ("x1", "lonely", "system", []),                                   # 9
    ]
    v = np.stack([
        vec((0, 1), (1, -0.2)), vec((1, 1)),
        vec((2, 1)), vec((2, 1), (3, 0.9)),
        vec((4, 1)), vec((4, 1), (5, 0.33)),
        vec((6, 1)), vec((6, 0.6), (7, 0.8)),
        vec((2, 0.1), (8, 1)), vec((9, 1)),
    ])
    return entity_frame(rows), v


def inputs(frame, v, existing=(), k=3, comentions=None):
    idx, sims = exact_topk(v, k)
    row = {e: i for i, e in enumerate(frame["entity_id"].to_list())}
    src = np.array([row[a] for a, _ in existing], np.int64)
    dst = np.array([row[b] for _, b in existing], np.int64)
    return GraphInputs(frame, v, idx, sims, (src, dst), comentions or CoMentions.none(frame.height))


def run(graph, existing=(), cut=0.5, max_per_entity=5, fixed=None, comentions=None):
    frame, v = graph
    calibration = null_thresholds(v, frame["entity_type"].to_list(), min_samples=1)
    return discover(inputs(frame, v, existing, comentions=comentions), calibration, load_model(), max_per_entity, "m", "r", cut, fixed)


def edge(out, a, b):
    hit = out.filter(
        ((pl.col("source_entity_id") == a) & (pl.col("target_entity_id") == b))
        | ((pl.col("source_entity_id") == b) & (pl.col("target_entity_id") == a))
    )
    assert hit.height <= 1
    return hit.row(0, named=True) if hit.height else None


def test_discover_rules_types_and_directions(graph):
    out = run(graph)
    assert dict(out.schema) == SCHEMA

    e = edge(out, "p1", "l1")  # an observation admits a pair in nobody's neighbour list
    assert (e["source_entity_id"], e["target_entity_id"], e["relation_type"], e["rule"]) == ("p1", "l1", "uses", "observation:uses")
    assert e["directed"] and e["similarity"] == pytest.approx(-0.196, abs=1e-3)
    assert e["target_rank_in_source"] is None and e["source_rank_in_target"] is None and not e["mutual_knn"]
    ev = json.loads(e["evidence"])
    assert ev["observation"] == "Uses fastapi for routing" and ev["admitted_by"] == ["observation"] and ev["observed_by"] == "p1"
    assert ev["features"]["mention_verb"] == 1.0 and ev["features"]["mention_focus"] == pytest.approx(1 / 4)
    assert e["published"] and e["p_related"] >= 0.5 and e["confidence"] in ("high", "medium")

    e = edge(out, "p2", "l2")
    assert (e["source_entity_id"], e["relation_type"], e["rule"]) == ("p2", "uses", "type_pair+mutual")
    assert e["mutual_knn"] and e["source_rank_in_target"] == 1 and e["target_rank_in_source"] == 1

    e = edge(out, "c1", "c2")
    assert (e["relation_type"], e["rule"], e["directed"]) == ("very_similar_to", "band:very_similar", False)
    assert e["similarity"] >= 0.85 and e["source_entity_id"] == "c1"

    e = edge(out, "t1", "t2")
    assert (e["relation_type"], e["rule"]) == ("related_to", "untyped")
    assert e["similarity"] == pytest.approx(0.6, abs=1e-5)

    e = edge(out, "s1", "p2")  # similarity ~0.1 but s1's observation names "billing"
    assert (e["source_entity_id"], e["target_entity_id"], e["relation_type"]) == ("s1", "p2", "connects_to")
    assert e["rule"] == "observation:connects_to" and e["published"]
    # x1 has no evidence but closeness to random others: candidates, none published
    lonely = out.filter((pl.col("source_entity_id") == "x1") | (pl.col("target_entity_id") == "x1"))
    assert lonely.height and not lonely["published"].any() and (lonely["confidence"] == "low").all()
    assert out["model_id"].unique().to_list() == ["m"] and out["run_id"].unique().to_list() == ["r"]
    assert out["relationship_model_id"].unique().to_list() == [load_model().model_id]
    row = edge(out, "p2", "l2")
    assert (row["source_text_hash"], row["target_text_hash"]) == ("h-p2", "h-l2")
    assert row["edge_id"] == edge_id("l2", "p2", "uses")


def test_every_candidate_carries_every_feature_and_its_band(graph):
    out = run(graph)
    for row in out.iter_rows(named=True):
        ev = json.loads(row["evidence"])
        assert set(ev["features"]) == set(FEATURES) and ev["kinds"] is not None
        assert row["confidence"] == ("high" if row["p_related"] >= 0.8 else "medium" if row["p_related"] >= 0.5 else "low")
        assert row["published"] == (row["p_related"] >= 0.5)
    strict = run(graph, cut=0.99)
    assert strict["published"].sum() < out["published"].sum()
    assert sorted(strict["p_related"].to_list()) == sorted(out["p_related"].to_list()), "the cut decides publication only"


def test_discover_no_self_no_duplicates_no_mirrors(graph):
    out = run(graph)
    assert (out["source_entity_id"] != out["target_entity_id"]).all()
    pairs = [frozenset(p) for p in zip(out["source_entity_id"], out["target_entity_id"])]
    assert len(pairs) == len(set(pairs))
    assert out["edge_id"].n_unique() == out.height


def test_discover_skips_existing_pairs_either_way(graph):
    out = run(graph, existing=[("l2", "p2"), ("p1", "l1")])
    assert edge(out, "p2", "l2") is None and edge(out, "p1", "l1") is None
    assert edge(out, "c1", "c2") is not None


def test_type_pair_needs_mutual_knn():
    # P's nearest is L (0.8) but L's nearest is L2 (0.99): project/library, not mutual at top-1.
    v = np.stack([vec((0, 1)), vec((0, 0.8), (1, 0.6)), vec((0, 0.7), (1, 0.714))])
    frame = entity_frame([("P", "p", "project", []), ("L", "l", "library", []), ("L2", "l2", "library", [])])
    out = run((frame, v), max_per_entity=1)
    e = edge(out, "P", "L")
    assert (e["relation_type"], e["rule"], e["mutual_knn"]) == ("related_to", "untyped", False)
    assert e["source_entity_id"] == "L" and not e["directed"]  # undirected: lower id is the source
    assert e["target_rank_in_source"] == 2 and e["source_rank_in_target"] == 1
    assert edge(out, "L", "L2")["rule"] == "band:very_similar"


def test_max_per_entity_caps_similarity_candidates():
    rng = np.random.default_rng(2)
    hub = unit(np.ones((1, 16)))
    spokes = unit(np.ones((12, 16)) + 0.05 * rng.standard_normal((12, 16)))
    v = np.concatenate([hub, spokes])
    frame = entity_frame([("h", "hub", "project", [])] + [(f"s{i}", f"spoke{i}", "library", []) for i in range(12)])
    calibration = null_thresholds(v, frame["entity_type"].to_list(), min_samples=10)
    out = discover(inputs(frame, v, k=10), calibration, load_model(), max_per_entity=2)
    ok = (pl.col("source_rank_in_target") <= 2) | (pl.col("target_rank_in_source") <= 2)
    assert out.filter(ok).height == out.height and out.height <= 2 * frame.height
    expected = [calibration.threshold(a, b) for a, b in zip(out["source_type"], out["target_type"])]
    np.testing.assert_allclose(out["threshold"].to_numpy(), expected)  # the null threshold in force, recorded


def test_names_conversations_and_the_source_graph_are_evidence():
    """Pairs no cosine links: one name inside the other, two entities the user's conversations name together;
    and two close entities sharing neighbours in the source graph."""
    names = ["acme-api", "acme-api-tests", "billing", "stripe", "ledger", "auth", "gateway", "orders"]
    frame = entity_frame([(f"e{i}", n, "project", []) for i, n in enumerate(names)])
    v = np.stack([vec((i, 1)) if i != 6 else vec((4, 1), (6, 1)) for i in range(len(names))])  # orthogonal but e4/e6
    mentions = pl.DataFrame({"conversation_id": ["c1", "c1", "c2", "c2", "c3", "c4"], "chunk_id": ["k1", "k1", "k2", "k2", "k3", "k4"],
                             "e": [2, 3, 2, 3, 2, 6]})
    comentions = co_mentions(mentions, 10, len(names))
    out = run((frame, v), existing=[("e4", "e5"), ("e4", "e7"), ("e6", "e5"), ("e6", "e7")], comentions=comentions)
    named = json.loads(edge(out, "e0", "e1")["evidence"])
    assert "name" in named["admitted_by"] and named["features"]["name_contains"] == 1.0
    together = json.loads(edge(out, "e2", "e3")["evidence"])
    assert "co-mention" in together["admitted_by"] and together["co_mention"]["conversations"] == 2
    assert together["co_mention"]["pmi"] == pytest.approx(np.log(2 * 10 / (3 * 2)), abs=1e-3)
    assert sorted(together["co_mention"]["best"]) == ["c1", "c2"]
    shared = json.loads(edge(out, "e4", "e6")["evidence"])  # both linked to e5 and e7 in the source graph
    assert shared["common_neighbors"] == 2 and "structure" in shared["kinds"]
    assert shared["features"]["adamic_adar"] == pytest.approx(2 / np.log(2), abs=1e-3)  # e5, e7: degree 2 each
    assert named["common_neighbors"] == 0 and together["features"]["comention_known"] == 1.0


def test_discover_empty_inputs():
    frame = entity_frame([])
    out = discover(inputs(frame, np.zeros((0, 16), np.float32)), null_thresholds(np.zeros((0, 16), np.float32), []), load_model())
    assert out.height == 0 and dict(out.schema) == SCHEMA


def test_discover_with_real_embeddings(embedder):
    """MiniLM on entity texts: Session Buddy's 0.75 keeps nothing but the stated edge; the model publishes typed,
    directed edges and keeps look-alikes as candidates."""
    rows = [
        ("e0", "fastapi", "library", ["web framework for building APIs with Python type hints"]),
        ("e1", "starlette", "library", ["lightweight ASGI framework and toolkit for async web services"]),
        ("e2", "numpy", "library", ["n-dimensional arrays and numerical computing in Python"]),
        ("e3", "pandas", "library", ["dataframes for data analysis built on numpy arrays"]),
        ("e4", "acme-api", "project", ["REST backend for the acme shop; uses fastapi"]),
        ("e5", "acme-web", "project", ["browser frontend of the acme shop"]),
        ("e6", "test_acme_api", "test", ["unit tests for the acme-api endpoints"]),
        ("e7", "test_numpy_utils", "test", ["tests for array helper functions"]),
        ("e8", "postgres", "service", ["relational database server"]),
        ("e9", "redis", "service", ["in-memory cache and message broker"]),
    ]
    frame = entity_frame(rows)
    v = embedder.embed([f"{r[1]} ({r[2]}): {'; '.join(r[3])}" for r in rows])
    seed_like = run((frame, v), max_per_entity=2, fixed=0.75)
    assert seed_like.filter(pl.col("published"))["rule"].to_list() == ["observation:uses"]
    out = run((frame, v), max_per_entity=2)
    e = edge(out, "e4", "e0")
    assert (e["source_name"], e["target_name"], e["relation_type"], e["published"]) == ("acme-api", "fastapi", "uses", True)
    e = edge(out, "e6", "e4")  # the test names acme-api (not after a verb) and they are each other's nearest
    assert (e["source_name"], e["relation_type"], e["rule"], e["published"]) == ("test_acme_api", "tests", "type_pair+mutual", True)
    assert json.loads(e["evidence"])["named_by"] == ["e6"]
    assert json.loads(edge(out, "e4", "e5")["evidence"])["shared_stems"] == ["acme"]
    assert not edge(out, "e2", "e3")["published"] or edge(out, "e2", "e3")["p_related"] < 0.8


def test_evidence_in_words():
    from sb_pipeline.knowledge_graph.explain import explain

    evidence = {"observation": None, "named_by": [], "shared_stems": ["acme"], "common_neighbors": 3,
                "co_mention": {"conversations": 4, "pmi": float(np.log(6.2)), "best": ["c1"]},
                "features": {"cosine": 0.712, "mutual_knn": 1.0, "name_contains": 1.0, "comention_known": 1.0}}
    assert explain(evidence, "acme-api", "acme-api-tests") == (
        "named together in 4 conversations (lift 6.2); `acme-api-tests` contains `acme-api`; "
        "3 shared neighbours among the relationships you keep; cosine 0.71, mutual")
    stated = {"observation": "uses fastapi", "observed_by": "e1", "co_mention": {"conversations": 0}, "shared_stems": [],
              "features": {"cosine": 0.3, "rank_best_inv": 0.5, "comention_known": 1.0}}
    assert explain(stated, "acme-api", "fastapi", {"e1": "acme-api"}) == (
        'acme-api says "uses fastapi"; both named in your conversations, never together; cosine 0.30, rank 2')
