"""The knowledge-graph flow end to end on the sample graph: real model, DuckDB, Dagster."""

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from sb_pipeline.defs.knowledge_graph.assets import discovered_relationships, entity_embeddings, graph_connectivity, kg_entities
from sb_pipeline.defs.knowledge_graph.checks import discovery_precision, edges_are_simple
from sb_pipeline.defs.knowledge_graph.mentions import entity_mentions
from sb_pipeline.defs.resources import EmbedderResource, KnowledgeGraphSourceResource, WarehouseResource
from sb_pipeline.knowledge_graph.entities import entity_id
from sb_pipeline.knowledge_graph.features import FEATURES
from sb_pipeline.knowledge_graph.model import load_model
from sb_pipeline_tests.conftest import REPO, SAMPLES, check_outcomes, materialization_metadata as meta, warehouse_rows as rows

MANIFEST = json.loads((SAMPLES / "KG_MANIFEST.json").read_text())
FLOW = [kg_entities, entity_embeddings, entity_mentions, discovered_relationships, graph_connectivity, edges_are_simple, discovery_precision]


def run(warehouse: Path, graph: Path, snapshots: Path) -> dg.ExecuteInProcessResult:
    resources = {"warehouse": WarehouseResource(database=str(warehouse)),
                 "knowledge_graph_source": KnowledgeGraphSourceResource(path=str(graph), snapshot_dir=str(snapshots)),
                 "embedder": EmbedderResource(model_dir=str(REPO / "data" / "models"))}
    result = dg.materialize(FLOW, resources=resources, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kg")
    before = (SAMPLES / "knowledge_graph.duckdb").read_bytes()
    result = run(tmp / "w.duckdb", SAMPLES / "knowledge_graph.duckdb", tmp / "snap")
    assert (SAMPLES / "knowledge_graph.duckdb").read_bytes() == before, "the source graph is never written"
    return {"dir": tmp, "warehouse": tmp / "w.duckdb", "result": result}


def test_entities_match_the_manifest(built):
    kept = {entity_id(e["id"]): e["expected"]["entity_type"] for e in MANIFEST["entities"] if e["expected"]["fate"] == "kept"}
    got = dict(rows(built["warehouse"], "SELECT entity_id, entity_type FROM kg_entities"))
    assert got == kept and len(got) == 310
    rejected = sorted(rows(built["warehouse"], "SELECT source_ref, reason FROM rejected_records WHERE source = 'knowledge_graph' "
                                               "AND reason <> 'dangling_relationship'"))
    assert rejected == sorted((f"kg_entities:{e['id']}", e["expected"]["reason"]) for e in MANIFEST["entities"] if e["expected"]["fate"] == "rejected")
    assert rows(built["warehouse"], "SELECT count(*) FROM rejected_records WHERE reason = 'dangling_relationship'") == [(1,)]
    assert rows(built["warehouse"], "SELECT count(*) FROM kg_source_relationships") == [(18,)]  # 20 less one mirrored, one dangling
    assert not rows(built["warehouse"], "SELECT 1 FROM kg_entities WHERE list_contains(observations, 'S3cr3tPass') OR text LIKE '%S3cr3tPass%'")


def truth_pairs() -> set[frozenset[str]]:
    """The manifest's true relationships as entity-id pairs (the duplicate 'fastapi ' is FastAPI)."""
    merged = {entity_id(t["id"]): entity_id(t["duplicate_of"]) for t in MANIFEST["traps"]["duplicate_name"]}
    fix = lambda x: merged.get(entity_id(x), entity_id(x))  # noqa: E731
    return {frozenset((fix(t["from"]), fix(t["to"]))) for t in MANIFEST["true_relationships"]}


def test_every_entity_has_a_vector_and_every_edge_a_probability_and_its_evidence(built):
    assert meta(built["result"], "entity_embeddings")["coverage"] == 1.0
    columns = "rule, relation_type, evidence, threshold, model_id, run_id, p_related, confidence, relationship_model_id"
    published = rows(built["warehouse"], f"SELECT {columns} FROM discovered_relationships")
    candidates = rows(built["warehouse"], f"SELECT {columns} FROM relationship_candidates")
    assert 250 <= len(published) <= 320 and len(candidates) > len(published)  # measured 282 and 1,023
    model_id = load_model().model_id
    for rule, rel, evidence, _, model, run_id, p, confidence, rel_model in published + candidates:
        assert rule and rel and model and run_id and rel_model == model_id
        assert confidence == ("high" if p >= 0.8 else "medium" if p >= 0.5 else "low")
        ev = json.loads(evidence)
        assert ev["admitted_by"] and set(ev["features"]) == set(FEATURES)
    assert all(p >= 0.5 for *_, p, _, _ in published) and all(p < 0.5 for *_, p, _, _ in candidates)
    observation = [json.loads(ev) for rule, _, ev, *_ in published if rule.startswith("observation:")]
    assert observation and all(ev["observation"] and ev["verb"] and "mention" in ev["kinds"] for ev in observation)
    assert check_outcomes(built["result"]) == {"entity_embedding_coverage_complete": True, "edges_are_simple": True, "isolated_share_below_threshold": True,
                      "discovery_precision": True}
    (check,) = [e.asset_check_evaluation_data for e in built["result"].all_events
                if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.asset_check_evaluation_data.check_name == "discovery_precision"]
    figures = {k: v.value for k, v in check.metadata.items()}
    for graph in ("umls", "debian", "devgraph"):  # the shipped model on the shipped labelled graphs (it was fitted on them)
        assert figures[f"{graph}_precision"] >= 0.6 and figures[f"{graph}_ece"] <= 0.10
        assert 0 < figures[f"{graph}_recall"] < 1 and figures[f"{graph}_edges"] > 0
    assert figures["devgraph_f1"] > 2 * figures["devgraph_session_buddy_f1"] and figures["umls_f1"] > 2 * figures["umls_session_buddy_f1"]


def test_published_edges_are_mostly_right_and_find_more_than_the_typed_rules_did(built):
    """Against KG_MANIFEST.json: precision >= 0.80 (measured 0.965) and recall above the 196 right edges of the
    previous typed rules (observation 156, type pair + mutual 55: recall 0.386 of the 508 true relationships)."""
    truth = truth_pairs()
    published = rows(built["warehouse"], "SELECT source_entity_id, target_entity_id, confidence FROM discovered_relationships")
    right = [frozenset((a, b)) in truth for a, b, _ in published]
    assert sum(right) / len(right) >= 0.9 and sum(right) / len(truth) >= 0.5
    high = [r for r, (_, _, c) in zip(right, published) if c == "high"]
    assert sum(high) / len(high) >= 0.98  # what the model calls >= 0.8 is right
    # 6 of the 8 prose traps stay candidates ("considered kafka for audit events but dropped the idea"); published
    # (medium, p 0.67 and 0.75): "no longer uses sqlalchemy directly" (the verb is negated, so it does not type the
    # edge, but the name is still there) and "grafana was too limited for product metrics, hence this app"
    traps = {frozenset((entity_id(t["entity_id"]), entity_id(t["mentions_id"]))) for t in MANIFEST["prose_mentions_not_related"]}
    assert len(traps & {frozenset((a, b)) for a, b, _ in published}) <= 2


def test_connectivity_row_uses_the_seed_formulas(built):
    (entities, edges, ratio, avg, coverage, health) = rows(
        built["warehouse"], "SELECT entities, edges, connectivity_ratio, avg_degree, embedding_coverage, health FROM graph_metrics")[0]
    assert entities == 310 and ratio == round(edges / entities, 3) and avg == round(2 * edges / entities, 3)
    assert coverage == 1.0 and health == "excellent"


def test_second_run_recomputes_nothing_and_a_changed_entity_is_refreshed(built, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(built["warehouse"], warehouse)
    again = run(warehouse, SAMPLES / "knowledge_graph.duckdb", tmp_path / "snap")
    assert meta(again, "entity_embeddings")["embedded"] == 0
    assert meta(again, "discovered_relationships")["neighbor_lists_recomputed"] == 0
    edges_before = sorted(rows(built["warehouse"], "SELECT edge_id FROM discovered_relationships"))
    assert sorted(rows(warehouse, "SELECT edge_id FROM discovered_relationships")) == edges_before
    graph = tmp_path / "knowledge_graph.duckdb"
    shutil.copyfile(SAMPLES / "knowledge_graph.duckdb", graph)
    conn = duckdb.connect(str(graph))
    source_id, name = conn.execute("SELECT id, name FROM kg_entities WHERE name = 'acme-api'").fetchall()[0]
    conn.execute("UPDATE kg_entities SET observations = list_append(observations, 'uses tokio') WHERE id = ?", [source_id])
    conn.close()
    changed = run(warehouse, graph, tmp_path / "snap")
    assert meta(changed, "kg_entities")["updated"] == 1
    assert meta(changed, "entity_embeddings")["embedded"] == 1
    assert 1 <= meta(changed, "discovered_relationships")["neighbor_lists_recomputed"] < 310
    assert rows(warehouse, "SELECT relation_type, rule FROM discovered_relationships WHERE source_name = 'acme-api' AND target_name = 'tokio'") == [
        ("uses", "observation:uses")]
