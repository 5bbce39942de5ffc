"""The knowledge-graph flow: entities -> embeddings -> discovered relationships -> connectivity."""

from datetime import datetime, timezone

import dagster as dg
import polars as pl

from sb_pipeline.conversations.prepare import quarantine_frame
from sb_pipeline.defs.resources import EmbedderResource, KnowledgeGraphSourceResource, WarehouseResource
from sb_pipeline.knowledge_graph.entities import normalise_entities
from sb_pipeline.sources.records import rejects_frame
from sb_pipeline.warehouse import conversations as conversation_store
from sb_pipeline.warehouse import knowledge_graph as store

GROUP = "knowledge_graph"
WRITE_POOL = "duckdb_write"


@dg.asset(group_name=GROUP, kinds={"duckdb", "python"}, pool=WRITE_POOL)
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
    with warehouse.connect() as conn:
        counts = store.mirror_entities(conn, entities, relations, now) if read.available else {}
        new_rejects = conversation_store.record_rejects(conn, quarantined, now)
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


@dg.asset(group_name=GROUP, kinds={"duckdb", "onnx"}, pool=WRITE_POOL, deps=[kg_entities],
          check_specs=[dg.AssetCheckSpec("entity_embedding_coverage_complete", asset="entity_embeddings")])
def entity_embeddings(context: dg.AssetExecutionContext, embedder: EmbedderResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """A vector for every entity from the current model (Session Buddy reached 45.1%). An entity whose
    text changed (new observations) is re-embedded; unchanged ones are not."""
    model = embedder.get()
    with warehouse.connect() as conn:
        todo = store.entities_to_embed(conn, model.model_id)
    vectors = model.embed(todo["text"].to_list())
    with warehouse.connect() as conn:
        if todo.height:
            store.upsert_entity_embeddings(conn, todo, vectors, model.model_id, datetime.now(timezone.utc))
        total, covered = conn.execute(
            "SELECT count(*), count(e.entity_id) FROM kg_entities k LEFT JOIN entity_embeddings e "
            "ON e.entity_id = k.entity_id AND e.model_id = ? AND e.text_hash = k.text_hash", [model.model_id]).fetchall()[0]
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
