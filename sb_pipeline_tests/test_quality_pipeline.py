"""The Crackerjack quality flow end to end on the sample database: real SQLite, DuckDB and Dagster."""

import hashlib
import json
import shutil

import dagster as dg
import pytest

from sb_pipeline.defs.quality.assets import crackerjack_source, quality_alerts, quality_trends
from sb_pipeline.defs.resources import QualityResource, WarehouseResource
from sb_pipeline_tests.conftest import SAMPLES, materialization_metadata as meta, warehouse_rows as rows

MANIFEST = json.loads((SAMPLES / "CJ_MANIFEST.json").read_text())
SOURCE = SAMPLES / "crackerjack_integration.db"
AS_OF = "2026-11-20T00:00:00Z"


def run(tmp, warehouse, as_of=AS_OF):
    resources = {"warehouse": WarehouseResource(database=str(warehouse)),
                 "quality": QualityResource(crackerjack_db=str(SOURCE), snapshot_dir=str(tmp / "snap"),
                                            reports_dir=str(tmp / "reports"), as_of=as_of)}
    result = dg.materialize([crackerjack_source, quality_trends, quality_alerts], resources=resources,
                            instance=dg.DagsterInstance.ephemeral())
    assert result.success
    return result


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quality")
    before = hashlib.sha256(SOURCE.read_bytes()).hexdigest()
    result = run(tmp, tmp / "w.duckdb")
    assert hashlib.sha256(SOURCE.read_bytes()).hexdigest() == before, "the Crackerjack database is never written"
    return {"tmp": tmp, "warehouse": tmp / "w.duckdb", "result": result}


def test_counts_match_the_manifest(first):
    runs = {m.asset_key.to_user_string(): {k: v.value for k, v in m.metadata.items()}
            for m in first["result"].asset_materializations_for_node("crackerjack_source")}
    assert runs["crackerjack_runs"]["new"] == 1500 and runs["crackerjack_runs"]["synthetic_excluded"] == 12
    assert runs["quality_metric_points"]["new"] == 3486
    assert runs["quality_metric_points"]["foreign_excluded"] == {
        "health_adapters": 90, "health_managers": 90, "health_services": 90, "parsed_quality": 22, "unavailable": 12}


def test_alerts_are_exactly_the_planted_degradations(first):
    expected = {(s["project"], s["metric"]): s["expected_alert"] for s in MANIFEST["series"] if s["expected_alert"] != "none"}
    got = {(p, m): sev for p, m, sev in rows(first["warehouse"], "SELECT project, metric, severity FROM quality_alerts WHERE status = 'new'")}
    assert got == expected  # the improvement, the noise, the single bad run and the thin series stay silent
    never = {(s["project"], s["metric"]) for s in MANIFEST["series"] if s["expected_alert"] == "none"}
    assert not never & set(got)


def test_lifecycle_and_reproducibility(first, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(first["warehouse"], warehouse)
    again = run(tmp_path, warehouse)
    assert meta(again, "quality_alerts")["alerts_new"] == 0 and meta(again, "quality_alerts")["alerts_active"] == 2
    assert {s for (s,) in rows(warehouse, "SELECT status FROM quality_alerts")} == {"ongoing"}
    same = "SELECT project, metric, period, period_start, count, mean FROM quality_trends ORDER BY ALL"
    assert rows(warehouse, same) == rows(first["warehouse"], same)  # the same as_of gives the same trends
    earlier = run(tmp_path, warehouse, as_of="2026-11-01T00:00:00Z")  # before the drops began
    assert meta(earlier, "quality_alerts")["alerts_active"] == 0 and meta(earlier, "quality_alerts")["alerts_resolved"] == 2
    assert {s for (s,) in rows(warehouse, "SELECT status FROM quality_alerts")} == {"resolved"}


def test_trends_are_per_day_and_week_with_slopes(first):
    periods = {p for (p,) in rows(first["warehouse"], "SELECT DISTINCT period FROM quality_trends")}
    assert periods == {"day", "week"}
    direction = dict(((p, m), d) for p, m, d in rows(first["warehouse"], "SELECT project, metric, direction FROM quality_series_trends"))
    assert direction[("session-buddy", "lint_score")] == "declining"
    assert direction[("acb", "complexity_score")] == "improving"  # higher is better, complexity included
