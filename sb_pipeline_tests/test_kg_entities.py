"""The knowledge-graph source: discovered columns, normalised entities, re-pointed relationships."""

from datetime import datetime

import duckdb
import pytest

from sb_pipeline.knowledge_graph.connectivity import connectivity_report, health
from sb_pipeline.knowledge_graph.entities import entity_id, entity_text, normalise_entities, normalise_type
from sb_pipeline.sources.knowledge_graph_db import read_knowledge_graph


def build_graph(path, with_embedding_column=True):
    c = duckdb.connect(str(path))
    emb = ", embedding FLOAT[384]" if with_embedding_column else ""
    c.execute(f"CREATE TABLE kg_entities(id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, entity_type VARCHAR NOT NULL, "
              f"observations VARCHAR[], properties JSON, created_at TIMESTAMP, updated_at TIMESTAMP, metadata JSON{emb})")
    rows = [
        ("e1", "acme-api", "proj", ["uses fastapi", "connects to postgresql://app:S3cr3tPass@db:5432/x"], "2026-01-01"),
        ("e2", "FastAPI", "Library", ["web framework"], "2026-01-02"),
        ("e3", "fastapi ", "libary", ["ASGI"], "2026-01-03"),  # the same name as e2: merged into e2
        ("e4", "  ", "concept", None, "2026-01-04"),
        ("e5", "gizmo", "widget-thing", [], "2026-01-05"),
        ("e6", "test_auth_refresh", "TEST", ["tests acme-api"], "2026-01-06"),
    ]
    for i, name, etype, obs, ts in rows:
        c.execute("INSERT INTO kg_entities (id, name, entity_type, observations, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                  [i, name, etype, obs, ts, ts])
    c.execute("CREATE TABLE kg_relationships(id VARCHAR PRIMARY KEY, from_entity VARCHAR NOT NULL, to_entity VARCHAR NOT NULL, "
              "relation_type VARCHAR NOT NULL, properties JSON, created_at TIMESTAMP, metadata JSON)")
    c.execute("INSERT INTO kg_relationships (id, from_entity, to_entity, relation_type) VALUES "
              "('r1', 'e1', 'e3', 'uses'), ('r2', 'e3', 'e1', 'uses'), ('r3', 'e6', 'e1', 'tests'), ('r4', 'e1', 'nope', 'uses')")
    c.execute("CREATE TABLE __duckpgq_internal(x INTEGER)")
    c.close()


@pytest.mark.parametrize("with_embedding_column", [True, False])
def test_reader_and_normalisation(tmp_path, with_embedding_column):
    db = tmp_path / "knowledge_graph.duckdb"
    build_graph(db, with_embedding_column)
    before = db.read_bytes()
    read = read_knowledge_graph(db, tmp_path / "snap")
    assert db.read_bytes() == before and read.available and read.entities.height == 6
    entities, relations, rejects = normalise_entities(read.entities, read.relations)
    got = {r["name"]: r for r in entities.iter_rows(named=True)}
    assert set(got) == {"acme-api", "FastAPI", "test_auth_refresh"}
    assert got["acme-api"]["entity_type"] == "project" and got["test_auth_refresh"]["entity_type"] == "test"
    assert got["FastAPI"]["observations"] == ["web framework", "ASGI"]  # the duplicate's observations merged
    assert "S3cr3tPass" not in got["acme-api"]["text"] and got["acme-api"]["secrets_redacted"] == 1
    assert got["acme-api"]["text"].startswith("acme-api (project): uses fastapi; connects to postgresql://app:[REDACTED")
    assert got["acme-api"]["entity_id"] == entity_id("e1")
    assert sorted((r["source_ref"], r["reason"]) for r in rejects) == [
        ("kg_entities:e3", "duplicate_name"), ("kg_entities:e4", "missing_name"), ("kg_entities:e5", "unknown_type"),
        ("kg_relationships:r4", "dangling_relationship")]
    pairs = {(r["source_entity_id"], r["target_entity_id"], r["relation_type"]) for r in relations.iter_rows(named=True)}
    assert pairs == {(entity_id("e1"), entity_id("e2"), "uses"), (entity_id("e6"), entity_id("e1"), "tests")}  # mirrored r2 collapsed, e3 -> e2


def test_type_spellings():
    assert [normalise_type(t) for t in ["Library", "libary", "proj", "Service ", "TEST", "libraries", "Components", "widget-thing", "", None]] == [
        "library", "library", "project", "service", "test", "library", "component", None, None, None]


def test_one_text_recipe():
    assert entity_text("redis", "service", ["cache", "pub/sub"]) == "redis (service): cache; pub/sub"
    assert entity_text("redis", "service", []) == "redis (service)"


def test_missing_graph_is_reported():
    read = read_knowledge_graph("/nonexistent/knowledge_graph.duckdb", "/tmp")
    assert not read.available and "not found" in read.notes[0]


def test_connectivity_uses_the_seed_formulas():
    types = {f"e{i}": t for i, t in enumerate(["project"] * 4 + ["library"] * 4 + ["test"] * 2)}
    source = [("e0", "e4", "uses"), ("e4", "e0", "used_by")]  # one pair, stored both ways
    discovered = [("e1", "e5", "uses"), ("e8", "e1", "tests"), ("e0", "e4", "related_to"), ("e2", "missing", "uses")]
    r = connectivity_report(types, source, discovered, embedded=9)
    assert (r["edges"], r["source_edges"], r["discovered_edges"]) == (3, 1, 2)
    assert (r["connectivity_ratio"], r["avg_degree"], r["isolated_entities"]) == (0.3, 0.6, 5)
    assert r["embedding_coverage"] == 0.9 and r["health"] == "good"
    assert (r["components"], r["largest_component_share"]) == (7, 0.3)
    assert r["degree_distribution"] == {"0": 5, "1": 4, "2": 1}
    assert [health(x) for x in (0.5, 0.2, 0.1, 0.099)] == ["excellent", "good", "fair", "poor"]
