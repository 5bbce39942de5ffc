"""Where the user's conversations name the knowledge graph's entities: the co-mention evidence, kept incrementally.

Wiring only: matching is `sb_pipeline.knowledge_graph.comention` / `names`, the SQL `sb_pipeline.warehouse.mentions`.
"""

from datetime import datetime, timezone

import dagster as dg

from sb_pipeline.defs.automation import DOWNSTREAM_POLICY
from sb_pipeline.defs.knowledge_graph.assets import GROUP, WRITE_POOL, kg_entities
from sb_pipeline.defs.progress import StepProgress
from sb_pipeline.defs.resources import WarehouseResource
from sb_pipeline.knowledge_graph.comention import chunk_mentions, prefilter_words
from sb_pipeline.knowledge_graph.names import name_key
from sb_pipeline.warehouse import knowledge_graph as store
from sb_pipeline.warehouse import mentions

CHUNK_BATCH = 20_000  # chunks matched and written per transaction


@dg.asset(group_name=GROUP, kinds={"duckdb", "polars"}, pool=WRITE_POOL, deps=[kg_entities, "conversation_chunks"], **DOWNSTREAM_POLICY)
def entity_mentions(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Every entity name found whole in every conversation chunk (`chunk_name_mentions`), for co-mention
    counts. Incremental: only chunks not scanned before are read (with every name); chunks scanned before are
    searched only for names new since, and only those containing the new name's first part (SQL prefilter);
    removed chunks and names are forgotten."""
    now = datetime.now(timezone.utc)
    with warehouse.get_connection() as conn:
        keys = sorted({name_key(n) for n in store.entity_names(conn)} - {""})
        forgotten = mentions.forget_stale(conn, keys)
        new_keys = sorted(set(keys) - mentions.known_keys(conn))
        todo = mentions.unscanned_chunks(conn)
    rescanned = _rescan_for_new_keys(warehouse, new_keys)
    progress = StepProgress(context.log, "entity_mentions", todo.height, "chunks")
    progress.begin()
    for start in range(0, todo.height, CHUNK_BATCH):
        ids = todo["chunk_id"].slice(start, CHUNK_BATCH).to_list()
        with warehouse.get_connection() as conn:
            chunks = mentions.chunk_texts(conn, ids)
            mentions.save_scan(conn, chunks, chunk_mentions(chunks, keys), now)
        progress.advance(start + len(ids))
    with warehouse.get_connection() as conn:
        mentions.add_keys(conn, new_keys, now)
        counts = mentions.scan_counts(conn)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": dg.MetadataValue.int(counts["mention_rows"]),
        "chunks_scanned_now": dg.MetadataValue.int(todo.height),
        "chunks_rescanned_for_new_names": dg.MetadataValue.int(rescanned),
        "new_names": dg.MetadataValue.int(len(new_keys)),
        "names": dg.MetadataValue.int(len(keys)),
        **{k: dg.MetadataValue.int(int(v)) for k, v in {**counts, **forgotten}.items()},
    })


def _rescan_for_new_keys(warehouse: WarehouseResource, new_keys: list[str]) -> int:
    """Search the already-scanned chunks for names that are new since they were scanned."""
    if not new_keys:
        return 0
    with warehouse.get_connection() as conn:
        ids = mentions.scanned_chunks_naming(conn, prefilter_words(new_keys))
    for start in range(0, len(ids), CHUNK_BATCH):
        with warehouse.get_connection() as conn:
            chunks = mentions.chunk_texts(conn, ids[start:start + CHUNK_BATCH])
            mentions.save_new_key_mentions(conn, chunks, new_keys, chunk_mentions(chunks, new_keys))
    return len(ids)
