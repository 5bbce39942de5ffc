"""`sb-pipeline graph` and `sb-pipeline related` on a warehouse built from the samples' knowledge graph.

The warehouse is built by the knowledge-graph assets as the definitions load them (`defs_runner`, once
per session), given a second connectivity report, then only read: the report must be the latest `graph_metrics` row, and an entity's
relationships must be the sample graph's (data/samples/KG_MANIFEST.json), with their evidence.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from sb_pipeline.cli import app
from sb_pipeline_tests.conftest import SAMPLES, warehouse_rows
from sb_pipeline_tests.defs_runner import materialize, sample_graph, sb_env

MANIFEST = json.loads((SAMPLES / "KG_MANIFEST.json").read_text())
SCALARS = ("entities", "edges", "source_edges", "discovered_edges", "connectivity_ratio", "avg_degree", "isolated_entities",
           "isolated_share", "embedding_coverage", "components", "largest_component_share", "health")


@pytest.fixture(scope="module")
def graph_warehouse(tmp_path_factory) -> Path:
    """The samples' knowledge graph through all four assets, then graph_connectivity once more, so the
    warehouse holds two reports and the CLI has to pick the latest."""
    folder = tmp_path_factory.mktemp("kg_cli")
    shutil.copyfile(sample_graph(tmp_path_factory, "connected"), folder / "warehouse.duckdb")
    with sb_env(folder) as env:
        materialize(["graph_connectivity"])
    return Path(env["SB_WAREHOUSE"])


def cli(*args: str):
    """In process (typer's CliRunner); rich wraps at 80 columns there."""
    return CliRunner().invoke(app, list(args))


def latest_metrics_row(warehouse: Path) -> dict:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        conn.execute("SET TimeZone = 'UTC'")
        cursor = conn.execute("SELECT * FROM graph_metrics ORDER BY measured_at DESC")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r)) for r in cursor.fetchall()]
    finally:
        conn.close()
    assert len(rows) == 2 and rows[0]["run_id"] != rows[1]["run_id"]
    return rows[0]


def test_graph_json_is_the_latest_graph_metrics_row(graph_warehouse, monkeypatch):
    monkeypatch.setenv("SB_WAREHOUSE", str(graph_warehouse))
    out = cli("graph", "--json")
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    row = latest_metrics_row(graph_warehouse)
    assert report["run_id"] == row["run_id"]
    assert report["measured_at"] == row["measured_at"].isoformat()
    assert {k: report[k] for k in SCALARS} == {k: row[k] for k in SCALARS}
    extra = json.loads(row["report"])  # counts by type, degree distribution, recommendations
    assert {k: report[k] for k in extra} == extra
    assert set(report) == set(row) - {"report"} | set(extra)

    # ...and those figures describe this warehouse, with Session Buddy's formulas.
    wh = graph_warehouse
    (entities,), (source,), (discovered,), (candidates,) = (warehouse_rows(wh, f"SELECT count(*) FROM {t}")[0] for t in (
        "kg_entities", "kg_source_relationships", "discovered_relationships", "relationship_candidates"))
    assert (report["entities"], report["source_edges"]) == (entities, source) == (310, 18)
    assert report["discovered_edges"] == discovered and 250 <= discovered <= 320  # published: p_related >= 0.5 (measured 282)
    assert report["candidates"] == candidates > discovered  # the rest, counted beside them, never in the ratio
    kinds = dict(warehouse_rows(wh, "SELECT k, count(*) FROM (SELECT unnest(CAST(json_extract(evidence, '$.kinds') AS VARCHAR[])) AS k "
                                    "FROM discovered_relationships) GROUP BY k"))
    assert report["evidence_kinds"] == kinds and kinds["mention"] > 200 and kinds["similarity"] > 0
    assert report["edges"] == source + discovered
    assert report["connectivity_ratio"] == round(report["edges"] / entities, 3)
    assert report["avg_degree"] == round(2 * report["edges"] / entities, 3)
    assert report["embedding_coverage"] == 1.0
    assert report["health"] == "excellent"  # ratio >= 0.5
    assert sum(report["degree_distribution"].values()) == entities
    assert report["degree_distribution"].get("0", 0) == report["isolated_entities"]
    assert sum(int(d) * n for d, n in report["degree_distribution"].items()) == 2 * report["edges"]
    assert report["entity_types"] == dict(warehouse_rows(wh, "SELECT entity_type, count(*) FROM kg_entities GROUP BY 1 ORDER BY 1"))


def test_graph_table_names_every_figure(graph_warehouse):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SB_")}
    env.update(SB_WAREHOUSE=str(graph_warehouse), COLUMNS="400")
    out = subprocess.run([str(Path(sys.executable).parent / "sb-pipeline"), "graph"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    row = latest_metrics_row(graph_warehouse)
    extra = json.loads(row["report"])
    lines = out.stdout.splitlines()
    assert f"knowledge graph: {row['health']}" in out.stdout
    for key in [k for k in SCALARS if k not in ("isolated_share", "health")] + ["candidates", "entity_types", "relation_types",
                                                                                 "evidence_kinds", "degree_distribution"]:
        value = str(row[key] if key in row else extra[key])
        assert any(f" {key} " in line and f" {value} " in line for line in lines), (key, value, out.stdout)
    flat = " ".join(out.stdout.split())
    for line in extra["recommendations"]:
        assert " ".join(f"• {line}".split()) in flat


def test_graph_without_a_warehouse_exits_2(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere" / "warehouse.duckdb"
    monkeypatch.setenv("SB_WAREHOUSE", str(missing))
    for args in (["graph"], ["graph", "--json"], ["related", "acme-api"]):
        out = cli(*args)
        assert out.exit_code == 2, (args, out.output)
        squeezed = "".join(out.output.split())  # rich wraps long paths at the terminal's width
        assert f"nowarehouseat{missing}:run`makerun`" in squeezed, out.output
    assert not missing.exists(), "a reader never creates the warehouse"


def test_graph_on_a_warehouse_without_knowledge_graph_tables_exits_2(tmp_path, monkeypatch):
    foreign = tmp_path / "conversations_only.duckdb"
    conn = duckdb.connect(str(foreign))
    conn.execute("CREATE TABLE conversations (conversation_id VARCHAR, content VARCHAR)")
    conn.close()
    monkeypatch.setenv("SB_WAREHOUSE", str(foreign))
    for args in (["graph"], ["graph", "--json"], ["related", "acme-api"]):
        out = cli(*args)
        assert out.exit_code == 2, (args, out.output)
        assert "has no knowledge-graph tables yet" in " ".join(out.output.split()), out.output
    assert warehouse_rows(foreign, "SELECT table_name FROM information_schema.tables") == [("conversations",)], "readers never migrate"


def test_graph_before_any_connectivity_run_exits_1(tmp_path, monkeypatch):
    with sb_env(tmp_path) as env:
        materialize(["kg_entities"])  # the tables exist, no report yet
    monkeypatch.setenv("SB_WAREHOUSE", env["SB_WAREHOUSE"])
    out = cli("graph", "--json")
    assert out.exit_code == 1 and "No connectivity report yet" in out.output, out.output


# --- related ---------------------------------------------------------------------------------------

def manifest_entity(name: str) -> dict:
    (entity,) = [e for e in MANIFEST["entities"] if e["name"] == name]
    return entity


def related_json(*args: str) -> dict:
    out = cli("related", *args, "--json")
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def test_related_lists_the_source_and_the_stated_relationships_with_evidence(graph_warehouse, monkeypatch):
    monkeypatch.setenv("SB_WAREHOUSE", str(graph_warehouse))
    acme = manifest_entity("acme-api")
    got = related_json("acme-api")
    assert (got["entity"]["name"], got["entity"]["entity_type"]) == ("acme-api", "project")
    rels = got["relationships"]
    names = {e["id"]: e["name"] for e in MANIFEST["entities"]}

    # The source graph's own edges of acme-api, exactly (FastAPI: the edge pointed at the duplicate 'fastapi ').
    existing = {(r["true_relationship"]["relation_type"], r["true_relationship"]["to_name"]) for r in MANIFEST["existing_relationships"]
                if acme["id"] in (r["from_entity"], r["to_entity"]) and not r["dangling"]}
    assert existing == {("uses", "FastAPI"), ("connects_to", "postgres")}
    assert {(r["relation_type"], r["other"]) for r in rels if r["origin"] == "source"} == existing
    assert all(r["direction"] == "out" and r["confidence"] == "source" for r in rels if r["origin"] == "source")

    # Every relationship acme-api states with one of the verbs discovery reads ("uses X", "connects to Y")
    # and the source does not already hold: discovered, typed by the observation, with that observation as evidence.
    stated = [t for t in MANIFEST["true_relationships"] if t["observation_on"] == acme["id"] and t["sb_pattern"]
              and (t["relation_type"], t["to_name"]) not in existing]
    assert {t["to_name"] for t in stated} == {"pydantic", "authlib", "alembic", "auth0"}
    by_other = {r["other"]: r for r in rels if r["origin"] == "discovered"}
    for t in stated:
        edge = by_other[t["to_name"]]
        evidence = edge["evidence"]  # an object, not JSON text in JSON
        assert (edge["relation_type"], edge["direction"], edge["confidence"], edge["rule"]) == (
            t["relation_type"], "out", "high", f"observation:{t['sb_pattern']}"), edge
        assert edge["p_related"] >= 0.8 and edge["why"].startswith(f'acme-api says "{t["observation"]}"')
        assert evidence["observation"] == t["observation"] and evidence["observed_by"] == got["entity"]["entity_id"]
        assert "observation" in evidence["admitted_by"] and 0 < edge["similarity"] < 1
    # a prose mention is not a relationship ("considered kafka ... but dropped the idea")
    assert "kafka" not in by_other
    # every discovered edge carries its evidence and is between kept entities of the manifest
    assert all(r["evidence"]["admitted_by"] for r in rels if r["origin"] == "discovered")
    assert {r["other"] for r in rels} <= set(names.values())
    assert len(rels) == len({r["other"] for r in rels}), "one row per related entity"

    # the source's first, then the most probable
    ranks = [(r["origin"] != "source", -(r["p_related"] or 0.0)) for r in rels]
    assert ranks == sorted(ranks) and all(r["p_related"] >= 0.5 for r in rels if r["origin"] == "discovered")
    # --candidates adds the pairs below the cut, with the same columns
    more = related_json("acme-api", "--candidates")["relationships"]
    below = [r for r in more if r["origin"] == "candidate"]
    assert below and all(r["p_related"] < 0.5 and r["confidence"] == "low" for r in below)
    assert [r for r in more if r["origin"] != "candidate"] == rels
    # and they are exactly the warehouse's rows touching acme-api
    eid = got["entity"]["entity_id"]
    (discovered,) = warehouse_rows(graph_warehouse, "SELECT count(*) FROM discovered_relationships WHERE ? IN (source_entity_id, target_entity_id)", [eid])[0]
    assert len(by_other) == discovered and len(rels) == discovered + len(existing)


def test_related_table_shows_the_same_relationships(graph_warehouse):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SB_")}
    env.update(SB_WAREHOUSE=str(graph_warehouse), COLUMNS="400")
    out = subprocess.run([str(Path(sys.executable).parent / "sb-pipeline"), "related", "acme-api"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    rels = json.loads(subprocess.run([str(Path(sys.executable).parent / "sb-pipeline"), "related", "acme-api", "--json"], env=env,
                                     capture_output=True, text=True, timeout=120).stdout)["relationships"]
    assert f"acme-api (project): {len(rels)} relationships" in out.stdout
    assert "Candidates below the publication cut: sb-pipeline related NAME --candidates" in out.stdout
    rows = [line for line in out.stdout.splitlines() if line.startswith("│")]
    assert len(rows) == len(rels)
    for line, r in zip(rows, rels):  # same order as --json
        cells = [c.strip() for c in line.strip("│").split("│")]
        arrow = f"{r['relation_type']} →" if r["direction"] == "out" else f"← {r['relation_type']}"
        assert cells[:4] == [arrow, r["other"], "" if r["p_related"] is None else f"{r['p_related']:.2f}", r["confidence"]], line
        assert cells[4] == r["why"] and r["why"]


def test_related_matches_names_case_insensitively(graph_warehouse, monkeypatch):
    monkeypatch.setenv("SB_WAREHOUSE", str(graph_warehouse))
    reference = related_json("acme-api")
    assert related_json("ACME-API") == reference == related_json("Acme-Api")
    # the source spells it FastAPI (and had a later duplicate 'fastapi ', merged into it)
    fastapi = related_json("fastapi")
    assert fastapi == related_json("FASTAPI") and fastapi["entity"]["name"] == "FastAPI"
    assert fastapi["entity"]["entity_type"] == "library"
    assert {"direction": "in", "other": "acme-api", "relation_type": "uses", "origin": "source"}.items() <= next(
        r for r in fastapi["relationships"] if r["other"] == "acme-api").items()


def test_related_unknown_name_exits_1(graph_warehouse, monkeypatch):
    monkeypatch.setenv("SB_WAREHOUSE", str(graph_warehouse))
    for args in (["related", "no-such-entity"], ["related", "no-such-entity", "--json"], ["related", "acme"]):
        out = cli(*args)
        assert out.exit_code == 1, (args, out.output)
        assert f"No entity named {args[1]!r}." in out.output
