"""Reads and writes of the knowledge-graph flow. Transactional and idempotent, like the rest.

`kg_entities` and `kg_source_relationships` mirror the source graph (an entity deleted there
is deleted here, with its vector, neighbour list and edges); `entity_embeddings` is keyed by
(entity, model) and refreshed when the entity's text hash changes; `entity_neighbors` keeps the
exact top-k lists so a run only recomputes what changed.
"""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import numpy as np
import polars as pl

from sb_pipeline.warehouse.connection import transaction

ENTITY_WRITE = ["entity_id", "source_id", "name", "entity_type", "observations", "text", "text_hash", "secrets_redacted"]


def mirror_entities(conn: duckdb.DuckDBPyConnection, entities: pl.DataFrame, relations: pl.DataFrame, now: datetime) -> dict[str, int]:
    existing = dict(conn.execute("SELECT entity_id, text_hash FROM kg_entities").fetchall())
    current = dict(entities.select("entity_id", "text_hash").iter_rows())
    counts = {
        "new": sum(1 for e in current if e not in existing),
        "updated": sum(1 for e, h in current.items() if e in existing and existing[e] != h),
        "unchanged": sum(1 for e, h in current.items() if existing.get(e) == h),
        "removed": sum(1 for e in existing if e not in current),
    }
    conn.register("incoming_entities", entities.select(ENTITY_WRITE))
    conn.register("incoming_relations", relations)
    try:
        cols = ", ".join(ENTITY_WRITE)
        updates = ", ".join(f"{c} = excluded.{c}" for c in ENTITY_WRITE[1:])
        gone = "(SELECT entity_id FROM kg_entities WHERE entity_id NOT IN (SELECT entity_id FROM incoming_entities))"
        transaction(conn, [
            (f"DELETE FROM entity_embeddings WHERE entity_id IN {gone}", []),
            (f"DELETE FROM entity_neighbors WHERE entity_id IN {gone}", []),
            (f"DELETE FROM discovered_relationships WHERE source_entity_id IN {gone} OR target_entity_id IN {gone}", []),
            (f"DELETE FROM relationship_candidates WHERE source_entity_id IN {gone} OR target_entity_id IN {gone}", []),
            ("DELETE FROM kg_entities WHERE entity_id NOT IN (SELECT entity_id FROM incoming_entities)", []),
            (f"INSERT INTO kg_entities ({cols}, first_seen_at, updated_at) SELECT {cols}, ?, ? FROM incoming_entities "
             f"ON CONFLICT (entity_id) DO UPDATE SET {updates}, updated_at = excluded.updated_at "
             "WHERE kg_entities.text_hash <> excluded.text_hash OR kg_entities.name <> excluded.name "
             "OR kg_entities.entity_type <> excluded.entity_type", [now, now]),
            ("DELETE FROM kg_source_relationships", []),
            ("INSERT INTO kg_source_relationships SELECT relationship_id, source_entity_id, target_entity_id, relation_type FROM incoming_relations", []),
        ])
    finally:
        conn.unregister("incoming_entities")
        conn.unregister("incoming_relations")
    return counts


def entities_to_embed(conn: duckdb.DuckDBPyConnection, model_id: str) -> pl.DataFrame:
    """Entities with no vector for `model_id`, or one made from an older text."""
    return conn.sql(
        """SELECT k.entity_id, k.text_hash, k.text FROM kg_entities k
           LEFT JOIN entity_embeddings e ON e.entity_id = k.entity_id AND e.model_id = ?
           WHERE e.entity_id IS NULL OR e.text_hash <> k.text_hash ORDER BY k.entity_id""",
        params=[model_id],
    ).pl()


def upsert_entity_embeddings(conn, frame: pl.DataFrame, vectors: np.ndarray, model_id: str, now: datetime) -> None:
    incoming = frame.select("entity_id", "text_hash").with_columns(pl.Series("embedding", vectors.astype(np.float32)))
    conn.register("incoming_entity_vectors", incoming)
    try:
        transaction(conn, [(
            "INSERT INTO entity_embeddings SELECT entity_id, text_hash, ?, embedding, ? FROM incoming_entity_vectors "
            "ON CONFLICT (entity_id, model_id) DO UPDATE SET text_hash = excluded.text_hash, embedding = excluded.embedding, "
            "embedded_at = excluded.embedded_at", [model_id, now])])
    finally:
        conn.unregister("incoming_entity_vectors")


def entity_vectors(conn: duckdb.DuckDBPyConnection, model_id: str) -> tuple[pl.DataFrame, np.ndarray]:
    """Every entity with a current vector (row i of the frame is vector i), in entity_id order."""
    frame = conn.sql(
        """SELECT k.entity_id, k.name, k.entity_type, k.observations, k.text_hash, e.embedding
           FROM kg_entities k JOIN entity_embeddings e ON e.entity_id = k.entity_id AND e.model_id = ? AND e.text_hash = k.text_hash
           ORDER BY k.entity_id""",
        params=[model_id],
    ).pl()
    vectors = frame["embedding"].to_numpy().astype(np.float32) if frame.height else np.zeros((0, 384), dtype=np.float32)
    return frame.drop("embedding"), vectors


def stored_neighbors(conn: duckdb.DuckDBPyConnection, model_id: str) -> tuple[dict[str, list[tuple[str, float]]], dict[str, str]]:
    """(entity -> [(neighbour, similarity)] best first, entity -> text hash the list was computed for)."""
    lists: dict[str, list[tuple[str, float]]] = {}
    hashes: dict[str, str] = {}
    rows = conn.execute(
        "SELECT entity_id, text_hash, neighbor_id, similarity FROM entity_neighbors WHERE model_id = ? ORDER BY entity_id, rank",
        [model_id]).fetchall()
    for entity, text_hash, neighbor, sim in rows:
        lists.setdefault(entity, []).append((neighbor, float(sim)))
        hashes[entity] = text_hash
    return lists, hashes


def save_neighbors(conn, model_id: str, lists: dict[str, list[tuple[str, float]]], hashes: dict[str, str]) -> None:
    """Replace the stored lists of the given entities (and drop lists of entities that no longer exist)."""
    rows = [(e, model_id, hashes[e], rank, n, s) for e, items in lists.items() for rank, (n, s) in enumerate(items, start=1)]
    frame = pl.DataFrame(rows, schema={"entity_id": pl.Utf8, "model_id": pl.Utf8, "text_hash": pl.Utf8, "rank": pl.Int32,
                                       "neighbor_id": pl.Utf8, "similarity": pl.Float32}, orient="row")
    ids = pl.DataFrame({"entity_id": list(lists)}, schema={"entity_id": pl.Utf8})
    conn.register("neighbor_rows", frame)
    conn.register("neighbor_ids", ids)
    try:
        transaction(conn, [
            ("DELETE FROM entity_neighbors WHERE model_id = ? AND (entity_id IN (SELECT entity_id FROM neighbor_ids) "
             "OR entity_id NOT IN (SELECT entity_id FROM kg_entities))", [model_id]),
            ("INSERT INTO entity_neighbors SELECT * FROM neighbor_rows", []),
        ])
    finally:
        conn.unregister("neighbor_rows")
        conn.unregister("neighbor_ids")


def replace_discovered(conn: duckdb.DuckDBPyConnection, edges: pl.DataFrame, now: datetime) -> None:
    """This run's edges replace the previous sets in one transaction: the rows marked `published` in
    `discovered_relationships`, the others in `relationship_candidates` (same columns)."""
    columns = [c for c in edges.columns if c not in ("discovered_at", "published")]
    conn.register("incoming_edges", edges)
    try:
        cols = ", ".join(columns)
        transaction(conn, [
            ("DELETE FROM discovered_relationships", []),
            ("DELETE FROM relationship_candidates", []),
            (f"INSERT INTO discovered_relationships ({cols}, discovered_at) SELECT {cols}, ? FROM incoming_edges WHERE published", [now]),
            (f"INSERT INTO relationship_candidates ({cols}, discovered_at) SELECT {cols}, ? FROM incoming_edges WHERE NOT published", [now]),
        ])
    finally:
        conn.unregister("incoming_edges")


def entity_names(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [n for (n,) in conn.execute("SELECT name FROM kg_entities ORDER BY entity_id").fetchall()]


def candidate_count(conn: duckdb.DuckDBPyConnection) -> int:
    return conn.execute("SELECT count(*) FROM relationship_candidates").fetchone()[0]


def evidence_kind_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Published edges carrying each kind of evidence (evidence.kinds)."""
    rows = conn.execute("SELECT kind, count(*) FROM (SELECT unnest(CAST(json_extract(evidence, '$.kinds') AS VARCHAR[])) AS kind "
                        "FROM discovered_relationships) GROUP BY kind ORDER BY kind").fetchall()
    return {k: n for k, n in rows}


def insert_graph_metrics(conn: duckdb.DuckDBPyConnection, run_id: str, report: dict, now: datetime) -> None:
    scalar = ["entities", "edges", "source_edges", "discovered_edges", "connectivity_ratio", "avg_degree", "isolated_entities",
              "isolated_share", "embedding_coverage", "components", "largest_component_share", "health"]
    extra = {k: v for k, v in report.items() if k not in scalar}
    transaction(conn, [(
        f"INSERT INTO graph_metrics (run_id, measured_at, {', '.join(scalar)}, report) VALUES (?, ?, {', '.join('?' * len(scalar))}, ?) "
        "ON CONFLICT (run_id) DO NOTHING",
        [run_id, now, *[report[k] for k in scalar], json.dumps(extra)])])


def latest_graph_metrics(conn: duckdb.DuckDBPyConnection) -> dict | None:
    frame = conn.sql("SELECT * FROM graph_metrics ORDER BY measured_at DESC LIMIT 1").pl()
    if frame.height == 0:
        return None
    row = frame.row(0, named=True)
    report = json.loads(row.pop("report"))
    row["measured_at"] = row["measured_at"].isoformat()
    return {**row, **report}


def relationships_of(conn: duckdb.DuckDBPyConnection, name: str, candidates: bool = False) -> tuple[dict | None, pl.DataFrame]:
    """An entity (by name, case-insensitive) and every relationship touching it: the source's, the published
    ones, and with `candidates` those below the publication cut too; source first, then by p_related."""
    found = conn.execute("SELECT entity_id, name, entity_type FROM kg_entities WHERE lower(name) = lower(?) LIMIT 1", [name]).fetchall()
    if not found:
        return None, pl.DataFrame()
    eid, ename, etype = found[0]
    edges = conn.sql(
        """WITH found AS (
             SELECT 'discovered' AS origin, * FROM discovered_relationships WHERE $eid IN (source_entity_id, target_entity_id)
             UNION ALL BY NAME
             SELECT 'candidate' AS origin, * FROM relationship_candidates WHERE $candidates AND $eid IN (source_entity_id, target_entity_id))
           SELECT CASE WHEN d.source_entity_id = $eid THEN 'out' ELSE 'in' END AS direction,
                  CASE WHEN d.source_entity_id = $eid THEN d.target_name ELSE d.source_name END AS other,
                  CASE WHEN d.source_entity_id = $eid THEN d.target_entity_id ELSE d.source_entity_id END AS other_id,
                  d.relation_type, d.origin, d.confidence, d.p_related, d.similarity, d.mutual_knn, d.rule, d.evidence
           FROM found d
           UNION ALL
           SELECT CASE WHEN r.source_entity_id = $eid THEN 'out' ELSE 'in' END, o.name, o.entity_id, r.relation_type, 'source', 'source',
                  NULL, NULL, NULL, NULL, NULL
           FROM kg_source_relationships r
           JOIN kg_entities o ON o.entity_id = CASE WHEN r.source_entity_id = $eid THEN r.target_entity_id ELSE r.source_entity_id END
           WHERE $eid IN (r.source_entity_id, r.target_entity_id)
           ORDER BY CASE origin WHEN 'source' THEN 0 ELSE 1 END, p_related DESC NULLS LAST, similarity DESC NULLS LAST, other""",
        params={"eid": eid, "candidates": candidates},
    ).pl()
    return {"entity_id": eid, "name": ename, "entity_type": etype}, edges


def entity_vector_coverage(conn: duckdb.DuckDBPyConnection, model_id: str) -> tuple[int, int]:
    """(entities, entities with a vector of `model_id` made from their current text)."""
    return conn.execute(
        "SELECT count(*), count(e.entity_id) FROM kg_entities k LEFT JOIN entity_embeddings e "
        "ON e.entity_id = k.entity_id AND e.model_id = ? AND e.text_hash = k.text_hash", [model_id]).fetchall()[0]


def source_edges(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(source id, target id) of every relationship the source graph holds."""
    return conn.execute("SELECT source_entity_id, target_entity_id FROM kg_source_relationships ORDER BY relationship_id").fetchall()


def source_pairs(conn: duckdb.DuckDBPyConnection) -> set[frozenset[str]]:
    """The unordered entity pairs the source graph already relates."""
    return {frozenset(p) for p in conn.execute("SELECT source_entity_id, target_entity_id FROM kg_source_relationships").fetchall()}


def graph_edges(conn: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], list[tuple], list[tuple]]:
    """(entity -> type, source edges, discovered edges), edges as (source id, target id, relation type)."""
    types = dict(conn.execute("SELECT entity_id, entity_type FROM kg_entities").fetchall())
    source = conn.execute("SELECT source_entity_id, target_entity_id, relation_type FROM kg_source_relationships").fetchall()
    found = conn.execute("SELECT source_entity_id, target_entity_id, relation_type FROM discovered_relationships").fetchall()
    return types, source, found


def edge_anomalies(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Self-loops, pairs stored twice (in either direction) and pairs the source graph already relates."""
    self_loops, duplicate_pairs, already_related = conn.execute(
        """SELECT
             (SELECT count(*) FROM discovered_relationships WHERE source_entity_id = target_entity_id),
             (SELECT count(*) - count(DISTINCT least(source_entity_id, target_entity_id) || '|' || greatest(source_entity_id, target_entity_id))
              FROM discovered_relationships),
             (SELECT count(*) FROM discovered_relationships d JOIN kg_source_relationships r
              ON least(d.source_entity_id, d.target_entity_id) = least(r.source_entity_id, r.target_entity_id)
             AND greatest(d.source_entity_id, d.target_entity_id) = greatest(r.source_entity_id, r.target_entity_id))"""
    ).fetchall()[0]
    return {"self_loops": self_loops, "duplicate_or_mirrored_pairs": duplicate_pairs, "already_in_source": already_related}
