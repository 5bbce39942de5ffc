"""Tokens that tell a reader's cache or index whether the warehouse changed under it.

Each is a random uuid in `sb_meta`, renewed inside the very transaction that changes what it covers, so a
cache stamped with a token is current exactly while the token is unchanged, and a deleted and rebuilt
warehouse (a fresh uuid) never matches an old cache:
- `search_generation`: conversations, chunks or vectors (the search matrix cache);
- `chunks_generation`: chunks only (the lexical index; a new vector does not make it stale).
"""

from __future__ import annotations

import duckdb

SEARCH = "search_generation"
CHUNKS = "chunks_generation"


def renew(key: str) -> str:
    """The statement that gives `key` a fresh token (run it inside the writing transaction). `key` is one of ours."""
    assert key in (SEARCH, CHUNKS), key
    return f"INSERT INTO sb_meta VALUES ('{key}', uuid()::VARCHAR) ON CONFLICT (key) DO UPDATE SET value = excluded.value"


def current(conn: duckdb.DuckDBPyConnection, key: str) -> str | None:
    rows = conn.execute("SELECT value FROM sb_meta WHERE key = ?", [key]).fetchall()
    return rows[0][0] if rows else None


def ensure(conn: duckdb.DuckDBPyConnection, key: str) -> str:
    """The token, created if a warehouse written before it existed has none (a writer's connection)."""
    token = current(conn, key)
    if token is None:
        conn.execute(renew(key))
        token = current(conn, key)
    return token
