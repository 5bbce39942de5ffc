"""The knowledge-graph flow: entities -> embeddings -> discovered relationships -> connectivity.

Wiring only: the work is in `sb_pipeline.knowledge_graph` and the SQL in `sb_pipeline.warehouse.knowledge_graph`."""

import json
import time
from datetime import datetime, timezone

import dagster as dg
import polars as pl

from sb_pipeline.defs.automation import DOWNSTREAM_POLICY, ROOT_POLICY
from sb_pipeline.defs.progress import StepProgress
from sb_pipeline.defs.resources import EmbedderResource, KnowledgeGraphSourceResource, WarehouseResource
from sb_pipeline.knowledge_graph.calibration import null_thresholds
from sb_pipeline.knowledge_graph.connectivity import connectivity_report
from sb_pipeline.knowledge_graph.discovery import confidence, discover
from sb_pipeline.knowledge_graph.entities import normalise_entities
from sb_pipeline.knowledge_graph.neighbors import neighbor_arrays, refresh_neighbors
from sb_pipeline.records import quarantine_frame, rejects_frame
from sb_pipeline.warehouse.rejects import record_rejects
from sb_pipeline.warehouse import knowledge_graph as store

GROUP = "knowledge_graph"
WRITE_POOL = "duckdb_write"
ENTITY_GROUP_SIZE = 1024  # entities embedded between two short write transactions


@dg.asset(group_name=GROUP, kinds={"duckdb", "python"}, pool=WRITE_POOL, **ROOT_POLICY)
def kg_entities(context: dg.AssetExecutionContext, knowledge_graph_source: KnowledgeGraphSourceResource,
                warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Session Buddy's entities with one text recipe (name, type, observations), clean names and types.
    Rows without a name or with an unknown type are rejected with a reason; entities whose names differ
    only by case are merged. The source's own relationships are kept in `kg_source_relationships`."""
    now = datetime.now(timezone.utc)
    read = knowledge_graph_source.read()
    for note in read.notes:
        (context.log.info if read.available else context.log.warning)(f"knowledge_graph: {note}")
    entities, relations, rejects = normalise_entities(read.entities, read.relations)
    quarantined = quarantine_frame(rejects_frame(read.rejects + rejects))
    with warehouse.get_connection() as conn:
        counts = store.mirror_entities(conn, entities, relations, now) if read.available else {}
        new_rejects = record_rejects(conn, quarantined, now)
    by_reason = dict(sorted(quarantined.group_by("reason").len().iter_rows())) if quarantined.height else {}
    by_type = dict(sorted(entities.group_by("entity_type").len().iter_rows())) if entities.height else {}
    return dg.MaterializeResult(metadata={
        "dagster/row_count": dg.MetadataValue.int(entities.height),
        "read": dg.MetadataValue.int(read.entities.height),
        "new": dg.MetadataValue.int(counts.get("new", 0)),
        "updated": dg.MetadataValue.int(counts.get("updated", 0)),
        "unchanged": dg.MetadataValue.int(counts.get("unchanged", 0)),
        "removed": dg.MetadataValue.int(counts.get("removed", 0)),
        "rejected": dg.MetadataValue.int(quarantined.height),
        "rejected_new": dg.MetadataValue.int(new_rejects),
        "rejected_by_reason": dg.MetadataValue.json(by_reason),
        "source_relationships": dg.MetadataValue.int(relations.height),
        "secrets_redacted": dg.MetadataValue.int(int(entities["secrets_redacted"].sum()) if entities.height else 0),
        "entity_types": dg.MetadataValue.json(by_type),
        "source_available": dg.MetadataValue.bool(read.available),
    })


@dg.asset(group_name=GROUP, kinds={"duckdb", "onnx"}, pool=WRITE_POOL, deps=[kg_entities], **DOWNSTREAM_POLICY,
          check_specs=[dg.AssetCheckSpec("entity_embedding_coverage_complete", asset="entity_embeddings")])
def entity_embeddings(context: dg.AssetExecutionContext, embedder: EmbedderResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """A vector for every entity from the current model (Session Buddy reached 45.1%). An entity whose
    text changed (new observations) is re-embedded; unchanged ones are not."""
    model = embedder.get()
    with warehouse.get_connection() as conn:
        todo = store.entities_to_embed(conn, model.model_id)
    progress = StepProgress(context.log, "entity_embeddings", todo.height, "entities")
    progress.begin()
    for start in range(0, todo.height, ENTITY_GROUP_SIZE):  # each group its own transaction, like the conversations'
        group = todo.slice(start, ENTITY_GROUP_SIZE)
        vectors = model.embed(group["text"].to_list())
        with warehouse.get_connection() as conn:
            store.upsert_entity_embeddings(conn, group, vectors, model.model_id, datetime.now(timezone.utc))
        progress.advance(start + group.height)
    with warehouse.get_connection() as conn:
        total, covered = store.entity_vector_coverage(conn, model.model_id)
    coverage = covered / total if total else 1.0
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(covered),
            "embedded": dg.MetadataValue.int(todo.height),
            "reused": dg.MetadataValue.int(covered - todo.height),
            "coverage": dg.MetadataValue.float(round(coverage, 4)),
            "model_id": dg.MetadataValue.text(model.model_id),
        },
        check_results=[dg.AssetCheckResult(
            check_name="entity_embedding_coverage_complete", passed=covered == total, severity=dg.AssetCheckSeverity.ERROR,
            metadata={"entities": total, "with_current_vector": covered, "model_id": model.model_id})],
    )


class ConnectivityConfig(dg.Config):
    isolated_share_warn: float = 0.5  # WARN when more than this share of entities has no relationship


class DiscoveryConfig(dg.Config):
    max_per_entity: int = 5  # candidate edges per entity (its nearest neighbours)
    fixed_threshold: float | None = None  # e.g. 0.75, Session Buddy's; None: calibrated against the null model
    null_quantile: float = 0.95  # an edge must beat this quantile of random same-type-pair cosines (see README)
    neighbors_kept: int = 10  # length of the stored exact neighbour lists (ranks, mutual kNN)


@dg.asset(group_name=GROUP, kinds={"duckdb", "numpy"}, pool=WRITE_POOL, deps=[entity_embeddings], **DOWNSTREAM_POLICY)
def discovered_relationships(context: dg.AssetExecutionContext, config: DiscoveryConfig, embedder: EmbedderResource,
                             warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Relationships found from the entities' vectors and observations, each with its evidence: exact
    top-k cosine (blocked matrix products), a threshold calibrated per type pair against random pairs,
    one undirected edge per pair, none where the source graph already relates the pair, and a typed label
    only when its evidence holds (an observation naming the other entity, or the type pair plus mutual
    closeness); otherwise `related_to`. Only entities that changed are compared again."""
    started = time.perf_counter()
    model_id = embedder.get().model_id
    with warehouse.get_connection() as conn:
        entities, vectors = store.entity_vectors(conn, model_id)
        stored, stored_hashes = store.stored_neighbors(conn, model_id)
        existing = store.source_pairs(conn)
    ids = entities["entity_id"].to_list()
    hashes = dict(zip(ids, entities["text_hash"].to_list()))
    k = max(config.neighbors_kept, config.max_per_entity)
    refresh = refresh_neighbors(ids, vectors, stored, {e for e in ids if stored_hashes.get(e) != hashes[e]}, k)
    idx, sims = neighbor_arrays(ids, refresh.neighbors, k)
    if config.fixed_threshold is not None:
        threshold, threshold_meta = config.fixed_threshold, {"method": "fixed", "threshold": config.fixed_threshold}
    else:
        threshold = null_thresholds(vectors, entities["entity_type"].to_list(), quantile=config.null_quantile)
        threshold_meta = json.loads(threshold.to_json())
    edges = discover(entities, idx, sims, threshold, existing, config.max_per_entity, model_id, context.run.run_id, vectors=vectors)
    edges = edges.with_columns(edges["rule"].map_elements(confidence, return_dtype=pl.Utf8).alias("confidence"))
    changed_lists = {e: items for e, items in refresh.neighbors.items()
                     if stored_hashes.get(e) != hashes[e] or [n for n, _ in stored.get(e, [])] != [n for n, _ in items]}
    with warehouse.get_connection() as conn:
        store.save_neighbors(conn, model_id, changed_lists, hashes)
        store.replace_discovered(conn, edges, datetime.now(timezone.utc))
    by_rule = dict(sorted(edges.group_by("rule").len().iter_rows())) if edges.height else {}
    by_type = dict(sorted(edges.group_by("relation_type").len().iter_rows())) if edges.height else {}
    by_confidence = {level: int((edges["confidence"] == level).sum()) for level in ("high", "medium", "low")}
    return dg.MaterializeResult(metadata={
        **{f"edges_{level}_confidence": dg.MetadataValue.int(n) for level, n in by_confidence.items()},
        "dagster/row_count": dg.MetadataValue.int(edges.height),
        "entities": dg.MetadataValue.int(len(ids)),
        "neighbor_lists_recomputed": dg.MetadataValue.int(refresh.recomputed),
        "neighbor_lists_merged": dg.MetadataValue.int(refresh.merged),
        "neighbor_lists_removed": dg.MetadataValue.int(refresh.removed),
        "mutual_knn_edges": dg.MetadataValue.int(int(edges["mutual_knn"].sum()) if edges.height else 0),
        "edges_by_rule": dg.MetadataValue.json(by_rule),
        "edges_by_relation_type": dg.MetadataValue.json(by_type),
        "threshold": dg.MetadataValue.json(threshold_meta),
        "global_threshold": dg.MetadataValue.float(float(threshold if isinstance(threshold, float) else threshold.global_threshold)),
        "seconds": dg.MetadataValue.float(round(time.perf_counter() - started, 3)),
        "model_id": dg.MetadataValue.text(model_id),
    })


@dg.asset(group_name=GROUP, kinds={"duckdb", "python"}, pool=WRITE_POOL, deps=[discovered_relationships, entity_embeddings],
          **DOWNSTREAM_POLICY, check_specs=[dg.AssetCheckSpec("isolated_share_below_threshold", asset="graph_connectivity")])
def graph_connectivity(context: dg.AssetExecutionContext, config: ConnectivityConfig, embedder: EmbedderResource,
                       warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Session Buddy's connectivity metrics with its formulas (ratio, average degree, isolated entities,
    embedding coverage as a fraction, health band, recommendations), plus connected components and the
    degree distribution; one row per run in `graph_metrics`."""
    model_id = embedder.get().model_id
    with warehouse.get_connection() as conn:
        types, source, found = store.graph_edges(conn)
        _, embedded = store.entity_vector_coverage(conn, model_id)
        report = connectivity_report(types, source, found, embedded)
        store.insert_graph_metrics(conn, context.run.run_id, report, datetime.now(timezone.utc))
    numeric = {k: v for k, v in report.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return dg.MaterializeResult(
        metadata={**{k: dg.MetadataValue.float(float(v)) if isinstance(v, float) else dg.MetadataValue.int(v) for k, v in numeric.items()},
                  "health": dg.MetadataValue.text(report["health"]),
                  "entity_types": dg.MetadataValue.json(report["entity_types"]),
                  "relation_types": dg.MetadataValue.json(report["relation_types"]),
                  "degree_distribution": dg.MetadataValue.json(report["degree_distribution"]),
                  "recommendations": dg.MetadataValue.md("\n".join(f"- {r}" for r in report["recommendations"]))},
        check_results=[dg.AssetCheckResult(
            check_name="isolated_share_below_threshold", passed=report["isolated_share"] <= config.isolated_share_warn,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"isolated_share": report["isolated_share"], "threshold": config.isolated_share_warn})],
    )
