"""Relationship discovery judged on graphs the model never saw: leave-one-graph-out over every labelled graph,
beside Session Buddy's fixed 0.75 rule on the same graph.

For each labelled graph (umls, debian, devgraph under sb_pipeline/knowledge_graph/labelled/, and the shipped
samples with KG_MANIFEST.json's truth): the relationship model is fitted on the other graphs with the shipped
settings (training.py), predicts this graph's candidates, and the published edges (p_related >= cut) are
scored against every true pair to discover (pairs the source graph holds are excluded, from candidates and
truth alike). Printed per graph: published edges, precision, recall, F1, average precision of all pairs ranked
by p (non-candidates last), ECE, and Session Buddy's rule (each entity's 5 nearest with cosine > 0.75);
then the shipped model (fitted on all four graphs, so in-sample: the figures on the samples a user of `make run`
gets) on each graph, and a reliability table per graph by probability decile.

    .venv/bin/python bench/discovery_quality.py [--cut 0.5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from sb_pipeline.embedding import load_embedder
from sb_pipeline.knowledge_graph.labelled import all_graphs
from sb_pipeline.knowledge_graph.model import load_model
from sb_pipeline.knowledge_graph.quality import cached_vectors, labelled_candidates, measure, session_buddy_scores
from sb_pipeline.knowledge_graph.training import leave_one_graph_out

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cut", type=float, default=0.5)
    parser.add_argument("--cache", type=Path, default=ROOT / "data" / "cache" / "labelled")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    embedder = load_embedder()
    with tempfile.TemporaryDirectory() as snap:
        graphs = all_graphs(ROOT / "data" / "samples" / "knowledge_graph.duckdb", ROOT / "data" / "samples" / "KG_MANIFEST.json", Path(snap))
    frames = {g.name: labelled_candidates(g, cached_vectors(embedder.embed, embedder.model_id, g, args.cache)) for g in graphs}
    positives = {g.name: len(g.positives) for g in graphs}
    logo = leave_one_graph_out(frames, positives, {g.name: g.pairs for g in graphs}, args.cut)
    print(f"leave-one-graph-out, publication cut {args.cut}, embedding model {embedder.model_id}")
    print(f"{'left out':<9} {'pairs':>7} {'true':>5} {'cands':>6} | {'edges':>5} {'P':>6} {'R':>6} {'F1':>6} {'AP':>6} {'ECE':>6} "
          f"| SB 0.75: {'edges':>5} {'P':>6} {'R':>6} {'F1':>6} | F1 ratio")
    rows = {}
    for g in graphs:
        r, sb = logo[g.name], session_buddy_scores(frames[g.name], positives[g.name])
        ratio = r["f1"] / sb["f1"] if sb["f1"] else float("inf")
        rows[g.name] = {**r, "session_buddy": sb, "f1_ratio": ratio}
        print(f"{g.name:<9} {g.pairs:>7} {positives[g.name]:>5} {r['candidates']:>6} | {r['edges']:>5} {r['precision']:>6.3f} "
              f"{r['recall']:>6.3f} {r['f1']:>6.3f} {r['average_precision']:>6.3f} {r['ece']:>6.3f} | {'':9}{sb['edges']:>5} "
              f"{sb['precision']:>6.3f} {sb['recall']:>6.3f} {sb['f1']:>6.3f} | {ratio:.1f}x")
    shipped = load_model()
    print(f"\nthe shipped model {shipped.model_id} (fitted on all four, so in-sample) on each graph")
    for g in graphs:
        r = measure(shipped, frames[g.name], positives[g.name], g.pairs, args.cut)
        print(f"{g.name:<9} edges {r['edges']:>4}, right {r['right']:>4}: precision {r['precision']:.3f} recall {r['recall']:.3f} "
              f"(of {positives[g.name]} true pairs not in the source) F1 {r['f1']:.3f} ECE {r['ece']:.3f}")
    for name, r in rows.items():
        print(f"\nreliability, {name} left out (decile of p: candidates, mean p, share right)")
        for b in r["reliability"]:
            print(f"  {b['bin']}  n {b['n']:>5}  mean p {b['mean_p']:.3f}  right {b['right']:.3f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
