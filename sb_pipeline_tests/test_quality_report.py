"""Quality report: statistics, recommendations, JSON shape, markdown/HTML rendering and files."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone

import polars as pl
import pytest

from sb_pipeline.quality import statistics as st
from sb_pipeline.quality.alerts import LIFECYCLE_SCHEMA, detect_alerts, lifecycle
from sb_pipeline.quality.normalise import POINT_SCHEMA, RUN_SCHEMA
from sb_pipeline.quality.report import (
    build_report,
    recommendations,
    render_html,
    render_markdown,
    write_report_files,
)

AS_OF = datetime(2026, 9, 1, tzinfo=timezone.utc)
DAYS = 30
SEED_KEYS = ["report_generated", "analysis_period_days", "total_records", "database_path", "summary",
             "metric_trends", "command_statistics", "quality_alerts", "project_insights", "performance_metrics",
             "recommendations"]

# (command, project, success, execution_time, days before AS_OF)
RUNS = [
    ("test", "acb", True, 10.0, 20), ("test", "acb", False, 20.0, 18), ("test", "acb", True, 30.0, 16),
    ("test", "crackerjack", False, 40.0, 14), ("test", "crackerjack", True, 50.0, 12),
    ("lint", "acb", True, 1.0, 25), ("lint", "acb", True, 2.0, 5),
    ("lint", "crackerjack", True, 3.0, 4), ("lint", "crackerjack", True, 4.5, 3),
    ("all", "acb", True, 40.0, 10), ("all", "acb", True, 50.0, 9), ("all", "acb", True, 60.0, 8),
    ("check", "crackerjack", True, 30.0, 7), ("check", "crackerjack", False, 35.0, 6),
    ("check", "crackerjack", True, 40.0, 0),  # exactly at as_of: inside (as_of - days, as_of]
    ("format", "acb", True, 0.5, 2), ("format", "acb", True, 0.5, 1),  # 2 runs: below min_runs
    ("lint", "acb", False, 99.0, 31),  # before the window
]


def make_runs() -> pl.DataFrame:
    rows = [
        dict(run_id=f"r{i}", command=c, exit_code=0 if ok else 1, success=ok, execution_time=t,
             observed_at=AS_OF - timedelta(days=d), project=p, source_ref=f"crackerjack_results:r{i}")
        for i, (c, p, ok, t, d) in enumerate(RUNS)
    ]
    return pl.DataFrame(rows, schema=RUN_SCHEMA, orient="row")


def make_points() -> pl.DataFrame:
    rows = []
    for i in range(30):  # one point a day, from as_of - 29.5 d to as_of - 0.5 d; the last 10 are "recent"
        t = AS_OF - timedelta(days=29.5) + timedelta(days=i)
        lint = (90.0 if i < 20 else 60.0) + (i % 3) * 0.5  # acb lint_score: a level drop -> critical alert
        for project, metric, value in (("acb", "lint_score", lint), ("acb", "build_status", 100.0),
                                       ("crackerjack", "code_coverage", 60.0 + i)):  # steady improvement
            rows.append(dict(project=project, metric=metric, value=value, observed_at=t, run_id=f"p{i}",
                             formula_era="v2", source_ref=f"quality_metrics_history:{project}-{metric}-{i}"))
    return pl.DataFrame(rows, schema=POINT_SCHEMA, orient="row")


@pytest.fixture(scope="module")
def frames():
    runs, points = make_runs(), make_points()
    alerts = lifecycle(pl.DataFrame(schema=LIFECYCLE_SCHEMA), detect_alerts(points, AS_OF, DAYS), AS_OF)
    return runs, points, alerts


@pytest.fixture(scope="module")
def report(frames):
    runs, points, alerts = frames
    return build_report(runs, points, alerts, AS_OF, DAYS, database_path="/data/cj.db")


def test_command_statistics_exact(frames):
    stats = st.command_statistics(frames[0], AS_OF, DAYS)
    assert stats.to_dicts() == [
        dict(command="test", total_executions=5, successful_executions=3, success_rate=60.0, avg_execution_time=30.0,
             min_execution_time=10.0, max_execution_time=50.0, failure_count=2),
        dict(command="lint", total_executions=4, successful_executions=4, success_rate=100.0, avg_execution_time=2.625,
             min_execution_time=1.0, max_execution_time=4.5, failure_count=0),
        dict(command="all", total_executions=3, successful_executions=3, success_rate=100.0, avg_execution_time=50.0,
             min_execution_time=40.0, max_execution_time=60.0, failure_count=0),
        dict(command="check", total_executions=3, successful_executions=2, success_rate=66.67,
             avg_execution_time=35.0, min_execution_time=30.0, max_execution_time=40.0, failure_count=1),
    ]


def test_performance_summary_and_insights(frames):
    runs, points, _ = frames
    perf = st.performance_metrics(runs, AS_OF, DAYS)
    assert perf["total_executions"] == 17 and perf["min_execution_time"] == 0.5 and perf["max_execution_time"] == 60.0
    assert [c["command"] for c in perf["slowest_commands"]] == ["all", "check", "test", "lint"]
    assert perf["fastest_commands"][0] == {"command": "lint", "avg_time": 2.625}
    summ = st.summary(runs, points, AS_OF, DAYS)
    assert (summ["total_records"], summ["unique_commands"], summ["successful"]) == (17, 5, 14)
    assert summ["success_rate"] == round(100 * 14 / 17, 2)
    assert summ["last_record"] == AS_OF.isoformat() and summ["metric_records"] == 90 and summ["metric_types"] == 3
    ins = {r["project"]: r for r in st.project_insights(runs, AS_OF, DAYS).to_dicts()}
    assert ins["acb"]["executions"] == 10 and ins["crackerjack"]["executions"] == 7
    assert ins["acb"]["first_run"] == (AS_OF - timedelta(days=25)).isoformat()
    assert ins["acb"]["days_active"] == 25  # 25 days before -> 1 day before: (24 days).days + 1
    assert ins["crackerjack"]["days_active"] == 15


def test_recommendations_every_failing_and_slow_command(report):
    recs = report["recommendations"]
    assert "High failure rate for 'test' (2/5 failed) - investigate" in recs
    assert "High failure rate for 'check' (1/3 failed) - investigate" in recs
    assert "Performance: 'all' averaging 50.0s - consider optimization" in recs
    assert "Performance: 'check' averaging 35.0s - consider optimization" in recs
    assert not any("'test' averaging" in r for r in recs)  # exactly 30 s is not > 30 s
    assert any(r.startswith("WARNING: Code quality declining") and "acb" in r for r in recs)
    assert any(r.startswith("EXCELLENT: code_coverage improving") and "crackerjack" in r for r in recs)
    assert recs.index(next(r for r in recs if r.startswith("WARNING"))) == 0  # alerts come first


def test_recommendations_all_stable():
    empty_alerts = pl.DataFrame(schema=LIFECYCLE_SCHEMA)
    stats = [dict(command="lint", total_executions=5, failure_count=0, avg_execution_time=2.0)]
    assert recommendations(empty_alerts, {}, stats, {"slowest_commands": []}) == [
        "All metrics stable - continue current development practices"]


def test_json_keys_order_and_serialisable(report):
    keys = list(report)
    assert keys[: len(SEED_KEYS)] == SEED_KEYS
    assert {"as_of", "improvements", "resolved_alerts", "schema_version"} <= set(keys[len(SEED_KEYS):])
    assert report["report_generated"] == AS_OF.isoformat() and report["database_path"] == "/data/cj.db"
    assert json.loads(json.dumps(report)) == report
    assert set(report["metric_trends"]) == {"acb/build_status", "acb/lint_score", "crackerjack/code_coverage"}
    lint = report["metric_trends"]["acb/lint_score"]
    assert lint["direction"] == "declining" and lint["slope_ci"][1] < 0 and lint["data_points"] == 30
    [alert] = report["quality_alerts"]
    assert (alert["project"], alert["metric_type"], alert["severity"], alert["status"]) == \
        ("acb", "lint_score", "critical", "new")
    assert alert["change_percentage"] < -25 and alert["first_seen"] == AS_OF.isoformat()
    assert isinstance(alert["evidence"], dict)
    seed_alert_keys = ["severity", "metric_type", "message", "current_value", "previous_value", "change_percentage", "timestamp"]
    assert set(seed_alert_keys) <= set(alert) and alert["timestamp"] == AS_OF.isoformat()
    # issue 13: the change point (the acb lint level fell from the 21st daily point, 9.5 days before as_of)
    assert alert["change_at"] == (AS_OF - timedelta(days=9.5)).isoformat() and alert["change_run_id"] == "p20"
    assert (alert["runs_before"], alert["runs_after"]) == (20, 10) and alert["p_value"] < 0.05
    assert alert["change_ci_pct"][0] <= alert["change_percentage"] <= alert["change_ci_pct"][1]
    assert alert["sessions"] is None  # not looked up: the caller passed none


def test_project_filter_reaches_everything(frames):
    runs, points, alerts = frames
    for project in ("acb", "/home/les/projects/acb/"):
        rep = build_report(runs, points, alerts, AS_OF, DAYS, project=project)
        assert list(rep["project_insights"]) == ["acb"]
        assert all(k.startswith("acb/") for k in rep["metric_trends"])
        assert rep["total_records"] == 10
        assert {c["command"] for c in rep["command_statistics"]} == {"test", "all"}  # lint has 2 acb runs in window
    rep = build_report(runs, points, alerts, AS_OF, DAYS, project="crackerjack")
    assert rep["quality_alerts"] == [] and list(rep["project_insights"]) == ["crackerjack"]


def test_markdown_renders_and_empty_window(frames, report):
    md = render_markdown(report)
    for heading in ("Executive Summary", "Quality Alerts", "Metric Trends", "Command Statistics",
                    "Performance Metrics", "Project Insights", "Recommendations", "/data/cj.db"):
        assert heading in md
    assert "🔴" in md and "(new)" in md
    runs, points, _ = frames
    for r, p in ((runs, points), (pl.DataFrame(schema=RUN_SCHEMA), pl.DataFrame(schema=POINT_SCHEMA))):
        empty = build_report(r, p, pl.DataFrame(schema=LIFECYCLE_SCHEMA), AS_OF + timedelta(days=365), 7)
        text = render_markdown(empty)
        assert "no data in window" in text.lower() and "✅ No quality alerts" in text
        assert "All metrics stable" in text


def test_long_project_paths_shortened():
    from sb_pipeline.quality.render import _short
    long = "/very/long/" + "x" * 80
    assert len(_short(long)) == 50 and _short(long).startswith("...") and _short("acb") == "acb"


def test_html_offline_with_every_series(frames, report):
    runs, points, alerts = frames
    page = render_html(report, points, alerts, AS_OF, DAYS)
    assert '<script src="http' not in page and "<script src='http" not in page
    assert not re.search(r"<script[^>]*\ssrc=", page)  # (the bundle's own text mentions cdn.plot.ly: not a load)
    assert len(page) > 1_000_000 and page.count("Plotly.newPlot") == 3  # bundle embedded once, 3 charts
    for series in ("acb / lint_score", "acb / build_status", "crackerjack / code_coverage"):
        assert series in page
    assert "CRITICAL (new)" in page  # the alerting series is marked
    empty = build_report(runs, points, pl.DataFrame(schema=LIFECYCLE_SCHEMA), AS_OF + timedelta(days=365), 7)
    blank = render_html(empty, points, None, AS_OF + timedelta(days=365), 7)
    assert "No data in window" in blank and "Plotly" not in blank


def test_write_report_files(tmp_path, report, frames):
    md, page = render_markdown(report), render_html(report, frames[1], frames[2], AS_OF, DAYS)
    paths = write_report_files(report, md, page, tmp_path / "reports", date(2026, 9, 1))
    assert {k: p.name for k, p in paths.items()} == {
        "md": "quality-2026-09-01.md", "json": "quality-2026-09-01.json", "html": "quality-2026-09-01.html"}
    assert all(p.parent == tmp_path / "reports" and p.is_file() for p in paths.values())
    assert json.loads(paths["json"].read_text(encoding="utf-8")) == report
    assert paths["md"].read_text(encoding="utf-8") == md
    assert write_report_files(report, md, page, tmp_path / "r2")["md"].name == "quality-2026-09-01.md"
