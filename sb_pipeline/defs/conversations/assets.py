"""The conversation flow: raw conversations -> chunks -> embeddings, each a table in the warehouse.

Wiring only: the work is in `sb_pipeline.conversations` (ingest, chunking) and `sb_pipeline.warehouse`
(SQL). Each asset does its CPU work (parsing, tokenising, embedding) outside any DuckDB connection and
writes in short transactions, so the one-writer lock is held for seconds, not minutes.
"""

import tempfile
import time
from datetime import datetime, timezone

import dagster as dg

from sb_pipeline.conversations.chunking import DEFAULT_BATCH_CHARS, chunk_frame, conversation_batches
from sb_pipeline.conversations.ingest import IngestCounts, Spool, spool_sources
from sb_pipeline.conversations.prepare import DEFAULT_MAX_CHARS, DEFAULT_MIN_CHARS
from sb_pipeline.defs.automation import DOWNSTREAM_POLICY, ROOT_POLICY
from sb_pipeline.defs.metadata import markdown_table
from sb_pipeline.defs.progress import StepProgress
from sb_pipeline.defs.resources import ConversationSourcesResource, EmbedderResource, WarehouseResource
from sb_pipeline.records import SourceRead
from sb_pipeline.warehouse import conversations as store

GROUP = "conversations"
WRITE_POOL = "duckdb_write"
EMBED_GROUP_SIZE = 1024  # texts embedded between two short write transactions
EMBED_READ_GROUPS = 8  # groups whose texts are read from the warehouse at once
REJECTED_SHARE_WARN = 0.10


class IngestConfig(dg.Config):
    min_chars: int = DEFAULT_MIN_CHARS
    max_chars: int = DEFAULT_MAX_CHARS
    rejected_share_warn: float = REJECTED_SHARE_WARN


@dg.asset(group_name=GROUP, kinds={"duckdb", "python"}, pool=WRITE_POOL, **ROOT_POLICY,
          check_specs=[dg.AssetCheckSpec("rejected_share_below_threshold", asset="raw_conversations")])
def raw_conversations(context: dg.AssetExecutionContext, config: IngestConfig, conversation_sources: ConversationSourcesResource,
                      warehouse: WarehouseResource) -> dg.MaterializeResult:
    """One row per conversation, reflection or insight from Session Buddy's reflection DB (every era),
    Claude Code transcripts and the inbox: secrets redacted, 50..50,000 characters, exact copies
    collapsed. Bad inputs land in `rejected_records` with a reason; the run goes on without them.
    Sources are read a batch at a time through private spool files, so memory stays bounded however
    much there is (`sb_pipeline.conversations.ingest`)."""
    spool_root = conversation_sources.snapshots()
    spool_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ingest-", dir=spool_root) as spool_dir:
        spool = spool_sources(conversation_sources.iter_batches(config.max_chars), spool_root / spool_dir,
                              config.min_chars, config.max_chars, on_batch=lambda read: _log_batch(context, read))
        with warehouse.get_connection() as conn:
            counts = spool.write(conn, datetime.now(timezone.utc))
            total, newest = store.conversation_count(conn), store.newest_conversations(conn)
    share = counts.rejects.height / spool.tally.seen if spool.tally.seen else 0.0
    check = dg.AssetCheckResult(
        check_name="rejected_share_below_threshold", passed=share <= config.rejected_share_warn, severity=dg.AssetCheckSeverity.WARN,
        metadata={"rejected_share": share, "threshold": config.rejected_share_warn, "rejected_by_reason": counts.rejected_by_reason},
        description=f"{counts.rejects.height} of {spool.tally.seen} inputs rejected",
    )
    return dg.MaterializeResult(metadata=_ingest_metadata(spool, counts, share, total, newest), check_results=[check])


def _log_batch(context: dg.AssetExecutionContext, read: SourceRead) -> None:
    log = context.log.info if read.available else context.log.warning  # an unavailable source is news
    for note in read.notes:
        log(f"{read.source}: {note}")


def _ingest_metadata(spool: Spool, counts: IngestCounts, share: float, total: int, newest) -> dict:
    tally = spool.tally
    return {
        "dagster/row_count": dg.MetadataValue.int(total),
        "read": dg.MetadataValue.int(tally.read),
        "new": dg.MetadataValue.int(counts.new),
        "updated": dg.MetadataValue.int(counts.updated),
        "unchanged": dg.MetadataValue.int(counts.unchanged),
        "skipped_duplicates": dg.MetadataValue.int(counts.skipped_duplicates),
        "rejected": dg.MetadataValue.int(counts.rejects.height),
        "rejected_new": dg.MetadataValue.int(counts.rejected_new),
        "rejected_by_reason": dg.MetadataValue.json(counts.rejected_by_reason),
        "rejected_share": dg.MetadataValue.float(round(share, 4)),
        "secrets_redacted": dg.MetadataValue.int(tally.secrets_redacted),
        "read_by_source": dg.MetadataValue.json(tally.per_source),
        "sources_unavailable": dg.MetadataValue.json(tally.unavailable),
        "source_notes": dg.MetadataValue.json({source: found for source, found in tally.notes.items() if found}),
        "newest": dg.MetadataValue.md(markdown_table(newest)),
    }


@dg.asset(group_name=GROUP, kinds={"duckdb", "python"}, pool=WRITE_POOL, deps=[raw_conversations], **DOWNSTREAM_POLICY)
def conversation_chunks(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Windows of at most 256 model tokens (254 + [CLS]/[SEP]) with a 32-token overlap, cut on word
    boundaries, so every part of a long conversation is embedded. Only new or changed conversations
    are re-chunked, a batch of about DEFAULT_BATCH_CHARS characters at a time (read, chunked, written in
    one transaction that swaps each conversation's chunks whole), so memory does not grow with the
    warehouse."""
    from sb_pipeline.embedding import load_tokenizer

    tokenizer = load_tokenizer()
    with warehouse.get_connection() as conn:
        todo = store.conversations_to_chunk(conn)
    progress = StepProgress(context.log, "conversation_chunks", todo.height, "conversations")
    progress.begin()
    written = done = 0
    for ids in conversation_batches(todo, DEFAULT_BATCH_CHARS):
        with warehouse.get_connection() as conn:
            texts = store.conversation_texts(conn, ids)
        frame = chunk_frame(texts, tokenizer)
        with warehouse.get_connection() as conn:
            store.replace_chunks(conn, ids, frame)
        written, done = written + frame.height, done + len(ids)
        progress.advance(done)
    with warehouse.get_connection() as conn:
        total, multi = store.chunk_counts(conn)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": dg.MetadataValue.int(total),
        "conversations_chunked": dg.MetadataValue.int(todo.height),
        "chunks_written": dg.MetadataValue.int(written),
        "conversations_with_several_chunks": dg.MetadataValue.int(multi),
    })


@dg.asset(group_name=GROUP, kinds={"duckdb", "onnx"}, pool=WRITE_POOL, deps=[conversation_chunks], **DOWNSTREAM_POLICY)
def conversation_embeddings(context: dg.AssetExecutionContext, embedder: EmbedderResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """all-MiniLM-L6-v2 vectors for every chunk text that has none for the current model. Incremental:
    a second run with nothing new embeds 0. Written in groups, each its own transaction, so an
    interrupted run keeps what it finished and never leaves half a group."""
    model = embedder.get()
    with warehouse.get_connection() as conn:
        hashes = store.text_hashes_to_embed(conn, model.model_id)
    progress = StepProgress(context.log, "conversation_embeddings", len(hashes), "texts")
    progress.begin()
    step = EMBED_GROUP_SIZE * EMBED_READ_GROUPS
    for block in range(0, len(hashes), step):  # texts are read a few groups at a time, never all at once
        with warehouse.get_connection(read_only=True) as conn:
            texts = store.chunk_texts(conn, hashes[block : block + step])
        for offset in range(0, len(texts), EMBED_GROUP_SIZE):
            start = block + offset
            vectors = model.embed(texts[offset : offset + EMBED_GROUP_SIZE])
            with warehouse.get_connection() as conn:
                store.insert_embeddings(conn, hashes[start : start + EMBED_GROUP_SIZE], vectors, model.model_id, datetime.now(timezone.utc))
            progress.advance(min(start + EMBED_GROUP_SIZE, len(hashes)))
    seconds = time.perf_counter() - progress.started
    with warehouse.get_connection() as conn:
        stats = store.statistics(conn, model.model_id, datetime.now(timezone.utc))
        stale = store.stale_vector_count(conn, model.model_id)
    rate = {"texts_per_second": dg.MetadataValue.float(round(len(hashes) / seconds, 1))} if hashes and seconds > 0 else {}
    return dg.MaterializeResult(metadata={
        "dagster/row_count": dg.MetadataValue.int(stats["embedded_chunks"]),
        "embedded": dg.MetadataValue.int(len(hashes)),
        "reused": dg.MetadataValue.int(stats["embedded_chunks"] - len(hashes)),
        "chunk_coverage_pct": dg.MetadataValue.float(stats["chunk_coverage"]),
        "conversation_coverage_pct": dg.MetadataValue.float(stats["embedding_coverage"]),
        **rate,  # absent when nothing was embedded: a 0.0 would plot as a collapse
        "model_id": dg.MetadataValue.text(model.model_id),
        "stale_vectors_other_models": dg.MetadataValue.int(stale),
        "statistics": dg.MetadataValue.json(stats),
    })
