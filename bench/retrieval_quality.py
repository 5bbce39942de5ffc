"""Retrieval quality of lexical (BM25), semantic (cosine, Session Buddy's way) and hybrid search, side by side in
one run, on the labelled development set and on the shipped samples' probes.

The development set (bench/labelled/retrieval_dev, PROVENANCE.md there): a generated developer-conversation
corpus and 330 labelled queries in 7 categories, each in one of 5 folds. The corpus goes through the real
assets (ingest, chunks, embeddings, lexical index) into a warehouse under --workdir (reused while the corpus
and the model are unchanged). Metrics: Recall@1/5/10 and MRR of the first relevant conversation.

Fusion parameters are chosen by 5-fold cross-validation: for each fold, the configuration with the best
R@5 + MRR on the other four folds is scored on that fold; the hybrid figures are those held-out scores,
pooled over all queries (no query is scored by a configuration chosen on it). The grid: weighted sum of the
cosine and max-normalised BM25 (cosine weight 0.4..0.8) or reciprocal-rank fusion (k 30, 60); identifier
words' BM25 boost (1, 1.5); plural folding in the tokeniser (off, on); passage aggregation, a conversation's
score = its best chunk + a x its second best (a 0, 0.2, 0.4, 0.6). Lexical and semantic are the plain methods
(best chunk, no parameters). Ablations, chosen the same way, show what each part brings: hybrid with the
best chunk only, and lexical or semantic alone with the aggregation. `--profile int8` runs the whole thing
with the int8 embedding profile.

    .venv/bin/python bench/retrieval_quality.py [--workdir /work/bench-data/retrieval] [--profile fp32] [--json FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import time
from collections import Counter
from functools import lru_cache
from pathlib import Path

import dagster as dg
import numpy as np

from sb_pipeline.conversations.evaluation import LabelledQuery, first_relevant_rank, labelled_queries, scores, shipped_probes
from sb_pipeline.conversations.retrieval import Fusion, Retriever
from sb_pipeline.embedding import load_embedder, load_tokenizer
from sb_pipeline.warehouse import connect, generations
from sb_pipeline.warehouse.lexical_index import in_memory, open_current
from sb_pipeline.warehouse.search_matrix import load_search_matrix

REPO = Path(__file__).resolve().parent.parent
DEV = REPO / "bench" / "labelled" / "retrieval_dev"
BASES = [("wsum", w, 60) for w in (0.4, 0.5, 0.6, 0.7, 0.8)] + [("rrf", 0.5, k) for k in (30, 60)]
BOOSTS, PLURALS, SECONDS = (1.0, 1.5), (False, True), (0.0, 0.2, 0.4, 0.6)


def grid(bases=BASES, seconds=SECONDS) -> list[Fusion]:
    return [Fusion(method=m, weight=w, rrf_k=k, identifier_boost=b, fold_plurals=p, second_chunk=s)
            for (m, w, k), b, p, s in itertools.product(bases, BOOSTS, PLURALS, seconds)]


def corpus_digest() -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in DEV.rglob("*") if p.is_file() and p.name != "queries.jsonl"):
        h.update(path.relative_to(DEV).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def build_warehouse(workdir: Path, profile: str) -> Path:
    """The development corpus through the real assets, once per corpus digest and profile."""
    from sb_pipeline.defs.conversations.assets import conversation_chunks, conversation_embeddings, raw_conversations
    from sb_pipeline.defs.conversations.search_index import conversation_lexical_index
    from sb_pipeline.defs.resources import ConversationSourcesResource, EmbedderResource, WarehouseResource

    target = workdir / f"{corpus_digest()}-{profile}"
    warehouse = target / "warehouse.duckdb"
    if (target / "done").exists():
        return warehouse
    target.mkdir(parents=True, exist_ok=True)
    resources = dict(
        warehouse=WarehouseResource(database=str(warehouse)),
        conversation_sources=ConversationSourcesResource(reflection_db=str(DEV / "reflection.duckdb"), transcripts_dir=str(DEV / "transcripts"),
                                                         inbox_dir=str(DEV / "inbox"), snapshot_dir=str(target / "snapshots")),
        embedder=EmbedderResource(model_dir=str(REPO / "data" / "models"), profile=profile))
    assets = [raw_conversations, conversation_chunks, conversation_embeddings, conversation_lexical_index]
    started = time.perf_counter()
    result = dg.materialize(assets, resources=resources, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    print(f"built the development warehouse in {time.perf_counter() - started:.0f} s: {warehouse}")
    (target / "done").write_text("ok")
    return warehouse


def load(warehouse: Path, profile: str):
    embedder = load_embedder(model_dir=REPO / "data" / "models", profile=profile)
    with connect(warehouse, read_only=True) as conn:
        matrix = load_search_matrix(conn, warehouse, embedder.model_id, None)
        index = open_current(warehouse.with_name(warehouse.name + ".lexical"), generations.current(conn, generations.CHUNKS))
        chunks = conn.sql("SELECT k.chunk_id, k.conversation_id, k.text, c.project, c.kind FROM conversation_chunks k "
                          "JOIN conversations c USING (conversation_id)").pl()
    assert index is not None, "the lexical index must be current"
    return embedder, matrix, {False: index, True: in_memory(chunks, fold_plurals=True)}


def ranks(retriever: Retriever, queries: list[LabelledQuery], mode: str) -> list[int | None]:
    return [first_relevant_rank([h.conversation_id for h in retriever.search(q.query, limit=10, mode=mode)], q.relevant)
            for q in queries]


def cross_validated(matrix, indexes, embed, queries: list[LabelledQuery], folds: list[int], configurations: list[Fusion],
                    table: dict) -> tuple[list, list]:
    """Held-out ranks of the configuration chosen on the other folds, and the choice per fold. `table` caches each
    configuration's ranks across calls."""
    for fusion in configurations:
        if fusion not in table:
            table[fusion] = ranks(Retriever(matrix, indexes[fusion.fold_plurals], embed, fusion), queries, "hybrid")
    held, chosen = [None] * len(queries), []
    for fold in sorted(set(folds)):
        train = [i for i, f in enumerate(folds) if f != fold]

        def objective(fusion):
            s = scores(table[fusion][i] for i in train)
            return s["recall_at_5"] + s["mrr"]

        best = max(configurations, key=objective)
        chosen.append((fold, best, objective(best) / 2))
        for i, f in enumerate(folds):
            if f == fold:
                held[i] = table[best][i]
    return held, chosen


def describe(f: Fusion) -> str:
    core = f"wsum w={f.weight}" if f.method == "wsum" else f"rrf k={f.rrf_k}"
    return (f"{core}, id-boost {f.identifier_boost}, plurals {'folded' if f.fold_plurals else 'kept'}, "
            f"second chunk {f.second_chunk}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", type=Path, default=Path("/work/bench-data/retrieval"))
    parser.add_argument("--profile", default="fp32", choices=["fp32", "int8"])
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()
    warehouse = build_warehouse(args.workdir, args.profile)
    embedder, matrix, indexes = load(warehouse, args.profile)
    embed = _memo(embedder.embed)
    items = [json.loads(line) for line in (DEV / "queries.jsonl").read_text().splitlines() if line.strip()]
    queries, folds = labelled_queries(items), [item["fold"] for item in items]
    print(f"{len(queries)} queries, {matrix.vectors.shape[0]} chunks, model {embedder.model_id}")
    started = time.perf_counter()
    plain = Retriever(matrix, indexes[False], embed)
    got = {"lexical": ranks(plain, queries, "lexical"), "semantic": ranks(plain, queries, "semantic")}
    table: dict = {}
    got["hybrid (cross-validated)"], chosen = cross_validated(matrix, indexes, embed, queries, folds, grid(), table)
    ablations = {  # what each part brings, chosen the same way
        "  hybrid, best chunk only": grid(seconds=(0.0,)),
        "  lexical + aggregation": grid(bases=[("wsum", 0.0, 60)]),
        "  semantic + aggregation": grid(bases=[("wsum", 1.0, 60)]),
    }
    for name, configurations in ablations.items():
        got[name] = cross_validated(matrix, indexes, embed, queries, folds, configurations, table)[0]
    print(f"evaluated {len(table)} fusion configurations in {time.perf_counter() - started:.0f} s")
    report = {"profile": args.profile, "model_id": embedder.model_id, "queries": len(queries),
              "overall": {name: scores(r) for name, r in got.items()}, "by_category": {}, "chosen": [], "probes": {}}
    _print_table("development set, all queries", report["overall"])
    for category in sorted(Counter(q.category for q in queries)):
        idx = [i for i, q in enumerate(queries) if q.category == category]
        report["by_category"][category] = {name: scores(r[i] for i in idx) for name, r in got.items()}
        _print_table(f"{category} ({len(idx)} queries)", report["by_category"][category])
    for fold, fusion, train_score in chosen:
        print(f"fold {fold}: chose {describe(fusion)} (train (R@5+MRR)/2 = {train_score:.3f})")
        report["chosen"].append({"fold": fold, "fusion": fusion.__dict__, "train_score": round(train_score, 4)})
    everything = max(table, key=lambda f: (lambda s: s["recall_at_5"] + s["mrr"])(scores(table[f])))
    print(f"best on all queries (for the default, not a reported figure): {describe(everything)}: {scores(table[everything])}")
    report["best_on_all"] = {"fusion": everything.__dict__, "scores": scores(table[everything])}
    retriever, probes = shipped_probes(REPO / "data" / "samples", load_tokenizer(), embed)
    report["probes"] = {mode: scores(ranks(retriever, probes, mode)) for mode in ("lexical", "semantic", "hybrid")}
    _print_table(f"shipped samples' probes ({len(probes)}, default fusion)", report["probes"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")


def _memo(embed):
    @lru_cache(maxsize=None)
    def one(text: str) -> np.ndarray:
        return embed([text])[0]

    return lambda texts: np.stack([one(t) for t in texts]) if len(texts) == 1 else embed(texts)


def _print_table(title: str, rows: dict) -> None:
    print(f"\n{title}")
    print(f"  {'method':<26} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR':>6}")
    for name, s in rows.items():
        print(f"  {name:<26} {s['recall_at_1']:>6.3f} {s['recall_at_5']:>6.3f} {s['recall_at_10']:>6.3f} {s['mrr']:>6.3f}")


if __name__ == "__main__":
    main()
