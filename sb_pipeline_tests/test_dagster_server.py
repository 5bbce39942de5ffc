"""The pipeline on a real `dagster dev` (webserver and daemon), driven over GraphQL as the UI drives it.

One server serves the whole module, started with a temporary DAGSTER_HOME and a copy of the samples;
the tests run in order: what is listed, two materializations of everything launched at the same
moment (while the source sensors' first runs and the automation sensor are in flight), a transcript
dropped into the watched folder and embedded by the sensor's run, and a clean stop. The browser test
(test_dagster_ui.py) uses the same server. Every wait is bounded and names what it waited for.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from sb_pipeline_tests.dagster_server import FINISHED, REPOSITORY, start_dagster_dev
from sb_pipeline_tests.dagster_ui import check_the_ui

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def dagster_dev():
    """Its folder is outside pytest's numbered temp dirs, which another pytest session on the same machine
    prunes (keeping three) and would delete under a server that runs for minutes."""
    root = Path(tempfile.mkdtemp(prefix="sb-dagster-dev-"))
    server = start_dagster_dev(root)
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)

LISTING = """query($r: RepositorySelector!) {
  sensorsOrError(repositorySelector: $r) { ... on Sensors { results { name sensorState { status } } } }
  schedulesOrError(repositorySelector: $r) { ... on Schedules { results { name cronSchedule scheduleState { status } } } }
  assetNodes { assetKey { path } groupName assetChecksOrError { ... on AssetChecks { checks { name } } } }
}"""
LAUNCH = """mutation($p: ExecutionParams!) { launchPipelineExecution(executionParams: $p) { __typename
  ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } ... on InvalidSubsetError { message }
  ... on RunConfigValidationInvalid { errors { message } } } }"""
RUNS = """query($f: RunsFilter) { runsOrError(filter: $f) { ... on Runs { results {
  runId status jobName creationTime startTime endTime tags { key value } } } } }"""
LATEST = """query($k: AssetKeyInput!) { assetOrError(assetKey: $k) { ... on Asset { assetMaterializations(limit: 1) {
  runId timestamp metadataEntries { label ... on IntMetadataEntry { intValue } ... on FloatMetadataEntry { floatValue }
  ... on TextMetadataEntry { text } } } } } }"""


def expected_definitions():
    """What the code defines, loaded here the way the server loads it."""
    from sb_pipeline.definitions import defs

    repo = defs().get_repository_def()
    assets = {key.to_user_string() for key in repo.asset_graph.get_all_asset_keys()}
    checks = {key.name for key in repo.asset_graph.asset_check_keys}
    return assets, checks, {s.name for s in repo.sensor_defs}, {s.name: s.cron_schedule for s in repo.schedule_defs}


def runs(server, **filters) -> list[dict]:
    return server.graphql(RUNS, {"f": filters or None})["runsOrError"]["results"]


def latest_materialization(server, asset: str) -> dict | None:
    found = server.graphql(LATEST, {"k": {"path": [asset]}})["assetOrError"]["assetMaterializations"]
    if not found:
        return None
    event = found[0]
    values = {e["label"]: e.get("intValue", e.get("floatValue", e.get("text"))) for e in event["metadataEntries"]}
    return {"run_id": event["runId"], "timestamp": int(event["timestamp"]) / 1000, "metadata": values}


def launch_everything(server, tag: str) -> str:
    nodes = server.graphql(LISTING, {"r": REPOSITORY})["assetNodes"]
    selector = {**REPOSITORY, "pipelineName": "__ASSET_JOB",
                "assetSelection": [{"path": n["assetKey"]["path"]} for n in nodes],
                "assetCheckSelection": [{"assetKey": {"path": n["assetKey"]["path"]}, "name": c["name"]}
                                        for n in nodes for c in n["assetChecksOrError"]["checks"]]}
    params = {"selector": selector, "mode": "default", "executionMetadata": {"tags": [{"key": "sb/test", "value": tag}]}}
    result = server.graphql(LAUNCH, {"p": params})["launchPipelineExecution"]
    assert result["__typename"] == "LaunchRunSuccess", result
    return result["run"]["runId"]


def wait_until_idle(server, timeout: float) -> list[dict]:
    """Every run finished (sensors and automation may have queued more meanwhile)."""
    def idle():
        everything = runs(server)
        return everything if everything and all(r["status"] in FINISHED for r in everything) else None
    return server.wait_for("every run to finish", idle, timeout=timeout, interval=3)


def test_every_asset_check_schedule_and_sensor_is_listed_and_running(dagster_dev):
    assets, checks, sensors, schedules = expected_definitions()
    listing = dagster_dev.graphql(LISTING, {"r": REPOSITORY})
    nodes = listing["assetNodes"]
    assert {"/".join(n["assetKey"]["path"]) for n in nodes} == assets
    assert {c["name"] for n in nodes for c in n["assetChecksOrError"]["checks"]} == checks
    assert {n["groupName"] for n in nodes} >= {"conversations", "knowledge_graph", "quality"}
    listed_sensors = {s["name"]: s["sensorState"]["status"] for s in listing["sensorsOrError"]["results"]}
    assert listed_sensors == {name: "RUNNING" for name in sensors}
    assert {"sb_automation", "new_conversations_sensor", "new_crackerjack_runs_sensor", "embedding_backfill_sensor"} <= set(listed_sensors)
    listed_schedules = listing["schedulesOrError"]["results"]
    assert {s["name"]: s["cronSchedule"] for s in listed_schedules} == schedules == {"weekly_refresh_schedule": "0 9 * * 1"}
    assert all(s["scheduleState"]["status"] == "RUNNING" for s in listed_schedules)


def test_two_materializations_of_everything_launched_together_both_succeed(dagster_dev):
    first, second = launch_everything(dagster_dev, "first"), launch_everything(dagster_dev, "second")
    finished = {r["runId"]: r for r in wait_until_idle(dagster_dev, timeout=900)}
    assert finished[first]["status"] == finished[second]["status"] == "SUCCESS", dagster_dev.log_tail()
    failed = [r for r in finished.values() if r["status"] != "SUCCESS"]
    assert not failed, f"runs that did not succeed (sensor, automation or ours): {failed}"
    log = dagster_dev.log.read_text(errors="replace")
    assert "Step blocked by limit for pool duckdb_write" in log, "the two runs never contended for the write pool"
    assert "Could not set lock" not in log and "Conflicting lock" not in log
    starts = re.findall(rf"__ASSET_JOB - {first} - (\d+) - (\S+) - STEP_START", log)
    assert len(starts) >= 15 and len({pid for pid, _ in starts}) == len(starts), "the multiprocess executor: a process per step"
    assets, _, _, _ = expected_definitions()
    for asset in assets:
        assert latest_materialization(dagster_dev, asset) is not None, f"{asset} was never materialized"
    manifest = json.loads((Path(dagster_dev.env["SB_REFLECTION_DB"]).parent / "MANIFEST.json").read_text())
    raw = latest_materialization(dagster_dev, "raw_conversations")["metadata"]
    assert raw["new"] + raw["updated"] + raw["unchanged"] == sum(c["kept"] for c in manifest["counts"].values())
    embeddings = latest_materialization(dagster_dev, "conversation_embeddings")["metadata"]
    assert embeddings["chunk_coverage_pct"] == 100.0 and embeddings["model_id"].startswith("all-MiniLM-L6-v2/")
    assert latest_materialization(dagster_dev, "quality_report")["metadata"]["alerts"] == 2


NEW_SESSION_PHRASE = "the flamingo scheduler deadlocks when two cron triggers share a mutex in the billing worker"


def write_transcript(folder: Path) -> str:
    """A small Claude Code session in the real transcript format, with a phrase nothing else contains."""
    session = str(uuid.uuid4())
    lines, parent = [], None
    turns = [("user", f"Why does {NEW_SESSION_PHRASE}? It hangs every Monday at nine."),
             ("assistant", "Both triggers take the mutex in a different order; take the locks in one global order and add a timeout."),
             ("user", "Ordering the locks fixed the flamingo scheduler deadlock, thanks.")]
    for i, (role, text) in enumerate(turns):
        line_id = str(uuid.uuid4())
        content = text if role == "user" else [{"type": "text", "text": text}]
        lines.append(json.dumps({"parentUuid": parent, "isSidechain": False, "userType": "external", "cwd": "/home/dev/projects/billing",
                                 "sessionId": session, "version": "2.1.3", "type": role, "uuid": line_id,
                                 "message": {"role": role, "content": content}, "timestamp": f"2026-11-23T10:0{i}:00.000Z"}))
        parent = line_id
    target = folder / "-home-dev-projects-billing"
    target.mkdir(exist_ok=True)
    (target / f"{session}.jsonl").write_text("\n".join(lines) + "\n")
    return session


def search_cli(server, query: str) -> dict | None:
    """`sb-pipeline search --json` against the server's warehouse; None while a run holds it."""
    done = subprocess.run([str(Path(sys.executable).parent / "sb-pipeline"), "search", query, "--json", "--limit", "3"],
                          env=server.env, capture_output=True, text=True, timeout=120)
    return json.loads(done.stdout) if done.returncode == 0 else None


def test_a_dropped_transcript_is_embedded_by_the_sensor_run(dagster_dev):
    before = {r["runId"] for r in runs(dagster_dev, tags=[{"key": "dagster/sensor_name", "value": "new_conversations_sensor"}])}
    dropped_at = time.time()
    write_transcript(Path(dagster_dev.env["SB_TRANSCRIPTS_DIR"]))

    def sensor_run_succeeded():
        found = [r for r in runs(dagster_dev, tags=[{"key": "dagster/sensor_name", "value": "new_conversations_sensor"}])
                 if r["runId"] not in before]
        assert not [r for r in found if r["status"] in ("FAILURE", "CANCELED")], f"the sensor's run failed: {found}"
        return next((r for r in found if r["status"] == "SUCCESS"), None)

    sensor_run = dagster_dev.wait_for("new_conversations_sensor to launch a run for the new transcript and for it to succeed",
                                      sensor_run_succeeded, timeout=300, interval=3)
    assert sensor_run["creationTime"] >= dropped_at - 1

    def embedded_after_sensor_run():
        latest = latest_materialization(dagster_dev, "conversation_embeddings")
        return latest if latest and latest["timestamp"] > sensor_run["startTime"] and latest["metadata"]["embedded"] >= 1 else None

    latest = dagster_dev.wait_for("automation to embed the new transcript's chunks after the sensor's run",
                                  embedded_after_sensor_run, timeout=300, interval=3)
    assert latest["metadata"]["chunk_coverage_pct"] == 100.0
    finished = wait_until_idle(dagster_dev, timeout=300)
    assert all(r["status"] == "SUCCESS" for r in finished), [r for r in finished if r["status"] != "SUCCESS"]
    found = dagster_dev.wait_for("the search CLI to read the warehouse", lambda: search_cli(dagster_dev, NEW_SESSION_PHRASE),
                                 timeout=120, interval=5)
    top = found["results"][0]
    assert top["project"] == "billing" and top["source"] == "transcript" and top["score"] > 0.6, found


def test_the_ui_shows_the_asset_graph_and_the_quality_report(dagster_dev, tmp_path):
    groups = {}
    for node in dagster_dev.graphql(LISTING, {"r": REPOSITORY})["assetNodes"]:
        groups.setdefault(node["groupName"], []).append("/".join(node["assetKey"]["path"]))
    report = latest_materialization(dagster_dev, "quality_report")["metadata"]
    shots = check_the_ui(dagster_dev.url, groups, report, tmp_path)
    assert all(shot.stat().st_size > 20_000 for shot in shots), shots


def test_the_server_stops_cleanly_on_ctrl_c(dagster_dev):
    started = time.monotonic()
    assert dagster_dev.stop(timeout=60) == 0, dagster_dev.log_tail()
    assert time.monotonic() - started < 60

    deadline = time.monotonic() + 30  # its children (daemon, code server, run workers) may take a moment more
    while True:
        try:
            os.killpg(dagster_dev.process.pid, 0)
        except ProcessLookupError:
            break  # nothing of the server's process group is left
        listing = subprocess.run(["ps", "-eo", "pid,pgid,stat,etime,args"], capture_output=True, text=True).stdout.splitlines()
        left = "\n".join(line for line in listing if line.split()[1:2] == [str(dagster_dev.process.pid)])
        assert time.monotonic() < deadline, f"processes left 30 s after the server stopped:\n{left}"
        time.sleep(0.5)
