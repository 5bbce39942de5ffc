"""`sb-pipeline status`: a table per store, exit 0 healthy / 1 unhealthy (named) / 2 usage, --json, never a write."""

import hashlib
import json
import shutil
import time

from typer.testing import CliRunner

from sb_pipeline_tests.conftest import SAMPLES, duckdb_held_open


def said(result) -> str:
    return " ".join(result.output.split())


def sha256s(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def status(*args: str):
    from sb_pipeline.cli import app

    return CliRunner().invoke(app, ["status", *args])


def test_status_on_the_samples_is_healthy_and_touches_nothing(workdir):
    before = sha256s(SAMPLES)
    out = status()
    assert out.exit_code == 0, out.output
    text = said(out)
    for name in ("reflection.duckdb", "knowledge_graph.duckdb", "crackerjack_integration.db", "interruption_manager.db",
                 "crackerjack_metrics.db", "warehouse.duckdb", "embedding model"):
        assert f"{name}: " in text, name
    assert "schema eras │ V1 (conversations, reflections)" in text and "all 3 tables are empty, as usual" in text
    assert "healthy: every store, the warehouse and the model" in text
    assert sha256s(SAMPLES) == before and not (workdir / "warehouse.duckdb").exists()


def test_status_json(workdir):
    out = status("--json")
    assert out.exit_code == 0
    report = json.loads(out.output)
    assert report["healthy"] and report["unhealthy"] == [] and report["model"]["checks"]["unit_vector"] is True
    stores = {s["role"]: s for s in report["stores"]}
    assert stores["interruption"]["empty"] and stores["interruption"]["total_rows"] == 0
    assert stores["crackerjack_metrics"]["engine"] == "sqlite" and stores["warehouse"]["warnings"] == ["not built yet"]
    assert report["warnings"] == ["warehouse.duckdb"]


def test_an_unhealthy_store_exits_1_and_is_named(workdir, monkeypatch):
    broken = workdir / "reflection.duckdb"
    broken.write_bytes((SAMPLES / "reflection.duckdb").read_bytes()[:5000])
    monkeypatch.setenv("SB_REFLECTION_DB", str(broken))
    monkeypatch.setenv("SB_SESSION_BUDDY_DIR", str(workdir / "sb"))
    out = status()
    assert out.exit_code == 1
    text = said(out)
    assert "UNHEALTHY: reflection.duckdb, sb" in text  # the configured Session Buddy folder does not exist either
    assert "restore it from a backup" in text and "Set SB_SESSION_BUDDY_DIR" in text
    assert json.loads(status("--json").output)["unhealthy"] == ["reflection.duckdb", "sb"]


def test_usage_errors_exit_2():
    assert status("--no-such-flag").exit_code == 2
    assert status("--lock-wait", "-1").exit_code == 2


def test_a_locked_source_is_said_to_be_locked_without_a_hang(workdir, monkeypatch):
    held = workdir / "knowledge_graph.duckdb"
    shutil.copy(SAMPLES / "knowledge_graph.duckdb", held)
    monkeypatch.setenv("SB_KNOWLEDGE_GRAPH_DB", str(held))
    with duckdb_held_open(held) as holder:
        started = time.monotonic()
        out = status("--lock-wait", "0.5", "--json")
        elapsed = time.monotonic() - started
    assert out.exit_code == 0 and elapsed < 15, elapsed
    kg = next(s for s in json.loads(out.output)["stores"] if s["role"] == "knowledge_graph")
    assert kg["locked"] and kg["lock_holder"].startswith(f"PID {holder.pid}") and kg["status"] == "warning"
    assert kg["total_rows"] == 336  # still read, from a private copy
