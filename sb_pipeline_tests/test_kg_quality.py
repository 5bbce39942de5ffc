"""Discovery quality on the labelled UMLS pairs (sb_pipeline/knowledge_graph/labelled, see PROVENANCE.md)."""

from sb_pipeline.knowledge_graph.quality import LABELLED, evaluate, load_labelled
from sb_pipeline_tests.conftest import bench_module

average_precision = bench_module("baselines").average_precision


def test_labelled_set_and_the_two_thresholds(embedder):
    entities, positives = load_labelled(LABELLED)
    assert entities.height == 135 and len(positives) == 3549
    vectors = embedder.embed(entities["text"].to_list())
    assert 0.60 <= average_precision(vectors, entities["entity_id"].to_list(), positives) <= 0.70  # measured 0.643
    fixed, calibrated = evaluate(entities, vectors, positives)
    assert fixed.method == "fixed_0.75" and calibrated.method.startswith("calibrated")
    assert fixed.precision >= 0.85 and fixed.recall <= 0.03  # the extreme tail: precise, recall near zero
    # The default (null quantile 0.95) triples F1 while precision stays useful: measured 0.122 vs 0.040, P 0.829.
    assert calibrated.precision >= 0.8 and calibrated.f1 >= 2.5 * fixed.f1
    strict = evaluate(entities, vectors, positives, quantile=0.99)[1]
    assert strict.edges < calibrated.edges and strict.recall < calibrated.recall
