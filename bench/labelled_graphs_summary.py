"""A first look at every labelled graph under sb_pipeline/knowledge_graph/labelled/: size, truth, types, signal.

    .venv/bin/python bench/labelled_graphs_summary.py [--graphs umls debian devgraph]

For each graph: entities, pairs, positives (and how many the source graph already holds), the type
distribution, and the average precision (AP) of plain cosine over all pairs, the entity text being the
pipeline's recipe (`entity_text`: `name (type): obs; obs; ...`) embedded with `load_embedder()`.
AP is also given over the pairs left to discover (positives held in the source graph removed), and
next to the base rate (the AP of a random order). For devgraph also the AP of co-mention counts in the
user's conversations: from the intended mentions (`conversations/mentions.tsv`) and from a naive name
matcher over the conversation texts (names only, case-insensitive, whole words).

AP here handles ties (pairs with the same score form one step of the precision-recall curve), which matters
for co-mention counts where most pairs score 0.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl

from sb_pipeline.embedding import load_embedder
from sb_pipeline.knowledge_graph.entities import entity_text

LABELLED = Path(__file__).resolve().parent.parent / "sb_pipeline" / "knowledge_graph" / "labelled"
GRAPHS = {"umls": LABELLED, "debian": LABELLED / "debian", "devgraph": LABELLED / "devgraph"}


def average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    """Step-wise AP (as scikit-learn's): sum over distinct thresholds of (recall gain) x precision."""
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order].astype(np.int64)
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # last index of each run of equal scores
    tp = np.cumsum(y)[last]
    precision = tp / (last + 1)
    recall_gain = np.diff(np.r_[0, tp]) / max(int(y.sum()), 1)
    return float((recall_gain * precision).sum())


def load(folder: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    entities = pl.read_csv(folder / "entities.tsv", separator="\t", quote_char=None, infer_schema_length=0)
    pairs = pl.read_csv(folder / "pairs.tsv", separator="\t", quote_char=None, infer_schema_length=0,
                        schema_overrides={"label": pl.Int64})
    if "in_source" not in pairs.columns:
        pairs = pairs.with_columns(pl.lit(0).alias("in_source"))
    pairs = pairs.with_columns(pl.col("in_source").cast(pl.Int64))
    return entities, pairs


def texts_of(entities: pl.DataFrame) -> list[str]:
    obs = entities["observations"].to_list() if "observations" in entities.columns else [None] * entities.height
    return [entity_text(n, t, json.loads(o) if o else []) for n, t, o in zip(entities["name"], entities["entity_type"], obs)]


def pair_scores(pairs: pl.DataFrame, index: dict[str, int], matrix: np.ndarray) -> np.ndarray:
    i = np.array([index[a] for a in pairs["entity_a"]])
    j = np.array([index[b] for b in pairs["entity_b"]])
    return matrix[i, j]


def comention(folder: Path, pairs: pl.DataFrame, entities: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(intended co-mention count, naive name-matcher co-mention count) per row of `pairs`."""
    ids = entities["entity_id"].to_list()
    index = {e: k for k, e in enumerate(ids)}
    intended = np.zeros((len(ids), len(ids)), dtype=np.int32)
    mentions = pl.read_csv(folder / "conversations" / "mentions.tsv", separator="\t", quote_char=None, infer_schema_length=0)
    for group in mentions.group_by("conversation_id").agg(pl.col("entity_id").unique()).iter_rows():
        for a, b in itertools.combinations(sorted(group[1]), 2):
            intended[index[a], index[b]] += 1
            intended[index[b], index[a]] += 1
    patterns = [re.compile(r"(?<![\w./-])" + re.escape(n.lower()) + r"(?![\w/-]|\.\w)") for n in entities["name"]]
    matched = np.zeros_like(intended)
    with (folder / "conversations" / "inbox.jsonl").open(encoding="utf-8") as f:
        for line in f:
            text = json.loads(line)["content"].lower()
            found = [k for k, p in enumerate(patterns) if p.search(text)]
            for a, b in itertools.combinations(found, 2):
                matched[a, b] += 1
                matched[b, a] += 1
    return pair_scores(pairs, index, intended).astype(float), pair_scores(pairs, index, matched).astype(float)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--graphs", nargs="+", default=list(GRAPHS), choices=list(GRAPHS))
    args = parser.parse_args()
    embedder = load_embedder()
    print(f"model {embedder.model_id}")
    for name in args.graphs:
        folder = GRAPHS[name]
        entities, pairs = load(folder)
        labels = pairs["label"].to_numpy()
        in_source = pairs["in_source"].to_numpy()
        t0 = time.perf_counter()
        vectors = embedder.embed(texts_of(entities))
        seconds = time.perf_counter() - t0
        index = {e: k for k, e in enumerate(entities["entity_id"].to_list())}
        cosine = pair_scores(pairs, index, vectors @ vectors.T)
        keep = ~((labels == 1) & (in_source == 1))  # the pairs left to discover
        types = Counter(entities["entity_type"].to_list())
        n_pos = int(labels.sum())
        print(f"\n== {name} ({folder.relative_to(LABELLED.parent.parent.parent)})")
        print(f"entities {entities.height}, pairs {pairs.height}, positives {n_pos} ({n_pos / pairs.height:.2%}), "
              f"in source {int(in_source.sum())}")
        print("types: " + ", ".join(f"{t} {c}" for t, c in types.most_common()))
        print(f"cosine AP, all pairs: {average_precision(cosine, labels):.3f} (base rate {labels.mean():.4f}); "
              f"pairs left to discover: {average_precision(cosine[keep], labels[keep]):.3f} "
              f"(base rate {labels[keep].mean():.4f}); embedded {entities.height} texts in {seconds:.1f} s")
        print(f"cosine mean, positives {cosine[labels == 1].mean():.3f}, negatives {cosine[labels == 0].mean():.3f}")
        kinds = [{re.split(r"[(:]", r)[0] for r in (rel or "").split(";") if r} for rel in pairs["relation"].to_list()]
        counts = Counter(k for ks in kinds for k in ks)
        parts = []
        for kind, n in counts.most_common(6):  # that kind's positives against all negatives
            mask = (labels == 0) | np.array([kind in ks for ks in kinds])
            parts.append(f"{kind} {n}: {average_precision(cosine[mask], labels[mask]):.3f}")
        print("cosine AP by relation kind (its positives vs all negatives): " + ", ".join(parts))
        if (folder / "conversations" / "mentions.tsv").exists():
            intended, matched = comention(folder, pairs, entities)
            for label, score in (("intended mentions", intended), ("naive name matcher", matched)):
                print(f"co-mention count AP ({label}): all pairs {average_precision(score, labels):.3f}, "
                      f"left to discover {average_precision(score[keep], labels[keep]):.3f}; "
                      f"pairs with count > 0: positives {(score[labels == 1] > 0).mean():.1%}, negatives {(score[labels == 0] > 0).mean():.2%}")
            both = cosine + intended  # a crude sum, only to show the two signals are not the same
            print(f"cosine + intended co-mention count AP: all pairs {average_precision(both, labels):.3f}, "
                  f"left to discover {average_precision(both[keep], labels[keep]):.3f}")


if __name__ == "__main__":
    main()
