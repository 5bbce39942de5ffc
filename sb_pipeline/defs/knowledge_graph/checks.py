"""Checks on the knowledge-graph flow. Assets are named by key, not imported (see conversations/checks.py)."""

import dagster as dg

from sb_pipeline.defs.knowledge_graph.assets import WRITE_POOL
from sb_pipeline.defs.resources import EmbedderResource, WarehouseResource
from sb_pipeline.knowledge_graph.quality import evaluate, load_labelled
from sb_pipeline.warehouse import knowledge_graph as store


@dg.asset_check(asset="discovered_relationships", pool=WRITE_POOL, blocking=True)
def edges_are_simple(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """No self-loops, no pair twice (in either direction), no pair the source graph already relates."""
    with warehouse.get_connection(read_only=True) as conn:
        anomalies = store.edge_anomalies(conn)
    return dg.AssetCheckResult(passed=not any(anomalies.values()), severity=dg.AssetCheckSeverity.ERROR, metadata=anomalies)


PRECISION_FLOOR = 0.75


@dg.asset_check(asset="discovered_relationships")
def discovery_precision(embedder: EmbedderResource) -> dg.AssetCheckResult:
    """How often discovery is right, re-measured with the current model on labelled pairs of a real graph
    (the UMLS semantic network, see sb_pipeline/knowledge_graph/labelled/PROVENANCE.md). A model or rule
    change that makes relationships untrustworthy shows here, next to Session Buddy's fixed 0.75."""
    entities, positives = load_labelled()
    vectors = embedder.get().embed(entities["text"].to_list())
    fixed, default = evaluate(entities, vectors, positives)
    return dg.AssetCheckResult(
        passed=default.precision >= PRECISION_FLOOR,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"precision": default.precision, "recall": default.recall, "f1": default.f1, "edges": default.edges,
                  "floor": PRECISION_FLOOR, "fixed_0.75_precision": fixed.precision, "fixed_0.75_recall": fixed.recall,
                  "fixed_0.75_f1": fixed.f1},
    )
