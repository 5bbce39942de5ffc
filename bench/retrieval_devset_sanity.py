"""Sanity measurement of the retrieval development set (bench/labelled/retrieval_dev/): not the bench,
a check that the set is neither trivial nor impossible for today's search.

    .venv/bin/python bench/retrieval_devset_sanity.py [--work /tmp/retr] [--skip-ingest] [--json out.json]

1. Ingests the set's corpus with the real pipeline (`sb-pipeline run`) into a temporary warehouse under
   --work; every SB_* path is set, so nothing under data/ is read or written (the knowledge graph and
   Crackerjack sources point at a missing file and are reported and skipped).
2. Checks the labels against the warehouse: every relevant conversation (conversation_id =
   sha256(source \\x1f natural_key)[:32]) is stored and its text holds the episode's evidence.
3. For every query ranks conversations two ways and computes Recall@1/5/10 and MRR (over the top 10)
   per category and overall:
   - semantic: what `sb-pipeline search` does (`--mode semantic` since hybrid search: the pipeline's embedder, the
     search matrix, best chunk per conversation by cosine), in one process so the model loads once;
   - bm25: plain BM25 (bm25s, Lucene variant, k1=1.5, b=0.75, its default English stop words) over the same
     stored chunks (table conversation_chunks), a conversation scored by its best chunk.
   Both without the project filter (the main figure) and with it for queries that name a project.
`pip install bm25s` into the venv first (a measurement-only dependency, not in pyproject.toml).

While the work tree is being edited, measure a commit instead (the pipeline also reads its committed
data/dagster_home/dagster.yaml and data/samples/MANIFEST.json from its own checkout):

    mkdir -p /tmp/retr/src && git archive HEAD sb_pipeline pyproject.toml workspace.yaml \
        data/dagster_home/dagster.yaml data/samples | tar -x -C /tmp/retr/src
    .venv/bin/python bench/retrieval_devset_sanity.py --work /tmp/retr --pipeline-src /tmp/retr/src
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SET = ROOT / "bench" / "labelled" / "retrieval_dev"
CATEGORIES = ("paraphrase", "identifier", "path", "command", "deep", "near_miss", "mixed")
KS = (1, 5, 10)


def conversation_id(source: str, natural_key: str) -> str:
    return hashlib.sha256(f"{source}\x1f{natural_key}".encode("utf-8")).hexdigest()[:32]


def pipeline_env(work: Path, dataset: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "SB_REFLECTION_DB": str(dataset / "reflection.duckdb"),
        "SB_TRANSCRIPTS_DIR": str(dataset / "transcripts"),
        "SB_INBOX_DIR": str(dataset / "inbox"),
        "SB_WAREHOUSE": str(work / "warehouse.duckdb"),
        "SB_DATA_DIR": str(work),
        "SB_KNOWLEDGE_GRAPH_DB": "/nonexistent/knowledge_graph.duckdb",
        "SB_CRACKERJACK_DB": "/nonexistent/crackerjack_integration.db",
        "SB_CRACKERJACK_METRICS_DB": "/nonexistent/metrics.db",
        "SB_INTERRUPTION_DB": "/nonexistent/interruption_manager.db",
        "SB_SESSION_BUDDY_DIR": str(work / "sb_dir"),
        "DAGSTER_HOME": str(work / "dh"),
    })
    return env


def ingest(work: Path, dataset: Path, src: Path | None) -> float:
    work.mkdir(parents=True, exist_ok=True)
    (work / "dh").mkdir(exist_ok=True)
    (work / "sb_dir").mkdir(exist_ok=True)
    exe = Path(sys.executable).parent / "sb-pipeline"
    t0 = time.monotonic()
    env = pipeline_env(work, dataset)
    if src is not None:  # another copy of the pipeline's source (e.g. `git archive HEAD`), ahead of the installed one
        env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    proc = subprocess.run([str(exe), "run"], env=env, cwd=work, text=True, capture_output=True)
    sys.stderr.write(proc.stdout[-4000:])
    if proc.returncode != 0:
        # A failed step outside the conversation flow (another engineer's new asset, the knowledge graph...) does
        # not spoil the measurement: main() checks that every conversation is stored and every chunk embedded.
        sys.stderr.write(proc.stderr[-4000:])
        sys.stderr.write(f"\nWARNING: sb-pipeline run exited {proc.returncode}; going on if the conversation flow is complete\n")
    return time.monotonic() - t0


def load_queries(dataset: Path) -> list[dict]:
    return [json.loads(line) for line in (dataset / "queries.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def check_labels(conn, queries: list[dict], dataset: Path) -> dict:
    stored = dict(conn.execute("SELECT conversation_id, content FROM conversations").fetchall())
    corpus = json.loads((dataset / "corpus.json").read_text(encoding="utf-8"))
    missing, no_evidence = [], []
    for item in corpus:
        cid = item["conversation_id"]
        if cid not in stored:
            missing.append(item["natural_key"])
            continue
        for ev in item["evidence"].values():
            if ev and ev not in stored[cid]:
                no_evidence.append((item["natural_key"], ev))
    relevant_missing = [r for q in queries for r in q["relevant"] if conversation_id(r["source"], r["natural_key"]) not in stored]
    return {"warehouse_conversations": len(stored), "corpus_items": len(corpus), "corpus_missing": missing,
            "evidence_missing": no_evidence, "relevant_missing": relevant_missing}


def ranks_for(ranked: list[str], relevant: set[str]) -> list[int]:
    return [i + 1 for i, cid in enumerate(ranked) if cid in relevant]


def metrics(rows: list[tuple[list[str], set[str]]]) -> dict:
    out = {f"R@{k}": 0.0 for k in KS}
    out["MRR"] = 0.0
    for ranked, relevant in rows:
        hits = ranks_for(ranked[:10], relevant)
        for k in KS:
            out[f"R@{k}"] += sum(1 for r in hits if r <= k) / len(relevant)
        out["MRR"] += 1.0 / hits[0] if hits else 0.0
    n = max(1, len(rows))
    return {k: round(v / n, 3) for k, v in out.items()} | {"n": len(rows)}


class Semantic:
    def __init__(self, conn, warehouse: Path, cache: Path):
        from sb_pipeline.embedding import load_embedder
        from sb_pipeline import settings
        from sb_pipeline.warehouse.search_matrix import load_search_matrix

        self.model = load_embedder(profile=settings.embedding_profile())
        self.matrix = load_search_matrix(conn, warehouse, self.model.model_id, cache)

    def search(self, queries: list[str], project_of: list[str | None], limit: int = 10) -> list[list[str]]:
        try:
            from sb_pipeline.conversations.search import rank_conversations
        except ImportError:  # the hybrid-search pipeline: its Retriever in `semantic` mode (`search --mode semantic`)
            from sb_pipeline.conversations.retrieval import Retriever

            retriever = Retriever(self.matrix, None, self.model.embed)
            return [[h.conversation_id for h in retriever.search(q, limit=limit, mode="semantic", project=p)]
                    for q, p in zip(queries, project_of)]

        vecs = self.model.embed(queries)
        out = []
        for vec, project in zip(vecs, project_of):
            matrix = self.matrix.only(project, None)
            hits = rank_conversations(np.asarray(vec), matrix.vectors, matrix.ids["conversation_id"], limit=limit)
            out.append([h.conversation_id for h in hits])
        return out


class BM25:
    def __init__(self, conn):
        import bm25s

        rows = conn.execute(
            "SELECT k.conversation_id, k.text, c.project FROM conversation_chunks k JOIN conversations c USING (conversation_id) "
            "ORDER BY k.conversation_id, k.ordinal").fetchall()
        self.conv = np.array([r[0] for r in rows])
        self.project = np.array([r[2] or "" for r in rows])
        self.retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
        self.retriever.index(bm25s.tokenize([r[1] for r in rows], stopwords="en", show_progress=False), show_progress=False)
        self.bm25s = bm25s
        self.n = len(rows)

    def search(self, queries: list[str], project_of: list[str | None], limit: int = 10) -> list[list[str]]:
        out = []
        for q, project in zip(queries, project_of):
            tokens = self.bm25s.tokenize([q], stopwords="en", show_progress=False)
            qtokens = _ids_to_tokens(tokens)
            scores = self.retriever.get_scores(qtokens) if qtokens else np.zeros(self.n)
            if project is not None:
                scores = np.where(self.project == project, scores, -np.inf)
            order = np.argsort(-scores, kind="stable")
            ranked, seen = [], set()
            for row in order:
                if not np.isfinite(scores[row]) or scores[row] <= 0:
                    break
                cid = str(self.conv[row])
                if cid not in seen:
                    seen.add(cid)
                    ranked.append(cid)
                    if len(ranked) >= limit:
                        break
            out.append(ranked)
        return out


def _ids_to_tokens(tokenized) -> list[str]:
    inv = {i: t for t, i in tokenized.vocab.items()}
    return [inv[i] for i in tokenized.ids[0]]


def table(results: dict[str, dict[str, dict]], title: str) -> str:
    lines = [f"### {title}", "", "| category | n | sem R@1 | sem R@5 | sem R@10 | sem MRR | bm25 R@1 | bm25 R@5 | bm25 R@10 | bm25 MRR |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for cat in (*CATEGORIES, "overall"):
        s, b = results["semantic"][cat], results["bm25"][cat]
        lines.append(f"| {cat} | {s['n']} | {s['R@1']:.3f} | {s['R@5']:.3f} | {s['R@10']:.3f} | {s['MRR']:.3f} | "
                     f"{b['R@1']:.3f} | {b['R@5']:.3f} | {b['R@10']:.3f} | {b['MRR']:.3f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", type=Path, default=SET, help="the labelled set (default bench/labelled/retrieval_dev)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/retr"), help="temporary warehouse, Dagster home, caches")
    ap.add_argument("--skip-ingest", action="store_true", help="reuse the warehouse already in --work")
    ap.add_argument("--json", type=Path, help="also write the figures (and per-query ranks) as JSON")
    ap.add_argument("--markdown", type=Path, help="also write the two tables as markdown")
    ap.add_argument("--label", default="", help="a line for the markdown saying which pipeline was measured")
    ap.add_argument("--pipeline-src", type=Path, help="import sb_pipeline from this folder instead of the checkout "
                    "(e.g. an extract of `git archive HEAD` while the work tree is being edited)")
    args = ap.parse_args()
    dataset, work = args.set.resolve(), args.work.resolve()

    if args.pipeline_src:
        sys.path.insert(0, str(args.pipeline_src.resolve()))
    elapsed = None
    if not args.skip_ingest:
        elapsed = ingest(work, dataset, args.pipeline_src.resolve() if args.pipeline_src else None)
    os.environ.update(pipeline_env(work, dataset))
    from sb_pipeline.warehouse import connect

    queries = load_queries(dataset)
    warehouse = work / "warehouse.duckdb"
    with connect(warehouse, read_only=True, wait_seconds=5.0) as conn:
        labels = check_labels(conn, queries, dataset)
        t0 = time.monotonic()
        semantic = Semantic(conn, warehouse, work / "cache")
        bm25 = BM25(conn)
        chunks = bm25.n
        if semantic.matrix.vectors.shape[0] != chunks or labels["corpus_missing"]:
            raise SystemExit(f"conversation flow incomplete: {len(labels['corpus_missing'])} conversations missing, "
                             f"{semantic.matrix.vectors.shape[0]} of {chunks} chunks embedded")
    texts = [q["query"] for q in queries]
    runs = {}
    for name, engine in (("semantic", semantic), ("bm25", bm25)):
        runs[name] = {"unfiltered": engine.search(texts, [None] * len(queries)),
                      "filtered": engine.search(texts, [q["project"] for q in queries])}
    search_s = time.monotonic() - t0

    report: dict = {"labels": {k: (v if isinstance(v, int) else len(v)) for k, v in labels.items()}, "chunks": chunks,
                    "ingest_seconds": round(elapsed, 1) if elapsed else None, "search_seconds": round(search_s, 1)}
    for mode in ("unfiltered", "filtered"):
        results: dict[str, dict[str, dict]] = {}
        for name in runs:
            per_cat: dict[str, list] = defaultdict(list)
            for q, ranked in zip(queries, runs[name][mode]):
                if mode == "filtered" and q["project"] is None:
                    continue
                rel = {conversation_id(r["source"], r["natural_key"]) for r in q["relevant"]}
                per_cat[q["category"]].append((ranked, rel))
                per_cat["overall"].append((ranked, rel))
            results[name] = {cat: metrics(per_cat.get(cat, [])) for cat in (*CATEGORIES, "overall")}
        report[mode] = results
    report["per_query"] = [
        {"qid": q["qid"], "category": q["category"],
         **{f"{name}_rank": (ranks_for(runs[name]["unfiltered"][i], {conversation_id(r["source"], r["natural_key"]) for r in q["relevant"]}) or [None])[0]
            for name in runs}}
        for i, q in enumerate(queries)]

    import sb_pipeline

    print(f"set: {dataset}")
    print(f"pipeline: {Path(sb_pipeline.__file__).parent}")
    print(f"warehouse: {warehouse} ({labels['warehouse_conversations']} conversations, {chunks} chunks)"
          + (f", ingest {elapsed:.0f} s" if elapsed else ""))
    print(f"labels: {len(labels['relevant_missing'])} relevant conversations missing, {len(labels['corpus_missing'])} corpus items missing, "
          f"{len(labels['evidence_missing'])} evidence strings missing")
    print()
    print(table(report["unfiltered"], f"all {len(queries)} queries, no project filter (Recall@k over the top 10, MRR@10)"))
    print()
    print(table(report["filtered"], "queries that name a project, searched with that project as filter"))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if args.markdown:
        args.markdown.write_text(
            "# Retrieval dev set: sanity figures\n\n"
            f"`bench/retrieval_devset_sanity.py` on {time.strftime('%Y-%m-%d')}: {labels['warehouse_conversations']} conversations, "
            f"{chunks} chunks, model {semantic.model.model_id}. Semantic = what `sb-pipeline search` does; bm25 = plain BM25 "
            "(bm25s, Lucene, k1 1.5, b 0.75, English stop words) over the same chunks, best chunk per conversation. "
            "Recall@k = share of a query's relevant conversations in the top k, averaged; MRR over the top 10."
            + (f" {args.label}" if args.label else "") + "\n\n"
            + table(report["unfiltered"], f"all {len(queries)} queries, no project filter") + "\n\n"
            + table(report["filtered"], "queries that name a project, searched with that project as filter") + "\n",
            encoding="utf-8")
    if labels["relevant_missing"] or labels["evidence_missing"]:
        raise SystemExit("label check failed: " + json.dumps({k: labels[k][:5] for k in ("relevant_missing", "evidence_missing")}))


if __name__ == "__main__":
    main()
