"""The conversation flow: raw conversations -> chunks -> embeddings, each a table in the warehouse.

Each asset does its CPU work (parsing, tokenising, embedding) outside any DuckDB connection and
writes in short transactions, so the one-writer lock is held for seconds, not minutes.
"""


import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import polars as pl

from sb_pipeline.conversations.chunking import chunk_id, chunk_text, text_hash
from sb_pipeline.conversations.prepare import (
    DEFAULT_MAX_CHARS,
    DEFAULT_MIN_CHARS,
    collapse,
    duplicate_id_rejects,
    prepare_rows,
    quarantine_frame,
)
from sb_pipeline.defs.metadata import markdown_table
from sb_pipeline.defs.resources import ConversationSourcesResource, EmbedderResource, WarehouseResource
from sb_pipeline.sources import SourceRead, inbox, reflection_db, transcripts
from sb_pipeline.sources.timestamps import zone
from sb_pipeline.warehouse import conversations as store
from sb_pipeline.warehouse.rejects import record_rejects

GROUP = "conversations"
WRITE_POOL = "duckdb_write"
EMBED_GROUP_SIZE = 1024  # texts embedded between two short write transactions
EMBED_READ_GROUPS = 8  # groups whose texts are read from the warehouse at once
CHUNK_BATCH_CHARS = 4_000_000  # conversation text chunked between two short write transactions
CHUNK_SCHEMA = {"chunk_id": pl.Utf8, "conversation_id": pl.Utf8, "ordinal": pl.Int32, "text": pl.Utf8, "text_hash": pl.Utf8,
                "content_hash": pl.Utf8, "start_char": pl.Int32, "end_char": pl.Int32}
REJECTED_SHARE_WARN = 0.10


class IngestConfig(dg.Config):
    min_chars: int = DEFAULT_MIN_CHARS
    max_chars: int = DEFAULT_MAX_CHARS
    rejected_share_warn: float = REJECTED_SHARE_WARN


@dg.asset(
    group_name=GROUP,
    kinds={"duckdb", "python"},
    pool=WRITE_POOL,
    check_specs=[dg.AssetCheckSpec("rejected_share_below_threshold", asset="raw_conversations")],
)
def raw_conversations(
    context: dg.AssetExecutionContext,
    config: IngestConfig,
    conversation_sources: ConversationSourcesResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    """One row per conversation, reflection or insight from Session Buddy's reflection DB (every era),
    Claude Code transcripts and the inbox: secrets redacted, 50..50,000 characters, exact copies
    collapsed. Bad inputs land in `rejected_records` with a reason; the run goes on without them.
    Sources are read a batch at a time and the prepared rows spooled to private temp files under the
    snapshot folder, so memory stays bounded however much there is. Copies and id clashes are then
    decided over all rows' keys at once, and the kept rows written a spool file per transaction: the
    same rows, rejects and counts as `prepare_conversations` + `upsert_conversations` on everything."""
    now = datetime.now(timezone.utc)
    read_count = 0
    per_source: dict[str, int] = {}
    unavailable: dict[str, list[str]] = {}
    read_rejects: list[pl.DataFrame] = []
    row_rejects: list[pl.DataFrame] = []
    keys: list[pl.DataFrame] = []
    secrets = 0
    notes: dict[str, list[str]] = {}
    offset = 0  # _seq: each prepared row's place in the input, which collapse's order falls back on
    spool_root = Path(conversation_sources.snapshot_dir).expanduser()
    spool_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ingest-", dir=spool_root) as spool:
        # Pass 1, a batch of records at a time: clean, redact, hash; the rows go to a private spool file, only
        # their keys stay in memory.
        spooled: list[Path] = []
        for read in _source_batches(conversation_sources, config.max_chars):
            log = context.log.info if read.available else context.log.warning  # an unavailable source is news
            for note in read.notes:
                log(f"{read.source}: {note}")
            notes.setdefault(read.source, []).extend(read.notes)  # e.g. a table skipped for a missing column
            if not read.available:
                unavailable[read.source] = read.notes
            per_source[read.source] = per_source.get(read.source, 0) + read.records.height
            read_count += read.records.height
            read_rejects.append(read.rejects)
            rows = prepare_rows(read.records, config.min_chars, config.max_chars)
            row_rejects.append(rows.rejects)
            secrets += rows.secrets_redacted
            frame = rows.conversations.with_columns(pl.int_range(offset, offset + rows.conversations.height, dtype=pl.Int64).alias("_seq"))
            offset += frame.height
            spooled.append(Path(spool) / f"{len(spooled):06d}.arrow")
            frame.write_ipc(spooled[-1])
            keys.append(frame.select("conversation_id", "content_hash", "started_at", "source", "source_ref", "_seq"))
        # Pass 2, over the keys of every row at once: exact copies and id clashes, as prepare_conversations does.
        kept, clashes, copies = collapse(pl.concat(keys))
        keys.clear()
        clash_rows = pl.concat([_spooled(path, clashes["_seq"]) for path in spooled])
        clash_rows = clashes.select("_seq").join(clash_rows, on="_seq", how="left", maintain_order="left")  # collapse's order
        rejects = quarantine_frame(pl.concat([*read_rejects, *row_rejects, duplicate_id_rejects(clash_rows)]))
        # Pass 3: the kept rows, a spool file per transaction.
        with warehouse.connect() as conn:
            counts = store.upsert_conversation_batches(conn, kept, (_spooled(path, kept["_seq"]) for path in spooled), now)
            new_rejects = record_rejects(conn, rejects, now)
            total = conn.execute("SELECT count(*) FROM conversations").fetchall()[0][0]
            newest = conn.sql(
                "SELECT started_at, source, kind, project, left(regexp_replace(content, '\\s+', ' ', 'g'), 80) AS content "
                "FROM conversations ORDER BY started_at DESC NULLS LAST LIMIT 5"
            ).pl()
    by_reason = dict(sorted(rejects.group_by("reason").len().iter_rows())) if rejects.height else {}
    seen = read_count + sum(r.height for r in read_rejects)
    share = rejects.height / seen if seen else 0.0
    metadata = {
        "dagster/row_count": dg.MetadataValue.int(total),
        "read": dg.MetadataValue.int(read_count),
        "new": dg.MetadataValue.int(counts["new"]),
        "updated": dg.MetadataValue.int(counts["updated"]),
        "unchanged": dg.MetadataValue.int(counts["unchanged"]),
        "skipped_duplicates": dg.MetadataValue.int(copies + counts["duplicate"]),
        "rejected": dg.MetadataValue.int(rejects.height),
        "rejected_new": dg.MetadataValue.int(new_rejects),
        "rejected_by_reason": dg.MetadataValue.json(by_reason),
        "rejected_share": dg.MetadataValue.float(round(share, 4)),
        "secrets_redacted": dg.MetadataValue.int(secrets),
        "read_by_source": dg.MetadataValue.json(per_source),
        "sources_unavailable": dg.MetadataValue.json(unavailable),
        "source_notes": dg.MetadataValue.json({source: found for source, found in notes.items() if found}),
        "newest": dg.MetadataValue.md(markdown_table(newest)),
    }
    check = dg.AssetCheckResult(
        check_name="rejected_share_below_threshold",
        passed=share <= config.rejected_share_warn,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"rejected_share": share, "threshold": config.rejected_share_warn, "rejected_by_reason": by_reason},
        description=f"{rejects.height} of {seen} inputs rejected",
    )
    return dg.MaterializeResult(metadata=metadata, check_results=[check])


@dg.asset(group_name=GROUP, kinds={"duckdb", "python"}, pool=WRITE_POOL, deps=[raw_conversations])
def conversation_chunks(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Windows of at most 256 model tokens (254 + [CLS]/[SEP]) with a 32-token overlap, cut on word
    boundaries, so every part of a long conversation is embedded. Only new or changed conversations
    are re-chunked, a batch of about CHUNK_BATCH_CHARS characters at a time (read, chunked, written in
    one transaction that swaps each conversation's chunks whole), so memory does not grow with the
    warehouse."""
    from sb_pipeline.embedding import load_tokenizer

    tokenizer = load_tokenizer()
    with warehouse.connect() as conn:
        todo = store.conversations_to_chunk(conn)
    written = 0
    for ids in _batches(todo["conversation_id"].to_list(), todo["char_count"].to_list(), CHUNK_BATCH_CHARS):
        with warehouse.connect() as conn:
            texts = store.conversation_texts(conn, ids)
        rows = []
        for cid, content, chash in texts.iter_rows():
            for chunk in chunk_text(content, tokenizer):
                th = text_hash(chunk.text)
                rows.append((chunk_id(cid, chunk.ordinal, th), cid, chunk.ordinal, chunk.text, th, chash, chunk.start, chunk.end))
        frame = pl.DataFrame(rows, schema=CHUNK_SCHEMA, orient="row")
        with warehouse.connect() as conn:
            store.replace_chunks(conn, ids, frame)
        written += frame.height
    with warehouse.connect() as conn:
        total, multi = conn.execute(
            "SELECT count(*), (SELECT count(*) FROM (SELECT conversation_id FROM conversation_chunks GROUP BY 1 HAVING count(*) > 1)) "
            "FROM conversation_chunks"
        ).fetchall()[0]
    return dg.MaterializeResult(metadata={
        "dagster/row_count": dg.MetadataValue.int(total),
        "conversations_chunked": dg.MetadataValue.int(todo.height),
        "chunks_written": dg.MetadataValue.int(written),
        "conversations_with_several_chunks": dg.MetadataValue.int(multi),
    })


@dg.asset(group_name=GROUP, kinds={"duckdb", "onnx"}, pool=WRITE_POOL, deps=[conversation_chunks])
def conversation_embeddings(context: dg.AssetExecutionContext, embedder: EmbedderResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """all-MiniLM-L6-v2 vectors for every chunk text that has none for the current model. Incremental:
    a second run with nothing new embeds 0. Written in groups, each its own transaction, so an
    interrupted run keeps what it finished and never leaves half a group."""
    model = embedder.get()
    with warehouse.connect() as conn:
        hashes = store.text_hashes_to_embed(conn, model.model_id)
    started = time.perf_counter()
    step = EMBED_GROUP_SIZE * EMBED_READ_GROUPS
    for block in range(0, len(hashes), step):  # texts are read a few groups at a time, never all at once
        with warehouse.connect(read_only=True) as conn:
            texts = store.chunk_texts(conn, hashes[block : block + step])
        for offset in range(0, len(texts), EMBED_GROUP_SIZE):
            start = block + offset
            vectors = model.embed(texts[offset : offset + EMBED_GROUP_SIZE])
            with warehouse.connect() as conn:
                store.insert_embeddings(conn, hashes[start : start + EMBED_GROUP_SIZE], vectors, model.model_id, datetime.now(timezone.utc))
            context.log.info(f"embedded {min(start + EMBED_GROUP_SIZE, len(hashes))}/{len(hashes)}")
    seconds = time.perf_counter() - started
    with warehouse.connect() as conn:
        stats = store.statistics(conn, model.model_id, datetime.now(timezone.utc))
        stale = conn.execute("SELECT count(*) FROM conversation_embeddings WHERE model_id <> ?", [model.model_id]).fetchall()[0][0]
    if not hashes:
        context.log.info("nothing new to embed: 0 texts embedded")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": dg.MetadataValue.int(stats["embedded_chunks"]),
        "embedded": dg.MetadataValue.int(len(hashes)),
        "reused": dg.MetadataValue.int(stats["embedded_chunks"] - len(hashes)),
        "chunk_coverage_pct": dg.MetadataValue.float(stats["chunk_coverage"]),
        "conversation_coverage_pct": dg.MetadataValue.float(stats["embedding_coverage"]),
        "texts_per_second": dg.MetadataValue.float(round(len(hashes) / seconds, 1) if hashes and seconds > 0 else 0.0),
        "model_id": dg.MetadataValue.text(model.model_id),
        "stale_vectors_other_models": dg.MetadataValue.int(stale),
        "statistics": dg.MetadataValue.json(stats),
    })


def _batches(ids: list[str], sizes: list[int], budget: int) -> Iterator[list[str]]:
    """`ids` in order, in consecutive runs whose sizes add up to about `budget` (at least one id each)."""
    batch: list[str] = []
    total = 0
    for cid, size in zip(ids, sizes):
        batch.append(cid)
        total += size
        if total >= budget:
            yield batch
            batch, total = [], 0
    if batch:
        yield batch


def _source_batches(sources: ConversationSourcesResource, max_chars: int) -> Iterator[SourceRead]:
    """What `sources.read_all` reads, in the same order (reflection DB, transcripts, inbox), a batch at a time
    (batch sizes: each reader module's BATCH_* constant)."""
    tz = zone(sources.source_timezone)
    yield from reflection_db.iter_reflection_db(Path(sources.reflection_db).expanduser(), Path(sources.snapshot_dir).expanduser(),
                                                tz, reflection_db.BATCH_ROWS)
    yield from transcripts.iter_transcripts(Path(sources.transcripts_dir).expanduser(), max_chars, transcripts.BATCH_BYTES)
    yield from inbox.iter_inbox(Path(sources.inbox_dir).expanduser(), tz, inbox.BATCH_ROWS)


def _spooled(path: Path, seqs: pl.Series) -> pl.DataFrame:
    """The rows of one spool file whose `_seq` is in `seqs`."""
    return pl.scan_ipc(path).filter(pl.col("_seq").is_in(seqs.implode())).collect()
