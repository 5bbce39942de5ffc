"""Session Buddy's `knowledge_graph.duckdb`: entities and the relationships it already has.

Read from a snapshot copy (never the user's file). Columns are discovered: the legacy DDL has
no `embedding` column and no `updated_at` on relationships; the adapter adds them. Stored
vectors are ignored (three incompatible text recipes wrote them, most are missing). Observations
are a VARCHAR[] column; NULL means none.

Hostile rows: an entity without an id, or a relationship with a NULL id, end or type, is rejected
(`missing_field:<column>`): a NULL must not become the string "None" and meet another NULL.
An unparseable `created_at` / `updated_at` (they only order merges of same-named entities) is read
as unknown (null), counted in a note, and the entity is kept.
"""

from __future__ import annotations

from datetime import timezone, tzinfo
from pathlib import Path

import duckdb
import polars as pl

from sb_pipeline.records import excerpt, valid_utf8
from sb_pipeline.sources.snapshot import SourceUnavailable, open_snapshot
from sb_pipeline.sources.timestamps import to_utc

SOURCE = "knowledge_graph"

ENTITY_SCHEMA = {
    "source_id": pl.Utf8, "name": pl.Utf8, "entity_type": pl.Utf8, "observations": pl.List(pl.Utf8),
    "created_at": pl.Datetime("us", "UTC"), "updated_at": pl.Datetime("us", "UTC"),
}
RELATION_SCHEMA = {"source_id": pl.Utf8, "from_entity": pl.Utf8, "to_entity": pl.Utf8, "relation_type": pl.Utf8}


class GraphRead:
    """What the reader found: entities, existing relationships, rejects and notes."""

    def __init__(self, entities=None, relations=None, rejects=None, notes=None, available=True):
        self.entities = entities if entities is not None else pl.DataFrame(schema=ENTITY_SCHEMA)
        self.relations = relations if relations is not None else pl.DataFrame(schema=RELATION_SCHEMA)
        self.rejects: list[dict] = rejects or []
        self.notes: list[str] = notes or []
        self.available = available


def _columns(conn, table: str) -> set[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ?", [table]
    ).fetchall()
    return {r[0].lower() for r in rows}


def _read_entities(conn, naive_tz: tzinfo, rejects: list, notes: list) -> pl.DataFrame:
    cols = _columns(conn, "kg_entities")
    if not {"id", "name", "entity_type"} <= cols:
        notes.append("kg_entities: missing (or lacks id/name/entity_type); no entities read")
        return pl.DataFrame(schema=ENTITY_SCHEMA)
    wanted = [c for c in ("id", "name", "entity_type", "observations", "created_at", "updated_at") if c in cols]
    # Column names are our own constants (filtered by the catalogue); no source text reaches SQL.
    result = conn.execute(f"SELECT {', '.join(wanted)} FROM kg_entities ORDER BY id")
    rows = []
    bad_stamps = 0
    for values in result.fetchall():
        row = dict(zip(wanted, values))
        ref = f"kg_entities:{row['id']}"
        if row["id"] is None:
            rejects.append(dict(source=SOURCE, source_ref=ref, reason="missing_field:id", excerpt=excerpt(str(row.get("name")))))
            continue
        observations = row.get("observations")
        if observations is not None and not isinstance(observations, list):
            rejects.append(dict(source=SOURCE, source_ref=ref, reason="wrong_type:observations", excerpt=excerpt(str(observations))))
            continue
        try:
            created = to_utc(row.get("created_at"), naive_tz)
            updated = to_utc(row.get("updated_at"), naive_tz)
        except ValueError:
            created = updated = None
            bad_stamps += 1
        rows.append({
            "source_id": valid_utf8(str(row["id"])),
            "name": valid_utf8(row["name"]) if isinstance(row["name"], str) else None,
            "entity_type": valid_utf8(row["entity_type"]) if isinstance(row["entity_type"], str) else None,
            "observations": [valid_utf8(o) for o in observations or [] if isinstance(o, str)],
            "created_at": created, "updated_at": updated,
        })
    if bad_stamps:
        notes.append(f"kg_entities: {bad_stamps} row(s) with an unparseable created_at/updated_at, read as unknown")
    return pl.DataFrame(rows, schema=ENTITY_SCHEMA, orient="row") if rows else pl.DataFrame(schema=ENTITY_SCHEMA)


_RELATION_COLUMNS = ("id", "from_entity", "to_entity", "relation_type")


def _read_relations(conn, rejects: list, notes: list) -> pl.DataFrame:
    cols = _columns(conn, "kg_relationships")
    if not set(_RELATION_COLUMNS) <= cols:
        notes.append("kg_relationships: missing; no existing relationships read")
        return pl.DataFrame(schema=RELATION_SCHEMA)
    rows = []
    for r in conn.execute("SELECT id, from_entity, to_entity, relation_type FROM kg_relationships ORDER BY id").fetchall():
        missing = next((c for c, v in zip(_RELATION_COLUMNS, r) if v is None), None)
        if missing:
            rejects.append(dict(source=SOURCE, source_ref=f"kg_relationships:{r[0]}", reason=f"missing_field:{missing}",
                                excerpt=excerpt(f"{r[1]} -> {r[2]} ({r[3]})")))
            continue
        rows.append(tuple(valid_utf8(str(v)) for v in r))
    return pl.DataFrame(rows, schema=RELATION_SCHEMA, orient="row") if rows else pl.DataFrame(schema=RELATION_SCHEMA)


def read_knowledge_graph(path: Path, snapshot_root: Path, naive_tz: tzinfo = timezone.utc) -> GraphRead:
    rejects: list[dict] = []
    try:
        with open_snapshot(path, snapshot_root) as (conn, notes):
            try:
                entities = _read_entities(conn, naive_tz, rejects, notes)
                relations = _read_relations(conn, rejects, notes)
            except duckdb.Error as exc:
                raise SourceUnavailable(f"{path}: unreadable ({type(exc).__name__}: {str(exc)[:200]})") from exc
    except SourceUnavailable as exc:
        return GraphRead(notes=[str(exc)], available=False)
    return GraphRead(entities, relations, rejects, notes)
