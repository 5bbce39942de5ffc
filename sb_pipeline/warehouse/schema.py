"""The warehouse contract: the tables other flows and users rely on.

The schema version is recorded in `sb_meta`; every statement is idempotent, so ensuring the
schema on each write connection is cheap and a re-run never changes an existing table.
"""

from __future__ import annotations

import duckdb

from sb_pipeline.embedding import EMBEDDING_DIM

SCHEMA_VERSION = 1

DDL = [
    "CREATE TABLE IF NOT EXISTS sb_meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS conversations (
        conversation_id VARCHAR PRIMARY KEY,   -- hash of source + the source's own key
        source VARCHAR NOT NULL,               -- reflection_db | transcript | inbox
        natural_key VARCHAR NOT NULL,
        source_ref VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,                 -- conversation | reflection | insight
        project VARCHAR,
        started_at TIMESTAMPTZ,
        content VARCHAR NOT NULL,              -- secrets already redacted
        content_hash VARCHAR NOT NULL,         -- sha256 of content; exact copies collapse on it
        char_count INTEGER NOT NULL,
        secrets_redacted INTEGER NOT NULL,
        metadata JSON,
        first_seen_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS rejected_records (
        reject_id VARCHAR PRIMARY KEY,         -- hash of source, ref, reason, excerpt: re-runs do not duplicate
        source VARCHAR NOT NULL,
        source_ref VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        excerpt VARCHAR,
        seen_at TIMESTAMPTZ NOT NULL,
        last_seen_at TIMESTAMPTZ NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS conversation_chunks (
        chunk_id VARCHAR PRIMARY KEY,
        conversation_id VARCHAR NOT NULL,
        ordinal INTEGER NOT NULL,
        text VARCHAR NOT NULL,
        text_hash VARCHAR NOT NULL,            -- vectors are keyed by this: identical text is embedded once
        content_hash VARCHAR NOT NULL,         -- the conversation content this chunk was cut from
        start_char INTEGER NOT NULL,
        end_char INTEGER NOT NULL
    )""",
    f"""CREATE TABLE IF NOT EXISTS conversation_embeddings (
        text_hash VARCHAR NOT NULL,
        model_id VARCHAR NOT NULL,
        embedding FLOAT[{EMBEDDING_DIM}] NOT NULL,
        embedded_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (text_hash, model_id)
    )""",
    "CREATE INDEX IF NOT EXISTS idx_chunks_conversation ON conversation_chunks(conversation_id)",
    "CREATE INDEX IF NOT EXISTS idx_chunks_text_hash ON conversation_chunks(text_hash)",
]


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    current = _version(conn)
    if current is not None and current > SCHEMA_VERSION:
        raise RuntimeError(
            f"this warehouse was written by a newer sb-pipeline (schema {current} > {SCHEMA_VERSION}); "
            "upgrade sb-pipeline or point SB_WAREHOUSE elsewhere. It was not modified."
        )
    if current == SCHEMA_VERSION:
        return
    conn.execute("BEGIN TRANSACTION")
    try:
        for statement in DDL:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO sb_meta VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [str(SCHEMA_VERSION)],
        )
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise


def _version(conn: duckdb.DuckDBPyConnection) -> int | None:
    exists = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = 'sb_meta'"
    ).fetchall()[0][0]
    if not exists:
        return None
    row = conn.execute("SELECT value FROM sb_meta WHERE key = 'schema_version'").fetchall()
    return int(row[0][0]) if row else None
