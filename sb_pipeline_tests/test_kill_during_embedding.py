"""SIGKILL in the middle of embedding, then run again: nothing half-written, nothing twice, nothing missing.

The conversation flow runs as a user would start it from a shell (`dg launch --assets ...`, the
multiprocess executor, a process per step), on an inbox large enough for three embedding groups. As
soon as the first group is committed, the whole process group is killed with SIGKILL (no cleanup
handler runs). The killed run still holds the warehouse's pool slot in Dagster's storage; `sb-pipeline
run` finds it abandoned, frees the slot and runs everything to the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from sb_pipeline.definitions import defs
from sb_pipeline_tests.conftest import REPO, SAMPLES

pytestmark = pytest.mark.slow  # two real runs in subprocesses, about a minute

EMBED_GROUP_SIZE = 1024  # conversation_embeddings writes groups of 1,024 texts, each its own transaction (README)
POOL = "duckdb_write"

TOPICS = ["retry the flaky upload", "pin the lockfile", "index the audit table", "cache the token", "split the worker queue",
          "rotate the logs", "profile the slow endpoint", "migrate the settings", "batch the webhook calls", "trim the docker image"]


def write_inbox(folder: Path, items: int) -> None:
    folder.mkdir(parents=True)
    with (folder / "notes.jsonl").open("w") as out:
        for i in range(items):
            text = f"Note {i}: we decided to {TOPICS[i % len(TOPICS)]} in service {i // 10} after incident {i * 7919 % 10007}."
            out.write(json.dumps({"id": f"note-{i}", "project": f"svc-{i % 13}", "content": text}) + "\n")


def materialize(env: dict, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "dg"), "launch", "--target-path", str(REPO),
         "--assets", "raw_conversations,conversation_chunks,conversation_embeddings"],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def digest(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_sigkill_while_embedding_then_rerun(tmp_path):
    inbox = tmp_path / "inbox"
    write_inbox(inbox, 2 * EMBED_GROUP_SIZE + 500)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO / "data" / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    warehouse = tmp_path / "warehouse.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SB_", "DAGSTER_"))}
    env.update(DAGSTER_HOME=str(home), DAGSTER_DISABLE_TELEMETRY="1", PYTHONUNBUFFERED="1", SB_DATA_DIR=str(tmp_path / "data"),
               SB_WAREHOUSE=str(warehouse),
               SB_MODEL_DIR=str(REPO / "data" / "models"), SB_SNAPSHOT_DIR=str(tmp_path / "snap"), SB_INBOX_DIR=str(inbox),
               SB_REFLECTION_DB=str(SAMPLES / "reflection.duckdb"), SB_TRANSCRIPTS_DIR=str(SAMPLES / "transcripts"))
    sources_before = {**digest(SAMPLES), **{f"inbox/{k}": v for k, v in digest(inbox).items()}}

    first = materialize(env, tmp_path)
    watchdog = threading.Timer(300, os.killpg, (first.pid, signal.SIGKILL))  # a hang must not outlive the test
    watchdog.start()
    seen = []
    try:
        for line in first.stdout:  # read until the first group is committed and logged
            seen.append(line)
            if f"progress conversation_embeddings: {EMBED_GROUP_SIZE}/" in line:
                os.killpg(first.pid, signal.SIGKILL)
                break
    finally:
        watchdog.cancel()
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    assert any(f"progress conversation_embeddings: {EMBED_GROUP_SIZE}/" in line for line in seen), "not killed while embedding:\n" + "".join(seen[-30:])
    assert first.returncode == -signal.SIGKILL

    conn = duckdb.connect(str(warehouse), read_only=True)  # it opens: DuckDB replays or discards its WAL
    try:
        kept = conn.execute("SELECT count(*) FROM conversation_embeddings").fetchone()[0]
        texts = conn.execute("SELECT count(DISTINCT text_hash) FROM conversation_chunks").fetchone()[0]
    finally:
        conn.close()
    assert texts > 2 * EMBED_GROUP_SIZE
    assert kept % EMBED_GROUP_SIZE == 0 and EMBED_GROUP_SIZE <= kept < texts, f"{kept} vectors: a half-written group is visible"

    # Under `dagster dev`, abandoned_runs_sensor does what `sb-pipeline run` does below (tried on a copy).
    copy = tmp_path / "dagster_home_copy"
    shutil.copytree(home, copy)
    (copy / "dagster.yaml").write_text((home / "dagster.yaml").read_text())
    abandoned_runs_sensor = defs().resolve_sensor_def("abandoned_runs_sensor")
    with dg.DagsterInstance.from_config(str(copy)) as instance:
        storage = instance.event_log_storage
        (killed,) = instance.get_runs()
        assert killed.status == dg.DagsterRunStatus.STARTED  # Dagster never learnt that it died
        assert storage.get_concurrency_run_ids() == {killed.run_id}, "the killed run holds the write pool"
        held = storage.get_concurrency_info(POOL)
        assert [(slot.run_id, slot.step_key) for slot in held.claimed_slots] == [(killed.run_id, "conversation_embeddings")]

        verdict = abandoned_runs_sensor(dg.build_sensor_context(instance=instance))
        assert isinstance(verdict, dg.SkipReason)  # it launches nothing, it only tidies Dagster's storage
        assert re.fullmatch(rf"marked failed and freed the pool slots of {killed.run_id} \({re.escape(killed.job_name)}, "
                            r"processes \[\d+(, \d+)*\] gone\)", verdict.skip_message), verdict.skip_message
        assert storage.get_concurrency_run_ids() == set()
        freed = storage.get_concurrency_info(POOL)
        assert freed.claimed_slots == [] and freed.pending_steps == [], "no slot of the write pool is held any more"
        (failed,) = instance.get_runs()
        assert (failed.run_id, failed.status) == (killed.run_id, dg.DagsterRunStatus.FAILURE)

        again = abandoned_runs_sensor(dg.build_sensor_context(instance=instance))  # recovered: nothing left to free
        assert isinstance(again, dg.SkipReason) and again.skip_message == "no abandoned run holds a pool slot"
        assert storage.get_concurrency_run_ids() == set() and storage.get_concurrency_info(POOL).claimed_slots == []
        assert [r.status for r in instance.get_runs()] == [dg.DagsterRunStatus.FAILURE]

    second = subprocess.run([str(Path(sys.executable).parent / "sb-pipeline"), "run"], cwd=tmp_path, env={**env, "COLUMNS": "200"},
                            capture_output=True, text=True, timeout=600)
    output = second.stdout + second.stderr
    assert second.returncode == 0, output[-3000:]
    assert "was killed" in output and "pool slots freed" in output, output[-3000:]
    embedded = re.search(r"chunks embedded this run\W+(\d+)", output)
    assert embedded and int(embedded.group(1)) == texts - kept, "the re-run embeds exactly what the killed run had not committed"

    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        vectors, distinct = conn.execute("SELECT count(*), count(DISTINCT (text_hash, model_id)) FROM conversation_embeddings").fetchone()
        missing = conn.execute("""SELECT count(*) FROM conversation_chunks c WHERE NOT EXISTS
                                  (SELECT 1 FROM conversation_embeddings e WHERE e.text_hash = c.text_hash)""").fetchone()[0]
        conversations, ids = conn.execute("SELECT count(*), count(DISTINCT conversation_id) FROM conversations").fetchone()
        notes = conn.execute("SELECT count(*) FROM conversations WHERE source = 'inbox'").fetchone()[0]
    finally:
        conn.close()
    assert vectors == distinct == texts and missing == 0, "every chunk text embedded exactly once"
    assert conversations == ids and notes == 2 * EMBED_GROUP_SIZE + 500
    assert {**digest(SAMPLES), **{f"inbox/{k}": v for k, v in digest(inbox).items()}} == sources_before
