"""`sb-pipeline quality-report` with the seed monitor's flags, and the quality_report asset's files."""

import json

import dagster as dg
from typer.testing import CliRunner

from sb_pipeline.cli import app
from sb_pipeline.defs.quality.assets import crackerjack_source, quality_alerts, quality_report, quality_statistics, quality_trends
from sb_pipeline.defs.resources import EmbedderResource, QualityResource, WarehouseResource
from sb_pipeline_tests.conftest import REPO, SAMPLES, materialization_metadata

SEED_KEYS = ["report_generated", "analysis_period_days", "total_records", "database_path", "summary", "metric_trends",
             "command_statistics", "quality_alerts", "project_insights", "performance_metrics", "recommendations"]
AS_OF = "2026-11-20T00:00:00Z"


def invoke(*args):
    return CliRunner().invoke(app, ["quality-report", "--db-path", str(SAMPLES / "crackerjack_integration.db"), *args])


def test_json_keeps_the_seed_keys_and_finds_the_planted_alerts():
    out = invoke("--days", "30", "--format", "json", "--as-of", AS_OF)
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert list(report)[: len(SEED_KEYS)] == SEED_KEYS
    assert {(a["project"], a["metric_type"], a["severity"]) for a in report["quality_alerts"]} == {
        ("session-buddy", "lint_score", "critical"), ("crackerjack", "code_coverage", "warning")}
    assert report["analysis_period_days"] == 30


def test_project_filter_reaches_everything():
    report = json.loads(invoke("--format", "json", "--as-of", AS_OF, "--project", "/home/les/projects/acb/").output)
    assert set(report["project_insights"]) == {"acb"} and report["quality_alerts"] == []
    assert {t["project"] for t in report["metric_trends"].values()} == {"acb"}


def test_empty_window_and_one_day_render():
    empty = invoke("--as-of", "2025-01-01T00:00:00Z")
    assert empty.exit_code == 0 and "no data" in empty.output.lower()
    assert invoke("--days", "1", "--as-of", AS_OF).exit_code == 0


def test_html_file_and_missing_database(tmp_path):
    target = tmp_path / "dash.html"
    out = invoke("--format", "html", "--as-of", AS_OF, "--output", str(target))
    assert out.exit_code == 0 and target.stat().st_size > 1_000_000
    html = target.read_text()
    assert "<script src=\"http" not in html and "session-buddy" in html and "lint_score" in html
    missing = CliRunner().invoke(app, ["quality-report", "--db-path", str(tmp_path / "nope.db")])
    assert missing.exit_code == 2 and "Cannot read" in missing.output


def test_the_asset_writes_dated_files_linked_from_metadata(tmp_path):
    resources = {"warehouse": WarehouseResource(database=str(tmp_path / "w.duckdb")),
                 "quality": QualityResource(crackerjack_db=str(SAMPLES / "crackerjack_integration.db"), snapshot_dir=str(tmp_path / "s"),
                                            reports_dir=str(tmp_path / "reports"), as_of=AS_OF),
                 "embedder": EmbedderResource(model_dir=str(REPO / "data" / "models"))}
    result = dg.materialize([crackerjack_source, quality_trends, quality_alerts, quality_statistics, quality_report],
                            resources=resources, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    meta = materialization_metadata(result, "quality_report")
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["quality-2026-11-20.html", "quality-2026-11-20.json", "quality-2026-11-20.md"]
    assert meta["alerts"] == 2 and meta["dashboard"].startswith("file://") and "Quality Alerts" in meta["summary"]
    assert meta["alerts_with_sessions"] == 0  # the warehouse holds no conversations: each alert says so
    assert "no conversations for project session-buddy in the warehouse" in meta["summary"]


def test_project_aliases_place_the_dot_runs(monkeypatch):
    before = json.loads(invoke("--format", "json", "--as-of", AS_OF).output)
    monkeypatch.setenv("SB_QUALITY_PROJECT_ALIASES", '{".": "fastblocks"}')
    after = json.loads(invoke("--format", "json", "--as-of", AS_OF).output)
    unknown_before = before["project_insights"].get("unknown", {}).get("executions", 0)
    assert unknown_before > 0
    assert after["project_insights"]["fastblocks"]["executions"] > before["project_insights"]["fastblocks"]["executions"]
    monkeypatch.setenv("SB_QUALITY_PROJECT_ALIASES", "{not json")
    bad = invoke("--as-of", AS_OF)
    assert bad.exit_code == 2 and "SB_QUALITY_PROJECT_ALIASES" in bad.output
