"""Topic quality on the labelled topic corpus, against k-means with the same number of groups in the same run.

    .venv/bin/python bench/topic_quality.py

Each split of bench/labelled/topics/ goes through the real assets (raw_conversations, conversation_chunks,
conversation_embeddings: the real model) into a private warehouse; the conversation vectors are read the way
conversation_topics reads them. On the dev split a grid of (neighbors, resolution) is scored by the adjusted Rand
index against the generating topics and the best is chosen; on the test split, never seen by that choice:
- ARI of our topics and of k-means (scikit-learn, the same k, n_init 10) on the same vectors;
- NPMI coherence of each method's top 10 c-TF-IDF terms (the same labelling, the search tokeniser) over the test
  corpus' conversations;
- stability: a full regrouping after adding 5 % new conversations (5 random orders): the share of the old
  conversations that keep their topic id, with the warm start (the shipped way) and without.
Figures in bench/results/topic_quality.json.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sb_pipeline.conversations.topic_groups import GroupingParameters, group  # noqa: E402
from sb_pipeline.conversations.topic_labels import ctfidf, npmi, term_counts  # noqa: E402
from sb_pipeline.conversations.topics import ConversationVectors, Previous, full_grouping  # noqa: E402
from sb_pipeline.text.tokens import tokens  # noqa: E402

DATA = ROOT / "bench" / "labelled" / "topics"
WORK = Path(os.environ.get("TOPIC_BENCH_DIR", "/tmp/topic_quality"))
GRID = [(k, r) for k in (10, 15, 25) for r in (0.5, 0.8, 1.0, 1.5, 2.0)]


def warehouse_for(split: str) -> Path:
    """The split's warehouse, built once by the real assets."""
    from sb_pipeline_tests.defs_runner import materialize, sb_env

    folder = WORK / split
    if not (folder / "warehouse.duckdb").exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "empty").mkdir(exist_ok=True)
        with sb_env(folder, SB_INBOX_DIR=str(DATA / split / "inbox"), SB_TRANSCRIPTS_DIR=str(folder / "empty"),
                    SB_REFLECTION_DB=str(folder / "none.duckdb")):
            materialize(["raw_conversations", "conversation_chunks", "conversation_embeddings"])
    return folder / "warehouse.duckdb"


def load(split: str) -> tuple[ConversationVectors, np.ndarray, dict[str, str]]:
    """The split's conversation vectors, their generating topics and texts (by conversation id)."""
    from sb_pipeline.conversations.topics import conversation_vectors
    from sb_pipeline.embedding.model_store import cached_model_id
    from sb_pipeline.warehouse import connect
    from sb_pipeline.warehouse import topics as store

    labels = {hashlib.sha256(f"inbox\x1f{r['id']}".encode()).hexdigest()[:32]: r["topic"]
              for r in map(json.loads, (DATA / split / "labels.jsonl").read_text().splitlines())}
    with connect(warehouse_for(split), read_only=True) as conn:
        vectors = conversation_vectors(store.chunk_vector_batches(conn, cached_model_id(ROOT / "data" / "models", "fp32")))
        texts = dict(conn.execute("SELECT conversation_id, content FROM conversations").fetchall())
    return vectors, np.array([labels[c] for c in vectors.ids]), texts


def coherence(ids: list[str], membership: np.ndarray, texts: dict[str, str]) -> float:
    """Mean NPMI of each group's top 10 c-TF-IDF terms over the conversations."""
    groups = {}
    for cid, g in zip(ids, membership):
        groups.setdefault(int(g), []).append(texts[cid])
    terms = ctfidf({g: term_counts(t) for g, t in groups.items()})
    documents = [set(tokens(texts[c])) for c in ids]
    scores = npmi([[w for w, _ in terms[g]] for g in sorted(terms)], documents)
    return float(np.mean(scores))


def stability(vectors: ConversationVectors, params: GroupingParameters, seed: int, warm: bool) -> float:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(vectors.ids))
    old = order[: int(round(len(order) / 1.05))]
    before = ConversationVectors([vectors.ids[i] for i in old], vectors.vectors[old])
    first = full_grouping(before, Previous(pl.DataFrame(), pl.DataFrame()), params)
    previous = Previous(first.topics.with_columns(created_at=pl.lit(None)), first.assignments.select("conversation_id", "topic_id"))
    after = full_grouping(vectors, previous, params, warm_start=warm)
    joined = first.assignments.join(after.assignments, on="conversation_id", suffix="_after")
    return float((joined["topic_id"] == joined["topic_id_after"]).mean())


def main() -> None:
    dev, dev_truth, _ = load("dev")
    grid = []
    for k, r in GRID:
        params = GroupingParameters(neighbors=k, resolution=r)
        membership = group(dev.vectors, params)
        grid.append({"neighbors": k, "resolution": r, "topics": int(membership.max()) + 1,
                     "ari": round(adjusted_rand_score(dev_truth, membership), 4)})
        print(f"dev k={k} resolution={r}: {grid[-1]['topics']} topics, ARI {grid[-1]['ari']}")
    best = max(grid, key=lambda g: (g["ari"], -g["neighbors"], -abs(g["resolution"] - 1)))
    params = GroupingParameters(neighbors=best["neighbors"], resolution=best["resolution"])
    test, truth, texts = load("test")
    ours = group(test.vectors, params)
    k = int(ours.max()) + 1
    kmeans = KMeans(k, n_init=10, random_state=7).fit_predict(test.vectors)
    result = {
        "chosen_on_dev": best, "dev_grid": grid, "test_conversations": len(test.ids), "generating_topics": int(len(set(truth))),
        "ours": {"topics": k, "ari": round(adjusted_rand_score(truth, ours), 4), "npmi": round(coherence(test.ids, ours, texts), 4)},
        "kmeans_same_k": {"topics": k, "ari": round(adjusted_rand_score(truth, kmeans), 4),
                          "npmi": round(coherence(test.ids, kmeans, texts), 4)},
        "stability_plus_5pct": {"warm_start": [round(stability(test, params, s, True), 4) for s in range(5)],
                                "cold_start": [round(stability(test, params, s, False), 4) for s in range(5)]},
    }
    print(json.dumps({k: v for k, v in result.items() if k != "dev_grid"}, indent=2))
    (ROOT / "bench" / "results" / "topic_quality.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
