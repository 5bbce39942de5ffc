"""Does recency pay as a tie-breaker in hybrid search? Measured on the labelled development set, held out.

The issue's ideas beyond plain fusion were measured one by one; this is recency: among a query's 30 best
conversations (hybrid, every fusion configuration of bench/retrieval_quality.py's grid), a conversation's score
gains r x its recency, recency = (its start - the oldest candidate's) / (the newest's - the oldest's), r in
RECENCY below. Fusion and r are chosen together by the same 5-fold cross-validation (best R@5 + MRR on four
folds, scored on the fifth); the figure without recency (r = 0 only) comes from the same searches.

A caveat that decides how to read a gain: the development set's near-miss distractors (an interrupted session,
a stand-up line raising the problem) are dated 1-6 days before the session that solved it, as real histories
hold them, so recency helps on this set partly by construction. A gain here is an upper bound.

    .venv/bin/python bench/retrieval_recency.py [--workdir /work/bench-data/retrieval] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import polars as pl

from retrieval_quality import DEV, _memo, build_warehouse, describe, grid, load
from sb_pipeline.conversations.evaluation import first_relevant_rank, labelled_queries, scores
from sb_pipeline.conversations.retrieval import Retriever
from sb_pipeline.warehouse import connect

RECENCY = (0.0, 0.02, 0.05, 0.1, 0.2)
POOL = 30


def started(warehouse: Path) -> dict[str, float]:
    with connect(warehouse, read_only=True) as conn:
        frame = conn.sql("SELECT conversation_id, epoch(started_at) AS t FROM conversations").pl()
    return dict(zip(frame["conversation_id"], frame["t"].cast(pl.Float64)))


def reranked(hits, when: dict[str, float], r: float) -> list[str]:
    times = [when.get(h.conversation_id) or 0.0 for h in hits]
    low, span = min(times, default=0.0), (max(times, default=0.0) - min(times, default=0.0)) or 1.0
    order = sorted(zip(hits, times), key=lambda p: -(p[0].score + r * (p[1] - low) / span))
    return [h.conversation_id for h, _ in order[:10]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", type=Path, default=Path("/work/bench-data/retrieval"))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    warehouse = build_warehouse(args.workdir, "fp32")
    embedder, matrix, indexes = load(warehouse, "fp32")
    embed, when = _memo(embedder.embed), started(warehouse)
    items = [json.loads(line) for line in (DEV / "queries.jsonl").read_text().splitlines() if line.strip()]
    queries, folds = labelled_queries(items), [item["fold"] for item in items]
    begun = time.perf_counter()
    table = {}  # (fusion, r) -> ranks
    for fusion in grid():
        retriever = Retriever(matrix, indexes[fusion.fold_plurals], embed, fusion)
        pools = [retriever.search(q.query, limit=POOL, mode="hybrid") for q in queries]
        for r in RECENCY:
            table[(fusion, r)] = [first_relevant_rank(reranked(p, when, r), q.relevant) for p, q in zip(pools, queries)]
    print(f"{len(queries)} queries, {len(table)} configurations in {time.perf_counter() - begun:.0f} s")
    report = {}
    for name, allowed in (("hybrid, no recency", (0.0,)), ("hybrid + recency", RECENCY)):
        held, chosen = held_out(table, [k for k in table if k[1] in allowed], folds)
        report[name] = {"scores": scores(held), "chosen": [{"fold": f, "fusion": describe(k[0]), "recency": k[1]} for f, k in chosen]}
        s = report[name]["scores"]
        print(f"{name:<20} R@1 {s['recall_at_1']:.3f}  R@5 {s['recall_at_5']:.3f}  R@10 {s['recall_at_10']:.3f}  MRR {s['mrr']:.3f}"
              f"   chosen r per fold: {[k[1] for _, k in chosen]}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


def held_out(table: dict, keys: list, folds: list[int]) -> tuple[list, list]:
    held, chosen = [None] * len(folds), []
    for fold in sorted(set(folds)):
        train = [i for i, f in enumerate(folds) if f != fold]
        best = max(keys, key=lambda k: (lambda s: s["recall_at_5"] + s["mrr"])(scores(table[k][i] for i in train)))
        chosen.append((fold, best))
        for i, f in enumerate(folds):
            if f == fold:
                held[i] = table[best][i]
    return held, chosen


if __name__ == "__main__":
    main()
