"""Session Buddy's `reflection.duckdb`, every schema era at once.

A real file holds V1 `conversations`/`reflections`, Oneiric adapter `<collection>_conversations`
/`<collection>_reflections`, E3 `conversations_v2`/`reflections_v2` and, after the opt-in uuid7
migration, canonical `conversations`/`reflections` with V2 columns, side by side. Tables and
columns are discovered, never assumed. A row without an id is rejected (`missing_field:id`), one
whose content is not text (`wrong_type:content`), whose `__SB64__` payload is not base64 (`bad_sb64`)
or whose timestamp is out of range (`bad_timestamp`). Content written with lone surrogates is stored as
`__SB64__` + base64 and decoded here. Naive timestamps are read in the configured zone.
Stored vectors are ignored: they come from several incompatible models (see the reference, §2).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from datetime import timezone, tzinfo
from pathlib import Path

import duckdb

from sb_pipeline.records import SourceRead, excerpt, records_frame, rejects_frame, valid_utf8
from sb_pipeline.sources.snapshot import SourceUnavailable, open_snapshot
from sb_pipeline.sources.timestamps import to_utc

SOURCE = "reflection_db"
SB64_PREFIX = "__SB64__"
CONVERSATION_TABLE = re.compile(r"^(?:conversations|conversations_v2|conversations_legacy|[a-z0-9_]+_conversations)$")
REFLECTION_TABLE = re.compile(r"^(?:reflections|reflections_v2|[a-z0-9_]+_reflections)$")
_TIME_COLUMNS = ("timestamp", "created_at", "updated_at")
BATCH_ROWS = 2_000  # iter_reflection_db: rows held in memory at once (Session Buddy keeps <= 50k chars a row)


def decode_sb64(content: str) -> tuple[str, bool]:
    """Undo Session Buddy's `__SB64__` wrapping; lone surrogates become U+FFFD so the text is valid UTF-8."""
    if not content.startswith(SB64_PREFIX):
        return content, False
    raw = base64.b64decode(content[len(SB64_PREFIX) :], validate=True)
    return valid_utf8(raw.decode("utf-8", errors="surrogatepass")), True


def _kind_of(table: str, columns: set[str], insight_type: object) -> str:
    if not REFLECTION_TABLE.match(table):
        return "conversation"
    if insight_type is None:
        return "reflection"
    # The uuid7 migration COALESCEs NULL to 'general' in the canonical table (it has `category`).
    if "category" in columns and insight_type == "general":
        return "reflection"
    return "insight"


def _project_of(row: dict) -> str | None:
    project = row.get("project")
    if project:
        return str(project)
    meta = row.get("metadata")
    if isinstance(meta, str) and meta:
        try:
            meta = json.loads(meta)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting; the row is kept
            return None
    if isinstance(meta, dict) and meta.get("project"):
        return str(meta["project"])
    return None


def _discover(conn: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchall()
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(table, set()).add(column.lower())
    return tables


def _fetched(result, size: int) -> Iterator[tuple]:
    while batch := result.fetchmany(size):
        yield from batch


def _read_table(conn, table: str, columns: set[str], naive_tz: tzinfo, records: list, rejects: list, notes: list,
                batch_rows: int = BATCH_ROWS) -> Iterator[None]:
    """Append the table's rows to `records` / `rejects`, yielding (to let the caller empty them) every `batch_rows` rows."""
    wanted = ["id", "content", "project", "metadata", "insight_type", *_TIME_COLUMNS]
    present = [c for c in wanted if c in columns]
    if "content" not in columns or "id" not in columns:
        notes.append(f"{table}: no id/content column, skipped")
        return
    select = ", ".join(f'"{c}"' for c in present)
    # Identifiers only: the columns are our own constants (`wanted`), the table name comes from the file's
    # catalogue but matched CONVERSATION_TABLE/REFLECTION_TABLE ([a-z0-9_] only, no quote can occur).
    # No value is ever formatted into SQL.
    result = conn.execute(f'SELECT {select} FROM "{table}"')
    names = [d[0] for d in result.description]
    for n, values in enumerate(_fetched(result, batch_rows)):
        if n and n % batch_rows == 0:
            yield
        row = dict(zip(names, values))
        ref = f"{table}:{row['id']}"
        if row["id"] is None:  # no identity: a NULL would become the key "table:None" shared by every such row
            rejects.append(dict(source=SOURCE, source_ref=ref, reason="missing_field:id", excerpt=excerpt(str(row.get("content")))))
            continue
        content = row.get("content")
        if not isinstance(content, str):
            rejects.append(dict(source=SOURCE, source_ref=ref, reason="wrong_type:content", excerpt=excerpt(str(content))))
            continue
        try:
            content, decoded = decode_sb64(content)
        except (binascii.Error, ValueError):
            rejects.append(dict(source=SOURCE, source_ref=ref, reason="bad_sb64", excerpt=excerpt(content)))
            continue
        stamp = next((row[c] for c in _TIME_COLUMNS if row.get(c) is not None), None)
        try:
            started_at = to_utc(stamp, naive_tz)
        except ValueError:
            rejects.append(dict(source=SOURCE, source_ref=ref, reason="bad_timestamp", excerpt=excerpt(str(stamp))))
            continue
        records.append(
            dict(
                source=SOURCE,
                natural_key=ref,
                source_ref=ref,
                kind=_kind_of(table, columns, row.get("insight_type")),
                project=_project_of(row),
                started_at=started_at,
                content=content,
                metadata=json.dumps({"table": table, "sb64": decoded, "insight_type": row.get("insight_type")}),
            )
        )


def read_reflection_db(path: Path, snapshot_root: Path, naive_tz: tzinfo = timezone.utc) -> SourceRead:
    """Read every conversation and reflection table of a reflection DB, from a snapshot copy."""
    reads = list(iter_reflection_db(path, snapshot_root, naive_tz))
    if not reads[0].available:
        return reads[0]
    records, rejects = SourceRead.concat(reads)
    return SourceRead(SOURCE, records, rejects, [note for read in reads for note in read.notes])


def iter_reflection_db(path: Path, snapshot_root: Path, naive_tz: tzinfo = timezone.utc, batch_rows: int = BATCH_ROWS) -> Iterator[SourceRead]:
    """`read_reflection_db` in pieces of at most `batch_rows` rows, so memory does not grow with the database;
    the last piece carries the notes. The snapshot copy lives until the last piece is taken."""
    records: list[dict] = []
    rejects: list[dict] = []

    def piece(notes: list[str] | None = None) -> SourceRead:
        read = SourceRead(SOURCE, records_frame(records), rejects_frame(rejects), notes or [])
        records.clear()
        rejects.clear()
        return read

    try:
        with open_snapshot(path, snapshot_root) as (conn, notes):
            tables = _discover(conn)
            for table in sorted(tables):
                if CONVERSATION_TABLE.match(table) or REFLECTION_TABLE.match(table):
                    try:
                        for _ in _read_table(conn, table, tables[table], naive_tz, records, rejects, notes, batch_rows):
                            yield piece()
                    except duckdb.Error as exc:
                        notes.append(f"{table}: unreadable ({type(exc).__name__}: {str(exc)[:200]})")
                    if records or rejects:
                        yield piece()
    except SourceUnavailable as exc:
        yield SourceRead.unavailable(SOURCE, str(exc))
        return
    yield piece(notes)
