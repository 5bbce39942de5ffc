"""The quarantine every flow shares: `rejected_records`, one row per distinct rejected input."""

from __future__ import annotations

import hashlib
from datetime import datetime

import duckdb
import polars as pl

from sb_pipeline.warehouse.connection import transaction


def record_rejects(conn: duckdb.DuckDBPyConnection, rejects: pl.DataFrame, now: datetime) -> int:
    """Quarantine rejected inputs; a reject seen again only moves its `last_seen_at`. Returns the new ones."""
    if rejects.height == 0:
        return 0
    ids = [
        hashlib.sha256("\x1f".join(map(str, row)).encode("utf-8", errors="replace")).hexdigest()[:32]
        for row in rejects.select("source", "source_ref", "reason", "excerpt").iter_rows()
    ]
    frame = rejects.with_columns(pl.Series("reject_id", ids)).unique("reject_id", keep="first")
    before = conn.execute("SELECT count(*) FROM rejected_records").fetchall()[0][0]
    conn.register("incoming_rejects", frame)
    try:
        transaction(conn, [(
            "INSERT INTO rejected_records SELECT reject_id, source, source_ref, reason, excerpt, ?, ? FROM incoming_rejects "
            "ON CONFLICT (reject_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
            [now, now],
        )])
    finally:
        conn.unregister("incoming_rejects")
    return conn.execute("SELECT count(*) FROM rejected_records").fetchall()[0][0] - before
