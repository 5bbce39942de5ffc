"""What was happening when it broke (issue 13): every alert lists the same project's sessions around its change_at,
ranked by the project's search (real DuckDB warehouse, real model, real tantivy index), in the JSON, the markdown,
the HTML, the one-series story, and the report asset; a project without conversations says so.

The warehouse holds five conversations written here: three of session-buddy inside the window around the planted
lint drop (change_at 2026-11-13 11:25 UTC, window [-2 d, +1 d]), one of session-buddy a week earlier and one of
another project on the same day. The crackerjack coverage alert's project has no conversation at all.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import dagster as dg
import pytest
from typer.testing import CliRunner

from sb_pipeline.cli import app
from sb_pipeline.defs.quality.assets import crackerjack_source, quality_alerts, quality_report, quality_statistics, quality_trends
from sb_pipeline.defs.resources import EmbedderResource, QualityResource, WarehouseResource
from sb_pipeline.warehouse import connect, generations
from sb_pipeline.warehouse.lexical_index import sync
from sb_pipeline_tests.conftest import REPO, SAMPLES, materialization_metadata

AS_OF = "2026-11-20T00:00:00Z"
LINT_CHANGE = "2026-11-13T11:25:51.882000+00:00"  # the first degraded run of session-buddy lint_score (cj_1794569143050)
CONVERSATIONS = [  # id, project, started_at (UTC), content
    ("formatter", "session-buddy", "2026-11-12 10:00", "Switch the formatter to ruff format and enable more lint rules\n"
                                                       "We turned on ruff's B and S rule sets; the lint warnings went up a lot."),
    ("release", "session-buddy", "2026-11-13 09:00", "Release notes for next week\nWhich features go into the announcement."),
    ("parser", "session-buddy", "2026-11-13 15:00", "Parser edge cases\nThe tokenizer splits on unicode dashes."),
    ("older", "session-buddy", "2026-11-05 10:00", "ruff lint configuration for the whole repository"),
    ("elsewhere", "acme-api", "2026-11-13 10:00", "ruff lint warnings in acme-api after the upgrade"),
]
NO_VECTOR = "parser"  # ingested and chunked, not embedded yet: listed after the ranked ones


def hexid(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, embedder):
    folder = tmp_path_factory.mktemp("sessions")
    path, index = folder / "w.duckdb", folder / "w.duckdb.lexical"
    now = datetime(2026, 11, 20, tzinfo=timezone.utc)
    with connect(path) as conn:
        for cid, project, started, content in CONVERSATIONS:
            conn.execute("INSERT INTO conversations VALUES (?, 'inbox', ?, ?, 'conversation', ?, ?, ?, ?, ?, 0, NULL, ?, ?)",
                         [cid, cid, f"inbox/test.jsonl:{cid}", project, f"{started}+00", content, hexid(content), len(content), now, now])
            conn.execute("INSERT INTO conversation_chunks VALUES (?, ?, 0, ?, ?, ?, 0, ?)",
                         [hexid(cid), cid, content, hexid("t" + content), hexid(content), len(content)])
        embedded = [c for c in CONVERSATIONS if c[0] != NO_VECTOR]
        vectors = embedder.embed([c[3] for c in embedded])
        for (cid, _, _, content), vector in zip(embedded, vectors):
            conn.execute("INSERT INTO conversation_embeddings VALUES (?, ?, ?, ?)", [hexid("t" + content), embedder.model_id, vector.tolist(), now])
        for key in (generations.SEARCH, generations.CHUNKS):
            conn.execute(generations.renew(key))
        chunks = generations.current(conn, generations.CHUNKS)
    sync(lambda: connect(path, read_only=True), index, chunks)
    return path, index


def cli(monkeypatch, warehouse, *args):
    monkeypatch.setenv("SB_WAREHOUSE", str(warehouse[0]))
    monkeypatch.setenv("SB_LEXICAL_INDEX", str(warehouse[1]))
    out = CliRunner().invoke(app, ["quality-report", "--db-path", str(SAMPLES / "crackerjack_integration.db"), "--as-of", AS_OF, *args])
    assert out.exit_code == 0, out.output
    return out.output


def test_each_alert_lists_the_projects_sessions_around_its_change(monkeypatch, warehouse):
    report = json.loads(cli(monkeypatch, warehouse, "--format", "json"))
    alerts = {(a["project"], a["metric_type"]): a for a in report["quality_alerts"]}
    lint = alerts[("session-buddy", "lint_score")]
    assert lint["change_at"] == LINT_CHANGE and lint["change_run_id"] == "cj_1794569143050"
    context = lint["sessions"]
    assert context == lint["evidence"]["sessions"]
    assert context["window"] == ["2026-11-11T11:25:51.882000+00:00", "2026-11-14T11:25:51.882000+00:00"]
    assert context["project_conversations"] == 4 and context["notice"] is None
    assert [s["conversation_id"] for s in context["sessions"]] == ["formatter", "release", "parser"]  # lint words first
    first = context["sessions"][0]
    assert first["title"].startswith("Switch the formatter") and first["source_ref"] == "inbox/test.jsonl:formatter"
    assert "ruff" in first["snippet"].lower() and first["started_at"] == "2026-11-12T10:00:00+00:00" and first["score"] > 0
    assert context["sessions"][2]["score"] is None  # no vector yet: listed, not ranked
    coverage = alerts[("crackerjack", "code_coverage")]["sessions"]
    assert coverage["project_conversations"] == 0 and coverage["sessions"] == []


def test_markdown_and_html_say_what_was_happening(monkeypatch, warehouse, tmp_path):
    md = cli(monkeypatch, warehouse, "--format", "markdown")
    assert ("lint_score in session-buddy fell 31 % from 2026-11-13; in the 3 days around it: "
            "'Switch the formatter to ruff format and enable more lint rules' (3 sessions)") in md
    assert "`inbox/test.jsonl:formatter`" in md
    assert "code_coverage in crackerjack fell 14 % from 2026-11-13; no conversations for project crackerjack in the warehouse" in md
    page = cli(monkeypatch, warehouse, "--format", "html", "--output", str(tmp_path / "d.html")) and (tmp_path / "d.html").read_text()
    assert "Switch the formatter" in page and "no conversations for project crackerjack" in page
    assert page.count("level before") >= 2  # both alerting charts mark their change point


def test_the_story_of_one_series(monkeypatch, warehouse):
    story = json.loads(cli(monkeypatch, warehouse, "--project", "session-buddy", "--metric", "lint_score", "--format", "json"))
    change = story["change_point"]
    assert (change["direction"], change["change_at"], change["change_run_id"]) == ("drop", LINT_CHANGE, "cj_1794569143050")
    assert story["verdict"] == "alert: critical" and story["alert"]["status"] == "new"
    assert (change["runs_before"], change["runs_after"]) == (25, 12) and len(story["points"]) == 37
    test = story["test"]  # 37 runs: at or above NOISE_MAX pooled runs the rank test alone judges
    assert test["p_value"] <= 0.01 and test["judged_by"] == "rank" and test["p_value"] == test["rank_p"]
    assert change["change_ci_pct"][0] < change["change_percentage"] < change["change_ci_pct"][1]
    assert [s["conversation_id"] for s in story["sessions"]["sessions"]] == ["formatter", "release", "parser"]
    quiet = json.loads(cli(monkeypatch, warehouse, "--project", "splashstand", "--metric", "lint_score", "--format", "json"))
    assert quiet["alert"] is None and not quiet["verdict"].startswith("alert")  # the single bad run
    md = cli(monkeypatch, warehouse, "--project", "session-buddy", "--metric", "lint_score")
    assert "**Verdict:** alert: critical" in md and "first degraded run `cj_1794569143050`" in md and "| observed_at |" in md


def test_without_a_warehouse_the_report_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("SB_WAREHOUSE", str(tmp_path / "none.duckdb"))
    out = CliRunner().invoke(app, ["quality-report", "--db-path", str(SAMPLES / "crackerjack_integration.db"), "--as-of", AS_OF])
    assert out.exit_code == 0 and f"no warehouse at {tmp_path / 'none.duckdb'}" in out.output


def test_the_report_asset_attaches_the_sessions(warehouse, tmp_path):
    resources = {"warehouse": WarehouseResource(database=str(warehouse[0]), lexical_index=str(warehouse[1])),
                 "quality": QualityResource(crackerjack_db=str(SAMPLES / "crackerjack_integration.db"), snapshot_dir=str(tmp_path / "s"),
                                            reports_dir=str(tmp_path / "reports"), as_of=AS_OF),
                 "embedder": EmbedderResource(model_dir=str(REPO / "data" / "models"))}
    result = dg.materialize([crackerjack_source, quality_trends, quality_alerts, quality_statistics, quality_report],
                            resources=resources, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    meta = materialization_metadata(result, "quality_report")
    assert meta["alerts"] == 2 and meta["alerts_with_sessions"] == 1
    report = json.loads((tmp_path / "reports" / "quality-2026-11-20.json").read_text())
    lint = next(a for a in report["quality_alerts"] if a["metric_type"] == "lint_score")
    assert lint["sessions"]["sessions"][0]["conversation_id"] == "formatter"
    alerts_meta = materialization_metadata(result, "quality_alerts")["alerts"]
    assert "since 2026-11-13" in alerts_meta and "25 runs before / 12 after" in alerts_meta
