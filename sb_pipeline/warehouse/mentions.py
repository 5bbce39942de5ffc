"""Entity names found in the user's conversation chunks, kept so co-mention counts are incremental.

`chunk_name_mentions` holds (chunk, conversation, name key, count) for every entity name found whole in a
chunk; `chunk_mention_scans` the chunks already scanned; `mention_name_keys` the keys they were scanned for.
A run scans only chunks not scanned yet (with every key), scans the already-scanned chunks only for keys new
since (prefiltered in SQL to chunks containing one of the new names' first parts), and forgets chunks and keys
that are gone. Every write deletes what it replaces first, so a repeated or interrupted batch never counts twice.
"""

from __future__ import annotations

import re
from datetime import datetime

import duckdb
import polars as pl

from sb_pipeline.warehouse.connection import transaction

MENTION_SCHEMA = {"chunk_id": pl.Utf8, "conversation_id": pl.Utf8, "name_key": pl.Utf8, "mentions": pl.Int32}


def known_keys(conn: duckdb.DuckDBPyConnection) -> set[str]:
    return {k for (k,) in conn.execute("SELECT name_key FROM mention_name_keys").fetchall()}


def forget_stale(conn: duckdb.DuckDBPyConnection, keys: list[str]) -> dict[str, int]:
    """Drop mentions and scans of chunks no longer in the warehouse, and of name keys no longer wanted."""
    conn.register("wanted_keys", pl.DataFrame({"name_key": keys}, schema={"name_key": pl.Utf8}))
    try:
        gone_chunks = conn.execute("SELECT count(*) FROM chunk_mention_scans s ANTI JOIN conversation_chunks c USING (chunk_id)").fetchone()[0]
        gone_keys = conn.execute("SELECT count(*) FROM mention_name_keys k ANTI JOIN wanted_keys w USING (name_key)").fetchone()[0]
        transaction(conn, [
            ("DELETE FROM chunk_name_mentions WHERE chunk_id NOT IN (SELECT chunk_id FROM conversation_chunks)", []),
            ("DELETE FROM chunk_mention_scans WHERE chunk_id NOT IN (SELECT chunk_id FROM conversation_chunks)", []),
            ("DELETE FROM chunk_name_mentions WHERE name_key NOT IN (SELECT name_key FROM wanted_keys)", []),
            ("DELETE FROM mention_name_keys WHERE name_key NOT IN (SELECT name_key FROM wanted_keys)", []),
        ])
    finally:
        conn.unregister("wanted_keys")
    return {"chunks_removed": gone_chunks, "keys_removed": gone_keys}


def unscanned_chunks(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """(chunk_id, conversation_id) of every chunk not scanned yet, in chunk_id order."""
    return conn.sql("SELECT c.chunk_id, c.conversation_id FROM conversation_chunks c ANTI JOIN chunk_mention_scans s "
                    "USING (chunk_id) ORDER BY c.chunk_id").pl()


def chunk_texts(conn: duckdb.DuckDBPyConnection, chunk_ids: list[str]) -> pl.DataFrame:
    """(chunk_id, conversation_id, text) of the given chunks."""
    conn.register("wanted_chunks", pl.DataFrame({"chunk_id": chunk_ids}, schema={"chunk_id": pl.Utf8}))
    try:
        return conn.sql("SELECT c.chunk_id, c.conversation_id, c.text FROM conversation_chunks c SEMI JOIN wanted_chunks w "
                        "USING (chunk_id)").pl()
    finally:
        conn.unregister("wanted_chunks")


def scanned_chunks_naming(conn: duckdb.DuckDBPyConnection, words: list[str]) -> list[str]:
    """Ids of already-scanned chunks whose text contains one of `words` (case-insensitive substrings): the
    only ones a new name can be in."""
    if not words:
        return []
    pattern = "|".join(re.escape(w) for w in sorted(set(words)))
    rows = conn.execute("SELECT c.chunk_id FROM conversation_chunks c SEMI JOIN chunk_mention_scans s USING (chunk_id) "
                        "WHERE regexp_matches(c.text, ?, 'i') ORDER BY c.chunk_id", [pattern]).fetchall()
    return [r[0] for r in rows]


def save_scan(conn: duckdb.DuckDBPyConnection, chunks: pl.DataFrame, found: pl.DataFrame, now: datetime) -> None:
    """Chunks scanned with every current key: their mentions replace any earlier ones, and they are marked scanned."""
    conn.register("scanned_chunks", chunks.select("chunk_id", "conversation_id"))
    conn.register("found_mentions", found.select(list(MENTION_SCHEMA)).cast(MENTION_SCHEMA))
    try:
        transaction(conn, [
            ("DELETE FROM chunk_name_mentions WHERE chunk_id IN (SELECT chunk_id FROM scanned_chunks)", []),
            ("DELETE FROM chunk_mention_scans WHERE chunk_id IN (SELECT chunk_id FROM scanned_chunks)", []),
            ("INSERT INTO chunk_name_mentions SELECT chunk_id, conversation_id, name_key, mentions FROM found_mentions", []),
            ("INSERT INTO chunk_mention_scans SELECT chunk_id, conversation_id, ? FROM scanned_chunks", [now]),
        ])
    finally:
        conn.unregister("scanned_chunks")
        conn.unregister("found_mentions")


def save_new_key_mentions(conn: duckdb.DuckDBPyConnection, chunks: pl.DataFrame, keys: list[str], found: pl.DataFrame) -> None:
    """Mentions of new `keys` in already-scanned `chunks` (replacing any of those keys there)."""
    conn.register("rescanned_chunks", chunks.select("chunk_id"))
    conn.register("new_keys", pl.DataFrame({"name_key": keys}, schema={"name_key": pl.Utf8}))
    conn.register("found_mentions", found.select(list(MENTION_SCHEMA)).cast(MENTION_SCHEMA))
    try:
        transaction(conn, [
            ("DELETE FROM chunk_name_mentions WHERE chunk_id IN (SELECT chunk_id FROM rescanned_chunks) "
             "AND name_key IN (SELECT name_key FROM new_keys)", []),
            ("INSERT INTO chunk_name_mentions SELECT chunk_id, conversation_id, name_key, mentions FROM found_mentions", []),
        ])
    finally:
        for name in ("rescanned_chunks", "new_keys", "found_mentions"):
            conn.unregister(name)


def add_keys(conn: duckdb.DuckDBPyConnection, keys: list[str], now: datetime) -> None:
    """Record that every scanned chunk has now been searched for `keys`."""
    conn.register("added_keys", pl.DataFrame({"name_key": keys}, schema={"name_key": pl.Utf8}))
    try:
        transaction(conn, [("INSERT INTO mention_name_keys SELECT name_key, ? FROM added_keys ON CONFLICT (name_key) DO NOTHING", [now])])
    finally:
        conn.unregister("added_keys")


def mentions(conn: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, int]:
    """(every (conversation_id, chunk_id, name_key) mention, number of conversations scanned)."""
    frame = conn.sql("SELECT conversation_id, chunk_id, name_key FROM chunk_name_mentions").pl()
    (conversations,) = conn.execute("SELECT count(DISTINCT conversation_id) FROM chunk_mention_scans").fetchone()
    return frame, int(conversations)


def scan_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    chunks, conversations, rows, keys = conn.execute(
        "SELECT (SELECT count(*) FROM chunk_mention_scans), (SELECT count(DISTINCT conversation_id) FROM chunk_mention_scans), "
        "(SELECT count(*) FROM chunk_name_mentions), (SELECT count(DISTINCT name_key) FROM chunk_name_mentions)").fetchone()
    return {"chunks_scanned": chunks, "conversations_scanned": conversations, "mention_rows": rows, "names_found": keys}
