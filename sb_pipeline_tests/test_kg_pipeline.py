"""The knowledge-graph flow end to end on the sample graph: real model, DuckDB, Dagster."""

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from sb_pipeline.defs.knowledge_graph.assets import discovered_relationships, entity_embeddings, graph_connectivity, kg_entities
from sb_pipeline.defs.knowledge_graph.checks import discovery_precision, edges_are_simple
from sb_pipeline.defs.resources import EmbedderResource, KnowledgeGraphSourceResource, WarehouseResource
from sb_pipeline.knowledge_graph.entities import entity_id
from sb_pipeline_tests.conftest import REPO, SAMPLES, check_outcomes, materialization_metadata as meta, warehouse_rows as rows

MANIFEST = json.loads((SAMPLES / "KG_MANIFEST.json").read_text())
FLOW = [kg_entities, entity_embeddings, discovered_relationships, graph_connectivity, edges_are_simple, discovery_precision]


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


def test_every_entity_has_a_vector_and_edges_are_explained(built):
    assert meta(built["result"], "entity_embeddings")["coverage"] == 1.0
    found = rows(built["warehouse"], "SELECT rule, relation_type, evidence, threshold, model_id, run_id FROM discovered_relationships")
    assert len(found) > 300
    assert all(rule and rel and model and run_id for rule, rel, _, _, model, run_id in found)
    observation = [(rel, json.loads(ev)) for rule, rel, ev, *_ in found if rule.startswith("observation:")]
    assert observation and all("observation" in ev for _, ev in observation)
    assert check_outcomes(built["result"]) == {"entity_embedding_coverage_complete": True, "edges_are_simple": True, "isolated_share_below_threshold": True,
                      "discovery_precision": True}
    (precision,) = [e.asset_check_evaluation_data for e in built["result"].all_events
                    if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.asset_check_evaluation_data.check_name == "discovery_precision"]
    assert precision.metadata["precision"].value >= 0.8 and precision.metadata["fixed_0.75_f1"].value < precision.metadata["f1"].value


def test_observation_edges_are_right_and_typed_edges_mostly_right(built):
    truth = {frozenset((entity_id(t["from"]), entity_id(t["to"]))) for t in MANIFEST["true_relationships"]}
    by_rule: dict[str, list[bool]] = {}
    for a, b, rule in rows(built["warehouse"], "SELECT source_entity_id, target_entity_id, rule FROM discovered_relationships"):
        by_rule.setdefault(rule.split(":")[0], []).append(frozenset((a, b)) in truth)
    precision = {rule: sum(v) / len(v) for rule, v in by_rule.items()}
    assert precision["observation"] >= 0.95
    assert precision["type_pair+mutual"] >= 0.7
    levels = dict(rows(built["warehouse"], "SELECT confidence, count(*) FROM discovered_relationships GROUP BY 1"))
    assert set(levels) <= {"high", "medium", "low"} and levels["high"] == len(by_rule["observation"])


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
