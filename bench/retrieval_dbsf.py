"""Does distribution-based score fusion beat the max-normalised weighted sum? Measured on the development set, held out.

Distribution-based score fusion (DBSF, Qdrant's second fusion method) normalises each ranking's scores by their
own spread among the query's candidates, (s - (mean - 3 sd)) / (6 sd), instead of dividing BM25 by the query's
best score, so one outlying BM25 hit does not flatten the others. Here it joins bench/retrieval_quality.py's
grid as a third method (the same cosine weights, identifier boosts, plural folding and passage aggregation),
and the 5-fold cross-validation (best R@5 + MRR on four folds, scored on the fifth) chooses among all of them;
the figure without it comes from the same run. The production `fuse` is replaced in this process only.

    .venv/bin/python bench/retrieval_dbsf.py [--workdir /work/bench-data/retrieval] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import polars as pl

import sb_pipeline.conversations.retrieval as retrieval
from retrieval_quality import BASES, DEV, _memo, build_warehouse, cross_validated, describe, grid, load
from sb_pipeline.conversations.evaluation import labelled_queries, scores

PLAIN_FUSE = retrieval.fuse


def dbsf(chunks: pl.DataFrame, mode: str, fusion: retrieval.Fusion) -> pl.Series:
    if mode != "hybrid" or fusion.method != "dbsf":
        return PLAIN_FUSE(chunks, mode, fusion)
    sem = chunks["semantic_score"].fill_null(0.0)
    lex = chunks["lexical_score"]
    return (fusion.weight * _spread(sem, sem.is_not_null()) + (1.0 - fusion.weight) * _spread(lex, lex > 0)).alias("score")


def _spread(x: pl.Series, among: pl.Series) -> pl.Series:
    """(x - (mean - 3 sd)) / (6 sd) over the ranking's own hits, clipped to [0, 1]; 0 outside them."""
    hits = x.filter(among)
    if hits.len() < 2 or not hits.std():
        return (x > 0).cast(pl.Float64) * among.cast(pl.Float64)
    low, width = hits.mean() - 3 * hits.std(), 6 * hits.std()
    return ((x - low) / width).clip(0.0, 1.0) * among.cast(pl.Float64)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", type=Path, default=Path("/work/bench-data/retrieval"))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    retrieval.fuse = dbsf
    warehouse = build_warehouse(args.workdir, "fp32")
    embedder, matrix, indexes = load(warehouse, "fp32")
    embed = _memo(embedder.embed)
    items = [json.loads(line) for line in (DEV / "queries.jsonl").read_text().splitlines() if line.strip()]
    queries, folds = labelled_queries(items), [item["fold"] for item in items]
    plain = grid()
    with_dbsf = plain + [replace(f, method="dbsf") for f in grid(bases=[b for b in BASES if b[0] == "wsum"])]
    begun, table, report = time.perf_counter(), {}, {}
    for name, configurations in (("hybrid (wsum or rrf)", plain), ("hybrid (wsum, rrf or dbsf)", with_dbsf),
                                 ("hybrid (dbsf only)", with_dbsf[len(plain):])):
        held, chosen = cross_validated(matrix, indexes, embed, queries, folds, configurations, table)
        s = scores(held)
        report[name] = {"scores": s, "chosen": [{"fold": f, "fusion": _describe(c)} for f, c, _ in chosen]}
        print(f"{name:<28} R@1 {s['recall_at_1']:.3f}  R@5 {s['recall_at_5']:.3f}  R@10 {s['recall_at_10']:.3f}  "
              f"MRR {s['mrr']:.3f}   chosen: {[_describe(c) for _, c, _ in chosen]}")
    print(f"{len(table)} configurations in {time.perf_counter() - begun:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


def _describe(f: retrieval.Fusion) -> str:
    return describe(f) if f.method != "dbsf" else describe(replace(f, method="wsum")).replace("wsum", "dbsf", 1)


if __name__ == "__main__":
    main()
