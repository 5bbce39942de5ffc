"""Precision, recall and F1 of discovered relationships on the labelled UMLS pairs, for Session Buddy's
fixed 0.75 threshold and for our calibrated default, side by side; plus average precision of the
vectors (all pairs ranked by cosine) as the ceiling any threshold works under.

    .venv/bin/python bench/discovery_quality.py [--quantile 0.95] [--max-per-entity 5]
"""

import argparse

from sb_pipeline.embedding import load_embedder
from baselines import average_precision

from sb_pipeline.knowledge_graph.quality import LABELLED, evaluate, load_labelled


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quantile", type=float, default=0.95)
    parser.add_argument("--max-per-entity", type=int, default=5)
    args = parser.parse_args()
    entities, positives = load_labelled(LABELLED)
    vectors = load_embedder().embed(entities["text"].to_list())
    pairs = entities.height * (entities.height - 1) // 2
    print(f"{entities.height} entities, {pairs} pairs, {len(positives)} related ({len(positives) / pairs:.1%})")
    print(f"average precision of cosine over all pairs: {average_precision(vectors, entities['entity_id'].to_list(), positives):.3f}")
    print(f"{'method':<18} {'threshold':>9} {'edges':>6} {'precision':>9} {'recall':>7} {'F1':>6}")
    for s in evaluate(entities, vectors, positives, args.max_per_entity, quantile=args.quantile):
        print(f"{s.method:<18} {s.threshold:>9.3f} {s.edges:>6} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f}")


if __name__ == "__main__":
    main()
