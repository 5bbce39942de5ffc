"""Checks on the knowledge-graph flow. Assets are named by key, not imported (see conversations/checks.py)."""

import dagster as dg

from sb_pipeline.defs.knowledge_graph.assets import WRITE_POOL
from sb_pipeline.defs.resources import EmbedderResource, WarehouseResource
from sb_pipeline.knowledge_graph.labelled import all_graphs
from sb_pipeline.knowledge_graph.model import load_model
from sb_pipeline.knowledge_graph.quality import cached_vectors, labelled_candidates, measure
from sb_pipeline.warehouse import knowledge_graph as store


@dg.asset_check(asset="discovered_relationships", pool=WRITE_POOL, blocking=True)
def edges_are_simple(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """No self-loops, no pair twice (in either direction), no pair the source graph already relates."""
    with warehouse.get_connection(read_only=True) as conn:
        anomalies = store.edge_anomalies(conn)
    return dg.AssetCheckResult(passed=not any(anomalies.values()), severity=dg.AssetCheckSeverity.ERROR, metadata=anomalies)


PRECISION_FLOOR = 0.6
ECE_CEILING = 0.10


@dg.asset_check(asset="discovered_relationships")
def discovery_precision(embedder: EmbedderResource) -> dg.AssetCheckResult:
    """How often published relationships are right, re-measured with the current embedding model and the
    shipped relationship model on the labelled graphs shipped in the package (umls, debian, devgraph; see
    sb_pipeline/knowledge_graph/labelled/*/PROVENANCE.md): precision, recall, F1, average precision and
    calibration error per graph, next to Session Buddy's fixed 0.75. The model was fitted on these graphs, so
    this guards against regressions (a model, feature or embedding change); the figures on graphs left out of
    the fit are bench/discovery_quality.py's. WARN when a graph's precision falls below 0.6 or its ECE above 0.10."""
    model = load_model()
    encoder = embedder.get()
    metadata: dict = {"relationship_model_id": model.model_id, "precision_floor": PRECISION_FLOOR, "ece_ceiling": ECE_CEILING}
    failing = []
    for graph in all_graphs():
        vectors = cached_vectors(encoder.embed, encoder.model_id, graph, embedder.models() / "labelled")
        got = measure(model, labelled_candidates(graph, vectors), len(graph.positives), graph.pairs)
        for key in ("precision", "recall", "f1", "average_precision", "ece", "edges"):
            metadata[f"{graph.name}_{key}"] = got[key]
        metadata[f"{graph.name}_session_buddy_f1"] = got["session_buddy"]["f1"]
        if got["precision"] < PRECISION_FLOOR or got["ece"] > ECE_CEILING:
            failing.append(graph.name)
    metadata["below_target"] = ", ".join(failing) or "none"
    return dg.AssetCheckResult(passed=not failing, severity=dg.AssetCheckSeverity.WARN, metadata=metadata)
