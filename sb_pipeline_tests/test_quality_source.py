"""The Crackerjack source: reading the sample DB, timestamps, the project-path rule, exclusions, safety."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime, timedelta, timezone

import polars as pl
import pytest

from sb_pipeline.quality.normalise import (
    POINT_SCHEMA,
    RUN_SCHEMA,
    formula_era,
    normalise,
    project_key,
)
from sb_pipeline.sources.crackerjack_db import read_crackerjack
from sb_pipeline.sources.timestamps import to_utc
from sb_pipeline_tests.conftest import SAMPLES

DB = SAMPLES / "crackerjack_integration.db"
MANIFEST = json.loads((SAMPLES / "CJ_MANIFEST.json").read_text())
UTC = timezone.utc


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    read = read_crackerjack(DB, tmp_path_factory.mktemp("snap"))
    return read, normalise(read)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sample_counts_match_manifest(sample):
    read, q = sample
    assert read.available and read.notes == []
    assert {t: read.frame(t).height for t in MANIFEST["tables"]} == MANIFEST["tables"]
    expected = MANIFEST["counts"]
    for key in ("runs", "synthetic_results", "metric_points", "metric_points_by_type", "foreign_metric_types",
                "rejects", "runs_by_project"):
        assert q.counts[key] == expected[key], key
    assert q.points.filter(pl.col("formula_era") == "v1").height == expected["metric_points_v1_era"]
    by_exit = q.runs.group_by("exit_code").len()
    assert {str(k): v for k, v in by_exit.iter_rows()} == expected["runs_by_exit_code"]
    assert q.runs["execution_time"].null_count() == expected["runs_with_null_execution_time"]
    assert len(q.rejects) == sum(sum(v.values()) for v in expected["rejects"].values())
    assert all(set(r) == {"source", "source_ref", "reason", "excerpt"} and r["source"] == "crackerjack" for r in q.rejects)


def test_frames_have_the_agreed_columns(sample):
    _, q = sample
    assert dict(q.runs.schema) == RUN_SCHEMA
    assert dict(q.points.schema) == POINT_SCHEMA
    assert q.runs["run_id"].is_unique().all() and q.points["source_ref"].is_unique().all()
    assert (q.runs["success"] == (q.runs["exit_code"] == 0)).all()
    assert q.points["value"].is_between(0, 100).all()
    assert q.runs["source_ref"].str.starts_with("crackerjack_results:cj_").all()
    assert q.points["source_ref"].str.starts_with("quality_metrics_history:metric_").all()


def test_planted_series_means_reproduce_from_the_points(sample):
    """The manifest's baseline/recent means are what the normalised points give (v2 era, per project)."""
    _, q = sample
    ref = datetime.fromisoformat(MANIFEST["reference_date"])
    w = MANIFEST["windows"]

    recent_from = ref - timedelta(days=w["recent_days"])
    base_from = recent_from - timedelta(days=w["baseline_days_before_recent"])
    for s in MANIFEST["series"]:
        pts = q.points.filter((pl.col("project") == s["project"]) & (pl.col("metric") == s["metric"])
                              & (pl.col("formula_era") == "v2"))
        recent = pts.filter(pl.col("observed_at") >= recent_from)
        base = pts.filter((pl.col("observed_at") >= base_from) & (pl.col("observed_at") < recent_from))
        assert (base.height, recent.height) == (s["n_baseline"], s["n_recent"]), s["name"]
        assert round(recent["value"].mean(), 2) == s["recent_mean"], s["name"]
        assert round(base["value"].mean(), 2) == s["baseline_mean"], s["name"]
    expected = {s["name"]: s["expected_alert"] for s in MANIFEST["series"]}
    assert expected["lint_drop"] == "critical" and expected["coverage_drop"] == "warning"


@pytest.mark.parametrize(
    "text, instant",
    [
        ("2026-01-04T10:00:00.123456+00:00", datetime(2026, 1, 4, 10, 0, 0, 123456, tzinfo=UTC)),  # utc_now().isoformat()
        ("2026-01-04T10:00:00+00:00", datetime(2026, 1, 4, 10, tzinfo=UTC)),  # isoformat with microsecond == 0
        ("2026-01-04 10:00:00.123456+00:00", datetime(2026, 1, 4, 10, 0, 0, 123456, tzinfo=UTC)),  # test_results
        ("2026-01-04 10:00:00+00:00", datetime(2026, 1, 4, 10, tzinfo=UTC)),
        ("2026-01-04T12:00:00+02:00", datetime(2026, 1, 4, 10, tzinfo=UTC)),
        ("2026-01-04T10:00:00Z", datetime(2026, 1, 4, 10, tzinfo=UTC)),
        ("2026-01-04 10:00:00", datetime(2026, 1, 4, 10, tzinfo=UTC)),  # naive: read as UTC
    ],
)
def test_every_timestamp_format_parses_to_utc(text, instant):
    assert to_utc(text) == instant


def test_sample_timestamps_of_every_table_parse(sample):
    read, q = sample
    for table in ("test_results", "progress_snapshots"):
        stamps = read.frame(table)["timestamp"].to_list()
        assert all(to_utc(s).tzinfo is not None for s in stamps)
    assert all(" " in s for s in read.test_results["timestamp"].to_list())
    assert q.runs["observed_at"].dtype == pl.Datetime("us", "UTC")


def test_bad_timestamp_and_values_are_rejected():
    class Read:
        available, notes = True, []
        results = pl.DataFrame({"id": ["cj_1", "cj_2", "cj_3"], "command": ["lint"] * 3, "exit_code": [0, 0, 1],
                                "execution_time": [1.0, -1.0, None],
                                "timestamp": ["garbage", "2026-09-01T10:00:00+00:00", "2026-09-01 10:00:00+00:00"],
                                "working_directory": ["/a/p", "/a/p", "/a/p"]})
        metrics = pl.DataFrame({"id": ["m1", "m2", "m3", "m4", "m5"], "project_path": ["/a/p"] * 5,
                                "metric_type": ["lint_score", "lint_score", "code_coverage", "build_status", "lint_score"],
                                "metric_value": [float("nan"), 101.0, -0.5, 100.0, 50.0],
                                "timestamp": ["2026-09-01T10:00:00+00:00"] * 4 + ["31/02/2026"],
                                "result_id": ["cj_3"] * 5})
        test_results = progress_snapshots = pl.DataFrame()

    q = normalise(Read())
    reasons = sorted((r["source_ref"], r["reason"]) for r in q.rejects)
    assert reasons == [("crackerjack_results:cj_1", "bad_timestamp"), ("crackerjack_results:cj_2", "bad_execution_time"),
                       ("quality_metrics_history:m1", "value_out_of_range"),
                       ("quality_metrics_history:m2", "value_out_of_range"),
                       ("quality_metrics_history:m3", "value_out_of_range"),
                       ("quality_metrics_history:m5", "bad_timestamp")]
    assert q.runs["run_id"].to_list() == ["cj_3"] and q.runs["execution_time"].to_list() == [None]
    assert q.runs["success"].to_list() == [False]
    assert q.points["source_ref"].to_list() == ["quality_metrics_history:m4"]


@pytest.mark.parametrize(
    "path, key",
    [
        ("/home/les/projects/acb", "acb"),
        ("/home/les/projects/acb/", "acb"),
        ("/home/les/projects/acb///", "acb"),
        ("/home/les//projects/acb", "acb"),
        ("~/projects/acb", "acb"),
        ("~les/projects/acb", "acb"),
        ("/home/les/projects/acb/./src/..", "acb"),
        ("C:\\Users\\les\\acb\\", "acb"),
        (".", "unknown"),
        ("./", "unknown"),
        ("", "unknown"),
        ("   ", "unknown"),
        (None, "unknown"),
        ("~", "unknown"),
        ("/", "unknown"),
        ("/tmp/tmpab12cd34", "unknown"),
        ("/private/var/folders/xy/T/tmp1", "unknown"),
        ("projects/acb", "acb"),
    ],
)
def test_project_key_rule(path, key):
    assert project_key(path) == key


def test_manifest_path_examples_and_known_roots():
    for path, key in MANIFEST["path_examples"].items():
        assert project_key(path) == key
    roots = {".": "fastblocks", "/home/les/work/acb": "acb-work"}
    assert project_key(".", roots) == "fastblocks"
    assert project_key("", roots) == "fastblocks"
    assert project_key("/home/les/work/acb/src/", roots) == "acb-work"
    assert project_key("/home/les/projects/acb", roots) == "acb"


def test_dot_metric_row_takes_project_of_an_absolute_result():
    class Read:
        available, notes = True, []
        results = pl.DataFrame({"id": ["cj_1"], "command": ["lint"], "exit_code": [0], "execution_time": [1.0],
                                "timestamp": ["2026-09-01T10:00:00+00:00"], "working_directory": ["/x/projects/acb/"]})
        metrics = pl.DataFrame({"id": ["m1"], "project_path": ["."], "metric_type": ["lint_score"],
                                "metric_value": [90.0], "timestamp": [None], "result_id": ["cj_1"]},
                               schema_overrides={"timestamp": pl.Utf8})
        test_results = progress_snapshots = pl.DataFrame()

    q = normalise(Read())
    assert q.points.row(0, named=True)["project"] == "acb"
    assert q.points["observed_at"].to_list() == [datetime(2026, 9, 1, 10, tzinfo=UTC)]  # the result's time
    assert q.counts["points_project_from_result"] == 1


def test_sample_dot_and_temp_rows_are_unknown(sample):
    read, q = sample
    dots = read.results.filter(pl.col("working_directory").is_in(["."]))["id"].to_list()
    assert dots and set(q.runs.filter(pl.col("run_id").is_in(dots))["project"]) == {"unknown"}
    variants = read.results.filter(pl.col("working_directory").str.contains("crackerjack"))["working_directory"].unique()
    assert len(variants) >= 3  # absolute, trailing slash, ~, duplicate slash...
    ids = read.results.filter(pl.col("working_directory").str.contains("/crackerjack"))["id"].to_list()
    assert set(q.runs.filter(pl.col("run_id").is_in(ids))["project"]) == {"crackerjack"}


def test_foreign_types_and_synthetic_rows_are_excluded(sample):
    read, q = sample
    assert set(q.points["metric"].unique()) <= {"build_status", "code_coverage", "lint_score", "security_score",
                                                 "complexity_score", "test_pass_rate"}
    assert not q.runs["command"].is_in(["<unavailable>"]).any()
    assert not q.runs["run_id"].str.starts_with("cj_unavailable_").any()
    assert not q.points["run_id"].str.starts_with("health_").any()
    assert set(q.counts["foreign_metric_types"]) == {"health_adapters", "health_managers", "health_services",
                                                     "unavailable", "parsed_quality"}
    assert q.counts["synthetic_results"] == read.results.filter(pl.col("command") == "<unavailable>").height > 0


def test_formula_era_marks_the_break(sample):
    _, q = sample
    cut = datetime(2026, 7, 27, tzinfo=UTC)
    assert formula_era("lint_score", datetime(2026, 7, 26, 23, 59, 59, tzinfo=UTC)) == "v1"
    assert formula_era("lint_score", cut) == "v2"
    assert formula_era("code_coverage", datetime(2026, 1, 1, tzinfo=UTC)) == "v2"
    v1 = q.points.filter(pl.col("formula_era") == "v1")
    assert set(v1["metric"].unique()) <= {"lint_score", "security_score", "complexity_score"}
    assert (v1["observed_at"] < cut).all()
    assert (q.points.filter(pl.col("formula_era") == "v2")["observed_at"] >= cut).any()
    # test_pass_rate stops at the change, it is v2 by definition
    assert (q.points.filter(pl.col("metric") == "test_pass_rate")["observed_at"] < cut).all()


def test_read_never_writes_the_source(tmp_path):
    before = _sha(DB)
    mtime = DB.stat().st_mtime_ns
    q1 = normalise(read_crackerjack(DB, tmp_path / "snap"))
    q2 = normalise(read_crackerjack(DB, tmp_path / "snap"))
    assert _sha(DB) == before and DB.stat().st_mtime_ns == mtime
    assert not list((tmp_path / "snap").iterdir())  # the copy is gone
    assert q1.runs.equals(q2.runs) and q1.points.equals(q2.points)  # idempotent


def test_missing_table_gives_a_note(tmp_path):
    db = tmp_path / "cj.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE crackerjack_results (id TEXT PRIMARY KEY, command TEXT NOT NULL, exit_code INTEGER, "
                 "execution_time REAL, timestamp TIMESTAMP, working_directory TEXT)")
    conn.execute("INSERT INTO crackerjack_results VALUES ('cj_1', 'lint', 0, 2.5, '2026-09-01T10:00:00+00:00', '.')")
    conn.commit()
    conn.close()
    read = read_crackerjack(db, tmp_path / "snap")
    assert read.available
    assert any("quality_metrics_history missing" in n for n in read.notes)
    q = normalise(read)
    assert q.runs.height == 1 and q.points.height == 0


def test_missing_and_corrupt_files_are_unavailable(tmp_path):
    missing = read_crackerjack(tmp_path / "nope.db", tmp_path / "snap")
    assert not missing.available and "not found" in missing.notes[0]
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a sqlite database" * 100)
    corrupt = read_crackerjack(bad, tmp_path / "snap")
    assert not corrupt.available and "cannot open" in corrupt.notes[0]
    assert normalise(corrupt).counts == {"available": False}


def test_sqlite_wal_is_read_from_the_copy(tmp_path):
    db = tmp_path / "cj.db"
    writer = sqlite3.connect(db)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE crackerjack_results (id TEXT PRIMARY KEY, command TEXT NOT NULL, exit_code INTEGER, "
                   "execution_time REAL, timestamp TIMESTAMP, working_directory TEXT)")
    writer.execute("INSERT INTO crackerjack_results VALUES ('cj_1', 'lint', 0, 2.5, '2026-09-01T10:00:00+00:00', '/p/acb')")
    writer.commit()  # held open: the row lives in cj.db-wal only
    try:
        read = read_crackerjack(db, tmp_path / "snap")
        assert read.results["id"].to_list() == ["cj_1"]
    finally:
        writer.close()


def test_sqlite_wal_travels_with_the_snapshot(tmp_path):
    """Rows committed to SQLite's -wal but not checkpointed are read; the original is not touched."""
    import sqlite3

    from sb_pipeline.sources.crackerjack_db import read_crackerjack

    db = tmp_path / "cj.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE crackerjack_results(id TEXT PRIMARY KEY, command TEXT NOT NULL, exit_code INTEGER, "
                 "execution_time REAL, timestamp TIMESTAMP, working_directory TEXT)")
    conn.execute("INSERT INTO crackerjack_results VALUES ('cj_1', 'test', 0, 1.5, '2026-11-01T10:00:00+00:00', '/p/acb')")
    conn.commit()  # kept open: the row lives only in cj.db-wal
    try:
        assert (tmp_path / "cj.db-wal").stat().st_size > 0
        read = read_crackerjack(db, tmp_path / "snap")
        assert read.available and read.results["id"].to_list() == ["cj_1"]
    finally:
        conn.close()
