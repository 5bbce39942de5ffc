"""Checks on the conversation flow that need the warehouse (the rejected-share check is emitted by
`raw_conversations` itself, which knows the run's counts). Assets are named by key, not imported, so
each check module stands on its own."""

from datetime import datetime, timezone

import dagster as dg

from sb_pipeline.defs.conversations.assets import WRITE_POOL
from sb_pipeline.defs.resources import EmbedderResource, WarehouseResource
from sb_pipeline.warehouse import conversations as store


@dg.asset_check(asset="raw_conversations", pool=WRITE_POOL, blocking=True)
def conversation_ids_unique(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """No conversation id and no content appears twice (a retry or re-run must never duplicate)."""
    with warehouse.get_connection(read_only=True) as conn:
        rows, ids, hashes = store.identity_counts(conn)
    return dg.AssetCheckResult(
        passed=rows == ids == hashes,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"rows": rows, "duplicate_ids": rows - ids, "duplicate_contents": rows - hashes},
    )


@dg.asset_check(asset="conversation_embeddings", pool=WRITE_POOL)
def embedding_coverage_complete(embedder: EmbedderResource, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Every chunk has a vector from the current model (vectors of another model do not count)."""
    model_id = embedder.get().model_id
    with warehouse.get_connection(read_only=True) as conn:
        stats = store.statistics(conn, model_id, datetime.now(timezone.utc))
    missing = stats["chunks"] - stats["embedded_chunks"]
    return dg.AssetCheckResult(
        passed=missing == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"chunk_coverage_pct": stats["chunk_coverage"], "chunks_missing_vectors": missing, "model_id": model_id},
    )
