"""Reads and writes of conversation analytics: topics, their assignments and trends, session types.

Each write replaces what it owns in one transaction (a reader sees the previous run's topics or this run's, never
a mix), so a re-run or retry is idempotent. Chunk vectors are streamed in batches (a 100k-conversation history
has ~555k chunk vectors, 850 MB as float32), never read at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import duckdb
import polars as pl

from sb_pipeline.warehouse.connection import transaction

VECTOR_BATCH_ROWS = 32_768


def chunk_vector_batches(conn: duckdb.DuckDBPyConnection, model_id: str, rows: int = VECTOR_BATCH_ROWS) -> Iterator[pl.DataFrame]:
    """(conversation_id, weight = the chunk's length in characters, embedding) of every chunk with a vector of
    `model_id`, sorted by conversation_id, `rows` at a time."""
    reader = conn.sql(
        """SELECT k.conversation_id, (k.end_char - k.start_char)::FLOAT AS weight, e.embedding
           FROM conversation_chunks k JOIN conversation_embeddings e ON e.text_hash = k.text_hash AND e.model_id = ?
           ORDER BY k.conversation_id, k.ordinal""", params=[model_id]).to_arrow_reader(rows)
    for batch in reader:
        yield pl.from_arrow(batch)


def previous_topics(conn: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(topics: topic_id, label, centroid, join_similarity, created_at, model_id; assignments: conversation_id, topic_id)."""
    topics = conn.sql("SELECT topic_id, label, centroid::FLOAT[] AS centroid, join_similarity, created_at, model_id "
                      "FROM topics ORDER BY topic_id").pl()
    assignments = conn.sql("SELECT conversation_id, topic_id FROM conversation_topics ORDER BY conversation_id").pl()
    return topics, assignments


def last_full_grouping(conn: duckdb.DuckDBPyConnection) -> tuple[int, str | None]:
    """(conversations grouped by the last full grouping, its model id); (0, None) before the first."""
    rows = conn.execute("SELECT conversations, model_id FROM topic_runs WHERE mode = 'full' ORDER BY run_at DESC LIMIT 1").fetchall()
    return (rows[0][0], rows[0][1]) if rows else (0, None)


def label_chunks(conn: duckdb.DuckDBPyConnection, assignments: pl.DataFrame, per_topic: int) -> pl.DataFrame:
    """(topic_id, text) of at most `per_topic` chunks per topic, a fixed pseudo-random sample (by chunk id hash)."""
    conn.register("topic_members", assignments.select("conversation_id", "topic_id"))
    try:
        return conn.sql(
            """SELECT m.topic_id, k.text FROM conversation_chunks k JOIN topic_members m USING (conversation_id)
               QUALIFY row_number() OVER (PARTITION BY m.topic_id ORDER BY hash(k.chunk_id), k.chunk_id) <= ?""",
            params=[per_topic]).pl()
    finally:
        conn.unregister("topic_members")


def replace_topics(conn: duckdb.DuckDBPyConnection, topics: pl.DataFrame, assignments: pl.DataFrame, run: dict) -> None:
    """This run's topics (topic_id, label, top_terms, centroid, join_similarity, model_id, created_at) and
    assignments (conversation_id, topic_id, weight, assigned_by), sizes and first/last seen computed here, one transaction."""
    conn.register("incoming_topics", topics)
    conn.register("incoming_assignments", assignments)
    now = run["run_at"]
    try:
        transaction(conn, [
            ("DELETE FROM conversation_topics", []),
            ("INSERT INTO conversation_topics SELECT conversation_id, topic_id, weight, assigned_by, ? FROM incoming_assignments", [now]),
            ("DELETE FROM topics", []),
            ("""INSERT INTO topics
                SELECT t.topic_id, t.label, t.top_terms, count(a.conversation_id), min(c.started_at), max(c.started_at),
                       t.centroid::FLOAT[384], t.join_similarity, t.model_id, t.created_at, ?
                FROM incoming_topics t LEFT JOIN conversation_topics a ON a.topic_id = t.topic_id
                LEFT JOIN conversations c ON c.conversation_id = a.conversation_id
                GROUP BY ALL""", [now]),
            ("INSERT INTO topic_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
             [now, run["mode"], run["conversations"], run["topics"], run["kept_topics"], run["new_topics"], run["unplaced"],
              run["model_id"], run["parameters"]]),
        ])
    finally:
        conn.unregister("incoming_topics")
        conn.unregister("incoming_assignments")


def topic_members(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """(conversation_id, topic_id, project, started_at, chunks) of every assigned conversation."""
    return conn.sql(
        """SELECT a.conversation_id, a.topic_id, c.project, c.started_at, coalesce(k.chunks, 0) AS chunks
           FROM conversation_topics a JOIN conversations c USING (conversation_id)
           LEFT JOIN (SELECT conversation_id, count(*) AS chunks FROM conversation_chunks GROUP BY 1) k USING (conversation_id)""").pl()


def replace_topic_trends(conn: duckdb.DuckDBPyConnection, trends: pl.DataFrame, as_of: datetime) -> None:
    conn.register("incoming_trends", trends)
    try:
        transaction(conn, [
            ("DELETE FROM topic_trends", []),
            ("""INSERT INTO topic_trends SELECT ?, topic_id, project, week, iso_week, conversations, chunks, share, trend,
                trend_tau, trend_p FROM incoming_trends""", [as_of]),
        ])
    finally:
        conn.unregister("incoming_trends")


def conversations_to_type(conn: duckdb.DuckDBPyConnection, classifier_version: str) -> pl.DataFrame:
    """(conversation_id, char_count) of conversations without a session type for their content and this classifier."""
    return conn.sql(
        """SELECT c.conversation_id, c.char_count FROM conversations c LEFT JOIN session_types s USING (conversation_id)
           WHERE s.conversation_id IS NULL OR s.content_hash <> c.content_hash OR s.classifier_version <> ?
           ORDER BY c.conversation_id""", params=[classifier_version]).pl()


def conversations_for_typing(conn: duckdb.DuckDBPyConnection, ids: list[str]) -> pl.DataFrame:
    return conn.sql("SELECT conversation_id, source, kind, content, content_hash, metadata FROM conversations "
                    "WHERE conversation_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY conversation_id", params=[ids]).pl()


def upsert_session_types(conn: duckdb.DuckDBPyConnection, rows: pl.DataFrame, now: datetime) -> None:
    """(conversation_id, session_type, evidence, content_hash, classifier_version) upserted; types of conversations
    no longer in the warehouse removed."""
    conn.register("incoming_types", rows)
    try:
        transaction(conn, [
            ("""INSERT INTO session_types SELECT conversation_id, session_type, evidence, content_hash, classifier_version, ?
                FROM incoming_types ON CONFLICT (conversation_id) DO UPDATE SET session_type = excluded.session_type,
                evidence = excluded.evidence, content_hash = excluded.content_hash,
                classifier_version = excluded.classifier_version, classified_at = excluded.classified_at""", [now]),
            ("DELETE FROM session_types WHERE conversation_id NOT IN (SELECT conversation_id FROM conversations)", []),
        ])
    finally:
        conn.unregister("incoming_types")


def session_type_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return dict(conn.execute("SELECT session_type, count(*) FROM session_types GROUP BY 1 ORDER BY 1").fetchall())


def analytics_frames(conn: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    """What the dashboard, `sb-pipeline topics` and the MCP tool read: topics, the weekly trends, and every
    conversation's topic, session type, project, start and title."""
    return {
        "topics": conn.sql("SELECT topic_id, label, top_terms, size, first_seen, last_seen, created_at FROM topics "
                           "ORDER BY size DESC, topic_id").pl(),
        "trends": conn.sql("SELECT * FROM topic_trends ORDER BY week, project, topic_id").pl(),
        "conversations": conn.sql(
            """SELECT c.conversation_id, c.project, c.started_at, c.kind, c.source, a.topic_id, a.weight, s.session_type,
                      left(trim(coalesce(json_extract_string(c.metadata, '$.title'),
                                              regexp_replace(regexp_extract(c.content, '\\S[^\\n]*', 0), '^(User|Assistant): ', ''))), 120) AS title
               FROM conversations c LEFT JOIN conversation_topics a USING (conversation_id)
               LEFT JOIN session_types s USING (conversation_id)""").pl(),
    }
