"""The knowledge-graph flow: entities -> embeddings -> discovered relationships -> connectivity.

Wiring only: the work is in `sb_pipeline.knowledge_graph` and the SQL in `sb_pipeline.warehouse.knowledge_graph`."""

import json
import time
from datetime import datetime, timezone

import dagster as dg
import numpy as np
import polars as pl

from sb_pipeline.defs.automation import DOWNSTREAM_POLICY, ROOT_POLICY
from sb_pipeline.defs.progress import StepProgress
from sb_pipeline.defs.resources import EmbedderResource, KnowledgeGraphSourceResource, WarehouseResource
from sb_pipeline.knowledge_graph.calibration import null_thresholds
from sb_pipeline.knowledge_graph.connectivity import connectivity_report
from sb_pipeline.knowledge_graph.comention import co_mentions, entity_mentions
from sb_pipeline.knowledge_graph.discovery import EVIDENCE_KINDS, discover
from sb_pipeline.knowledge_graph.features import GraphInputs
from sb_pipeline.knowledge_graph.model import load_model
from sb_pipeline.knowledge_graph.names import name_key
from sb_pipeline.knowledge_graph.entities import normalise_entities
from sb_pipeline.knowledge_graph.neighbors import neighbor_arrays, refresh_neighbors
from sb_pipeline.records import quarantine_frame, rejects_frame
from sb_pipeline.warehouse.rejects import record_rejects
from sb_pipeline.warehouse import knowledge_graph as store
from sb_pipeline.warehouse import mentions

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
    max_per_entity: int = 5  # nearest neighbours each entity proposes as candidates
    publish_cut: float = 0.5  # publish edges with p_related at or above this; the rest stay in relationship_candidates
    fixed_threshold: float | None = None  # e.g. 0.75: Session Buddy's rule decides what is published instead (comparison)
    null_quantile: float = 0.95  # the null model's threshold recorded per edge (`threshold`); its z-score is a feature
    neighbors_kept: int = 10  # length of the stored exact neighbour lists (ranks, mutual kNN)


@dg.asset(group_name=GROUP, kinds={"duckdb", "numpy"}, pool=WRITE_POOL, deps=[entity_embeddings, "entity_mentions"], **DOWNSTREAM_POLICY)
def discovered_relationships(context: dg.AssetExecutionContext, config: DiscoveryConfig, embedder: EmbedderResource,
                             warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Relationships with a probability and their evidence. Candidates: each entity's nearest neighbours
    (exact top-k, only changed entities compared again), pairs where one's observations or name name the
    other, pairs the user's conversations name together; never a pair the source already holds. Each gets
    its evidence as numbers, the shipped relationship model's `p_related` and its band (`confidence`); edges
    at or above `publish_cut` are published here, the rest kept in `relationship_candidates`."""
    started = time.perf_counter()
    model_id = embedder.get().model_id
    with warehouse.get_connection() as conn:
        entities, vectors = store.entity_vectors(conn, model_id)
        stored, stored_hashes = store.stored_neighbors(conn, model_id)
        source = store.source_edges(conn)
        found, conversations = mentions.mentions(conn)
    ids = entities["entity_id"].to_list()
    hashes = dict(zip(ids, entities["text_hash"].to_list()))
    k = max(config.neighbors_kept, config.max_per_entity)
    refresh = refresh_neighbors(ids, vectors, stored, {e for e in ids if stored_hashes.get(e) != hashes[e]}, k)
    idx, sims = neighbor_arrays(ids, refresh.neighbors, k)
    calibration = null_thresholds(vectors, entities["entity_type"].to_list(), quantile=config.null_quantile)
    row = {e: i for i, e in enumerate(ids)}
    held = [(row[a], row[b]) for a, b in source if a in row and b in row]
    keys = [name_key(n) for n in entities["name"].to_list()]
    comentions = co_mentions(entity_mentions(found, keys), conversations, len(ids))
    inputs = GraphInputs(entities, vectors, idx, sims, (np.array([a for a, _ in held], np.int64), np.array([b for _, b in held], np.int64)), comentions)
    model = load_model()
    edges = discover(inputs, calibration, model, config.max_per_entity, model_id, context.run.run_id, config.publish_cut, config.fixed_threshold)
    changed_lists = {e: items for e, items in refresh.neighbors.items()
                     if stored_hashes.get(e) != hashes[e] or [n for n, _ in stored.get(e, [])] != [n for n, _ in items]}
    with warehouse.get_connection() as conn:
        store.save_neighbors(conn, model_id, changed_lists, hashes)
        store.replace_discovered(conn, edges, datetime.now(timezone.utc))
    return dg.MaterializeResult(metadata={
        **discovery_metadata(edges),
        "entities": dg.MetadataValue.int(len(ids)),
        "neighbor_lists_recomputed": dg.MetadataValue.int(refresh.recomputed),
        "neighbor_lists_merged": dg.MetadataValue.int(refresh.merged),
        "neighbor_lists_removed": dg.MetadataValue.int(refresh.removed),
        "conversations_with_mentions": dg.MetadataValue.int(conversations),
        "co_mentioned_pairs": dg.MetadataValue.int(comentions.pairs.height),
        "publish_cut": dg.MetadataValue.float(float(config.publish_cut)),
        "threshold": dg.MetadataValue.json({"method": "fixed", "threshold": config.fixed_threshold} if config.fixed_threshold is not None
                                           else json.loads(calibration.to_json())),
        "seconds": dg.MetadataValue.float(round(time.perf_counter() - started, 3)),
        "model_id": dg.MetadataValue.text(model_id),
        "relationship_model_id": dg.MetadataValue.text(model.model_id),
    })


def discovery_metadata(edges: pl.DataFrame) -> dict:
    """Counts the UI plots: published and candidates, by band, rule, relation type and evidence kind."""
    published = edges.filter(pl.col("published"))
    kinds = (published.select(pl.col("evidence").str.json_path_match("$.kinds").str.json_decode(pl.List(pl.Utf8)).alias("k"))
             .explode("k").drop_nulls().group_by("k").len() if published.height else pl.DataFrame({"k": [], "len": []}))
    by_kind = {k: int(n) for k, n in kinds.iter_rows()}
    count = lambda frame, col: dict(sorted((str(k), int(n)) for k, n in frame.group_by(col).len().iter_rows())) if frame.height else {}
    return {
        "dagster/row_count": dg.MetadataValue.int(published.height),
        "published": dg.MetadataValue.int(published.height),
        "candidates_below_cut": dg.MetadataValue.int(edges.height - published.height),
        **{f"edges_{level}_confidence": dg.MetadataValue.int(int((published["confidence"] == level).sum()) if published.height else 0)
           for level in ("high", "medium", "low")},
        **{f"edges_with_{kind.replace('-', '_')}_evidence": dg.MetadataValue.int(by_kind.get(kind, 0)) for kind in EVIDENCE_KINDS},
        "mean_p_related_published": dg.MetadataValue.float(round(float(published["p_related"].mean()), 4) if published.height else 0.0),
        "mutual_knn_edges": dg.MetadataValue.int(int(published["mutual_knn"].sum()) if published.height else 0),
        "edges_by_rule": dg.MetadataValue.json(count(published, "rule")),
        "edges_by_relation_type": dg.MetadataValue.json(count(published, "relation_type")),
        "edges_by_evidence_kind": dg.MetadataValue.json(by_kind),
    }


@dg.asset(group_name=GROUP, kinds={"duckdb", "python"}, pool=WRITE_POOL, deps=[discovered_relationships, entity_embeddings],
          **DOWNSTREAM_POLICY, check_specs=[dg.AssetCheckSpec("isolated_share_below_threshold", asset="graph_connectivity")])
def graph_connectivity(context: dg.AssetExecutionContext, config: ConnectivityConfig, embedder: EmbedderResource,
                       warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Session Buddy's connectivity metrics with its formulas (ratio, average degree, isolated entities,
    embedding coverage as a fraction, health band, recommendations) on the published edges, plus connected
    components, the degree distribution, the candidates below the cut and the edges per evidence kind;
    one row per run in `graph_metrics`."""
    model_id = embedder.get().model_id
    with warehouse.get_connection() as conn:
        types, source, found = store.graph_edges(conn)
        _, embedded = store.entity_vector_coverage(conn, model_id)
        report = connectivity_report(types, source, found, embedded, store.candidate_count(conn), store.evidence_kind_counts(conn))
        store.insert_graph_metrics(conn, context.run.run_id, report, datetime.now(timezone.utc))
    numeric = {k: v for k, v in report.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return dg.MaterializeResult(
        metadata={**{k: dg.MetadataValue.float(float(v)) if isinstance(v, float) else dg.MetadataValue.int(v) for k, v in numeric.items()},
                  "health": dg.MetadataValue.text(report["health"]),
                  "entity_types": dg.MetadataValue.json(report["entity_types"]),
                  "relation_types": dg.MetadataValue.json(report["relation_types"]),
                  "degree_distribution": dg.MetadataValue.json(report["degree_distribution"]),
                  "evidence_kinds": dg.MetadataValue.json(report["evidence_kinds"]),
                  "recommendations": dg.MetadataValue.md("\n".join(f"- {r}" for r in report["recommendations"]))},
        check_results=[dg.AssetCheckResult(
            check_name="isolated_share_below_threshold", passed=report["isolated_share"] <= config.isolated_share_warn,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"isolated_share": report["isolated_share"], "threshold": config.isolated_share_warn})],
    )
