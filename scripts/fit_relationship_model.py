"""Fit the relationship model on every labelled graph and write the artefact with its provenance.

    .venv/bin/python scripts/fit_relationship_model.py [--out sb_pipeline/knowledge_graph/relationship_model.json]

Graphs: umls, debian, devgraph (sb_pipeline/knowledge_graph/labelled/) and the shipped samples
(data/samples/knowledge_graph.duckdb with KG_MANIFEST.json's truth). Candidates and features exactly as
discovery makes them (max 5 nearest per entity, null quantile 0.95, 10 neighbours kept), the project's
embedding model. The leave-one-graph-out figures computed first are written into the artefact, so the
shipped file says how well it did on graphs it had not seen. Deterministic for the same inputs and model.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import sklearn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sb_pipeline.embedding import load_embedder  # noqa: E402
from sb_pipeline.knowledge_graph.labelled import all_graphs  # noqa: E402
from sb_pipeline.knowledge_graph.model import MODEL_PATH, RelationshipModel  # noqa: E402
from sb_pipeline.knowledge_graph.quality import cached_vectors, labelled_candidates  # noqa: E402
from sb_pipeline.knowledge_graph.training import C, MODEL_FEATURES, fit, leave_one_graph_out  # noqa: E402


def frames(cache: Path) -> tuple[dict, dict, dict, dict, str]:
    embedder = load_embedder()
    with tempfile.TemporaryDirectory() as snap:
        graphs = all_graphs(ROOT / "data" / "samples" / "knowledge_graph.duckdb", ROOT / "data" / "samples" / "KG_MANIFEST.json", Path(snap))
    out, positives, pairs, sizes = {}, {}, {}, {}
    for g in graphs:
        vectors = cached_vectors(embedder.embed, embedder.model_id, g, cache)
        out[g.name] = labelled_candidates(g, vectors)
        positives[g.name], pairs[g.name] = len(g.positives), g.pairs
        sizes[g.name] = {"entities": g.entities.height, "source_relationships": len(g.source_pairs), "pairs_to_judge": g.pairs,
                         "true_pairs_to_discover": len(g.positives), "candidates": out[g.name].height,
                         "candidate_true_pairs": int(out[g.name]["label"].sum()),
                         "conversations": 0 if g.conversations is None else g.conversations.height}
    return out, positives, pairs, sizes, embedder.model_id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--cache", type=Path, default=ROOT / "data" / "cache" / "labelled")
    args = parser.parse_args()
    candidates, positives, pairs, sizes, embedding_model = frames(args.cache)
    logo = leave_one_graph_out(candidates, positives, pairs)
    training = {
        "fitted_by": "scripts/fit_relationship_model.py", "estimator": f"sklearn.linear_model.LogisticRegression(C={C}, L2)",
        "scikit_learn": sklearn.__version__, "embedding_model": embedding_model, "graphs": sizes,
        "candidates": "each entity's 5 nearest, names in observations, names inside names, co-mentions; source pairs excluded",
        "leave_one_graph_out": {g: {k: v for k, v in r.items() if k != "reliability"} for g, r in logo.items()},
    }
    model = fit(list(candidates.values()), MODEL_FEATURES, C, training)
    args.out.write_text(model.to_json())
    print(f"{model.model_id} written to {args.out}")
    for g, r in logo.items():
        print(f"  left out {g:9s} precision {r['precision']:.3f} recall {r['recall']:.3f} F1 {r['f1']:.3f} "
              f"AP {r['average_precision']:.3f} ECE {r['ece']:.3f}")
    for feature, weight in model.weights().items():
        print(f"  {feature:22s} {weight:+.3f}")


if __name__ == "__main__":
    main()
