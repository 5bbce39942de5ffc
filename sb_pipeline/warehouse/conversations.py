"""Reads and writes of the conversation flow. Every write is idempotent and transactional.

Frames are handed to DuckDB by `register` (no row loops, no user text formatted into SQL: values
travel as data, parameters as `?`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import duckdb
import numpy as np
import polars as pl

from sb_pipeline.warehouse.connection import transaction
from sb_pipeline.warehouse import generations

CONVERSATION_COLUMNS = [
    "conversation_id", "source", "natural_key", "source_ref", "kind", "project", "started_at",
    "content", "content_hash", "char_count", "secrets_redacted", "metadata",
]


def upsert_conversation_batches(
    conn: duckdb.DuckDBPyConnection, keys: pl.DataFrame, batches: Iterable[pl.DataFrame], now: datetime
) -> dict[str, int]:
    """Insert new conversations, update changed ones, skip exact copies of stored content, for rows that
    arrive in batches, so that neither Python nor DuckDB ever holds all their text at once.

    `keys` (conversation_id, content_hash) lists every incoming row, ids unique; `batches` yields the same rows
    with all CONVERSATION_COLUMNS, in any grouping. Each row's fate is decided up front against the table as it
    was before this call. Each batch is one transaction (its rows and the search generation, all or none), so an
    interrupted run keeps the batches it finished and the next run finds them unchanged and writes the rest.
    """
    existing = conn.sql("SELECT conversation_id, content_hash FROM conversations").pl()
    known_ids = dict(existing.iter_rows())
    known_hashes = set(existing["content_hash"].to_list())
    status = []
    for cid, chash in keys.select("conversation_id", "content_hash").iter_rows():
        if cid in known_ids:
            status.append("unchanged" if known_ids[cid] == chash else ("duplicate" if chash in known_hashes else "updated"))
        else:
            status.append("duplicate" if chash in known_hashes else "new")
    del existing, known_ids, known_hashes
    statuses = pl.Series("_status", status, dtype=pl.Utf8)
    counts = {k: int((statuses == k).sum()) for k in ("new", "updated", "unchanged", "duplicate")}
    wanted = keys.filter(statuses.is_in(["new", "updated"]))["conversation_id"]
    if not wanted.len():
        return counts
    columns = ", ".join(CONVERSATION_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in CONVERSATION_COLUMNS[1:])
    upsert = (f"INSERT INTO conversations ({columns}, first_seen_at, updated_at) "
              f"SELECT {columns}, ?, ? FROM incoming_conversations "
              f"ON CONFLICT (conversation_id) DO UPDATE SET {updates}, updated_at = excluded.updated_at")
    for batch in batches:
        incoming = batch.filter(pl.col("conversation_id").is_in(wanted.implode())).select(CONVERSATION_COLUMNS)
        if not incoming.height:
            continue
        conn.register("incoming_conversations", incoming)
        try:
            transaction(conn, [(upsert, [now, now]), (generations.renew(generations.SEARCH), [])])
        finally:
            conn.unregister("incoming_conversations")
    return counts


def conversations_to_chunk(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Conversations that have no chunks yet, or whose content changed since they were chunked:
    `conversation_id` and `char_count` only (the text is read a batch at a time by `conversation_texts`)."""
    return conn.sql(
        """SELECT c.conversation_id, c.char_count FROM conversations c
           WHERE NOT EXISTS (SELECT 1 FROM conversation_chunks k
                             WHERE k.conversation_id = c.conversation_id AND k.content_hash = c.content_hash)
           ORDER BY c.conversation_id"""
    ).pl()


def conversation_texts(conn: duckdb.DuckDBPyConnection, conversation_ids: list[str]) -> pl.DataFrame:
    """conversation_id, content, content_hash of the given conversations, by conversation_id."""
    return conn.sql(
        """SELECT conversation_id, content, content_hash FROM conversations
           WHERE conversation_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY conversation_id""",
        params=[conversation_ids],
    ).pl()


def replace_chunks(conn: duckdb.DuckDBPyConnection, conversation_ids: list[str], chunks: pl.DataFrame) -> None:
    """Swap the chunks of the given conversations in one transaction (no half-chunked conversation is visible)."""
    if not conversation_ids:
        return
    ids = pl.DataFrame({"conversation_id": conversation_ids})
    conn.register("rechunked_ids", ids)
    conn.register("incoming_chunks", chunks)
    try:
        transaction(conn, [
            ("DELETE FROM conversation_chunks WHERE conversation_id IN (SELECT conversation_id FROM rechunked_ids)", []),
            ("INSERT INTO conversation_chunks SELECT chunk_id, conversation_id, ordinal, text, text_hash, content_hash, start_char, end_char "
             "FROM incoming_chunks", []),
            (generations.renew(generations.SEARCH), []),
            (generations.renew(generations.CHUNKS), []),
        ])
    finally:
        conn.unregister("rechunked_ids")
        conn.unregister("incoming_chunks")


def text_hashes_to_embed(conn: duckdb.DuckDBPyConnection, model_id: str) -> list[str]:
    """Hashes of the distinct chunk texts with no vector for `model_id`, sorted (vectors of other models are
    stale, not reused). The texts themselves are read a group at a time by `chunk_texts`."""
    return [row[0] for row in conn.execute(
        """SELECT DISTINCT text_hash FROM conversation_chunks k
           WHERE NOT EXISTS (SELECT 1 FROM conversation_embeddings e WHERE e.text_hash = k.text_hash AND e.model_id = ?)
           ORDER BY text_hash""",
        [model_id],
    ).fetchall()]


def chunk_texts(conn: duckdb.DuckDBPyConnection, text_hashes: list[str]) -> list[str]:
    """The text of each given chunk text hash, in the order given (every hash must exist)."""
    rows = dict(conn.execute(
        "SELECT text_hash, any_value(text) FROM conversation_chunks WHERE text_hash IN (SELECT unnest(?::VARCHAR[])) GROUP BY text_hash",
        [text_hashes],
    ).fetchall())
    return [rows[h] for h in text_hashes]


def insert_embeddings(conn: duckdb.DuckDBPyConnection, text_hashes: list[str], vectors: np.ndarray, model_id: str, now: datetime) -> None:
    """Vectors for the given chunk text hashes, in one transaction."""
    frame = pl.DataFrame({"text_hash": text_hashes, "embedding": vectors.astype(np.float32)})
    conn.register("incoming_vectors", frame)
    try:
        transaction(conn, [(
            "INSERT INTO conversation_embeddings SELECT text_hash, ?, embedding, ? FROM incoming_vectors ON CONFLICT DO NOTHING",
            [model_id, now],
        ), (generations.renew(generations.SEARCH), [])])
    finally:
        conn.unregister("incoming_vectors")


def statistics(conn: duckdb.DuckDBPyConnection, model_id: str, now: datetime) -> dict:
    """Session Buddy's `get_conversation_statistics`, over every source, for the current model.

    A conversation counts as embedded when every one of its chunks has a vector for `model_id`.
    `embedding_coverage` is a percentage (0-100), as in Session Buddy's conversation stats.
    """
    row = conn.execute(
        """WITH per_conv AS (
             SELECT c.conversation_id,
                    count(k.chunk_id) AS chunks,
                    count(e.text_hash) AS embedded
             FROM conversations c
             LEFT JOIN conversation_chunks k ON k.conversation_id = c.conversation_id
             LEFT JOIN conversation_embeddings e ON e.text_hash = k.text_hash AND e.model_id = ?
             GROUP BY c.conversation_id)
           SELECT count(*), count(*) FILTER (WHERE chunks > 0 AND embedded = chunks),
                  coalesce(sum(chunks), 0), coalesce(sum(embedded), 0)
           FROM per_conv""",
        [model_id],
    ).fetchall()[0]
    total, with_embeddings, chunks, embedded_chunks = (int(v) for v in row)
    recent, projects = conn.execute(
        "SELECT count(*) FILTER (WHERE started_at > ?), count(DISTINCT project) FROM conversations",
        [now - timedelta(days=7)],
    ).fetchall()[0]
    by_kind = dict(conn.execute("SELECT kind, count(*) FROM conversations GROUP BY kind ORDER BY kind").fetchall())
    by_source = dict(conn.execute("SELECT source, count(*) FROM conversations GROUP BY source ORDER BY source").fetchall())
    return {
        "total_conversations": total,
        "with_embeddings": with_embeddings,
        "embedding_coverage": round(100.0 * with_embeddings / total, 2) if total else 100.0,
        "recent_conversations": int(recent),
        "projects": int(projects),
        "chunks": chunks,
        "embedded_chunks": embedded_chunks,
        "chunk_coverage": round(100.0 * embedded_chunks / chunks, 2) if chunks else 100.0,
        "by_kind": by_kind,
        "by_source": by_source,
    }


def search_details(conn: duckdb.DuckDBPyConnection, chunk_ids: list[str]) -> dict[str, dict]:
    """Conversation facts and chunk text for the hits, by chunk id."""
    if not chunk_ids:
        return {}
    frame = conn.sql(
        """SELECT k.chunk_id, k.ordinal, k.text, c.conversation_id, c.project, c.kind, c.source, c.natural_key, c.source_ref, c.started_at
           FROM conversation_chunks k JOIN conversations c ON c.conversation_id = k.conversation_id
           WHERE k.chunk_id IN (SELECT unnest(?::VARCHAR[]))""",
        params=[chunk_ids],
    ).pl()
    return {row["chunk_id"]: row for row in frame.iter_rows(named=True)}


def conversation_count(conn: duckdb.DuckDBPyConnection) -> int:
    return conn.execute("SELECT count(*) FROM conversations").fetchall()[0][0]


def newest_conversations(conn: duckdb.DuckDBPyConnection, limit: int = 5) -> pl.DataFrame:
    """The latest conversations on one line each (for a materialization's preview)."""
    return conn.sql(
        "SELECT started_at, source, kind, project, left(regexp_replace(content, '\\s+', ' ', 'g'), 80) AS content "
        "FROM conversations ORDER BY started_at DESC NULLS LAST LIMIT ?", params=[limit]).pl()


def chunk_counts(conn: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(chunks, conversations with more than one chunk)."""
    return conn.execute(
        "SELECT count(*), (SELECT count(*) FROM (SELECT conversation_id FROM conversation_chunks GROUP BY 1 HAVING count(*) > 1)) "
        "FROM conversation_chunks").fetchall()[0]


def stale_vector_count(conn: duckdb.DuckDBPyConnection, model_id: str) -> int:
    """Vectors of other models: kept (a switch back reuses them), never searched."""
    return conn.execute("SELECT count(*) FROM conversation_embeddings WHERE model_id <> ?", [model_id]).fetchall()[0][0]


def identity_counts(conn: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    """(rows, distinct conversation ids, distinct contents) of `conversations`: equal when nothing is duplicated."""
    return conn.execute(
        "SELECT count(*), count(DISTINCT conversation_id), count(DISTINCT content_hash) FROM conversations").fetchall()[0]


def stored_vectors(conn: duckdb.DuckDBPyConnection, text_hashes: list[str], model_id: str) -> dict[str, np.ndarray]:
    """The stored vectors of `model_id` for those of the given chunk text hashes that have one."""
    if not text_hashes:
        return {}
    frame = conn.sql("SELECT text_hash, embedding FROM conversation_embeddings WHERE model_id = ? "
                     "AND text_hash IN (SELECT unnest(?::VARCHAR[]))", params=[model_id, text_hashes]).pl()
    return dict(zip(frame["text_hash"].to_list(), frame["embedding"].to_numpy())) if frame.height else {}


def projects(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Every project conversations are filed under, sorted."""
    return [r[0] for r in conn.execute("SELECT DISTINCT project FROM conversations WHERE project IS NOT NULL ORDER BY 1").fetchall()]


def conversation(conn: duckdb.DuckDBPyConnection, conversation_id: str) -> dict | None:
    """One conversation's facts and text (None if there is no such id)."""
    frame = conn.sql("SELECT conversation_id, source, natural_key, source_ref, kind, project, started_at, content, char_count, metadata "
                     "FROM conversations WHERE conversation_id = ?", params=[conversation_id]).pl()
    return frame.row(0, named=True) if frame.height else None


def chunk_span(conn: duckdb.DuckDBPyConnection, conversation_id: str, ordinal: int) -> tuple[int, int] | None:
    """(start_char, end_char) of one chunk of a conversation."""
    rows = conn.execute("SELECT start_char, end_char FROM conversation_chunks WHERE conversation_id = ? AND ordinal = ?",
                        [conversation_id, ordinal]).fetchall()
    return rows[0] if rows else None


def conversations_between(conn: duckdb.DuckDBPyConnection, project: str, start: datetime, end: datetime) -> pl.DataFrame:
    """A project's conversations that started in [start, end], oldest first: conversation_id, started_at, kind,
    source, source_ref and the first non-blank line of the content as its title (at most 120 characters)."""
    return conn.sql(
        """SELECT conversation_id, started_at, kind, source, source_ref,
                  left(trim(regexp_extract(content, '\\S[^\\n]*', 0)), 120) AS title
           FROM conversations WHERE project = ? AND started_at BETWEEN ? AND ?
           ORDER BY started_at, conversation_id""", params=[project, start, end]).pl()


def project_conversation_count(conn: duckdb.DuckDBPyConnection, project: str) -> int:
    """How many conversations the warehouse holds for a project (0: none ingested for it)."""
    return conn.execute("SELECT count(*) FROM conversations WHERE project = ?", [project]).fetchall()[0][0]
