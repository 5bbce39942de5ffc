"""`sb-pipeline run` as a user starts it: every stage shown with its progress and counts, plain lines when
the output is not a terminal and a redrawing display when it is, and not one warning, ours or Dagster's.
One Dagster command (`dg launch --assets ...`) and `dg check defs` are quiet too."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sb_pipeline_tests.conftest import REPO

BIN = Path(sys.executable).parent
STEPS = ("raw_conversations", "conversation_chunks", "conversation_embeddings", "conversation_lexical_index", "kg_entities", "entity_embeddings",
         "discovered_relationships", "graph_connectivity", "crackerjack_source", "quality_trends", "quality_alerts",
         "quality_statistics", "quality_report", "source_health")
WARNING = re.compile(r"Warning\b|WARNING|warnings\.warn")


def _env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SB_", "DAGSTER_"))}
    env.update(SB_DATA_DIR=str(tmp_path / "data"), SB_WAREHOUSE=str(tmp_path / "warehouse.duckdb"), SB_CACHE_DIR=str(tmp_path / "cache"),
               SB_MODEL_DIR=str(REPO / "data" / "models"), DAGSTER_HOME=str(tmp_path / "home"), PYTHONWARNINGS="default")
    return env


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    env = _env(tmp)
    out = subprocess.run([str(BIN / "sb-pipeline"), "run"], cwd=tmp, env=env, capture_output=True, text=True, timeout=900)
    return tmp, env, out


@pytest.mark.slow
def test_a_piped_run_prints_each_stage_as_plain_lines(first_run):
    tmp, _, out = first_run
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    text = out.stdout
    for step in STEPS:
        assert re.search(rf"^\d\d:\d\d:\d\d {step}: started$", text, re.M), step
        assert re.search(rf"^\d\d:\d\d:\d\d {step}: done in [0-9.]+ s", text, re.M), step
    embedded = re.findall(r"conversation_embeddings: (\d+)/(\d+) texts, ([0-9.]+) texts/s", text)
    assert embedded and embedded[-1][0] == embedded[-1][1] == "218", embedded  # the samples' chunk texts, all of them
    assert re.search(r"raw_conversations: done in [0-9.]+ s: read 85, new 80, updated 0, rejected 11", text)
    assert "\x1b[" not in text, "no cursor movement when the output is not a terminal"
    assert "wrote " in text and (tmp / "home" / "dagster.yaml").is_file()  # the instance gets the project's config
    assert "conversations in warehouse" in text and "2 active (1 critical, 1 warning)" in text
    assert not WARNING.search(out.stdout + out.stderr), (out.stdout + out.stderr)[-3000:]


@pytest.mark.slow
def test_a_run_on_a_terminal_redraws_its_display(first_run):
    tmp, env, _ = first_run
    pid, fd = pty.fork()
    if pid == 0:  # the child: the CLI on a pseudo-terminal, as in a shell
        os.chdir(tmp)
        os.execve(str(BIN / "sb-pipeline"), [str(BIN / "sb-pipeline"), "run"], {**env, "TERM": "xterm", "COLUMNS": "120"})
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 0, screen[-3000:]
    assert "\x1b[" in screen  # rich redraws in place on a terminal
    for step in STEPS:
        assert step in screen, step
    assert "done in" in screen and not re.search(r"^\d\d:\d\d:\d\d raw_conversations: started$", screen, re.M)
    assert not WARNING.search(screen), screen[-3000:]


def test_dagster_commands_are_quiet(tmp_path):
    env = _env(tmp_path)
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "dagster.yaml").write_text((REPO / "data" / "dagster_home" / "dagster.yaml").read_text())
    check = subprocess.run([str(BIN / "dg"), "check", "defs"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert check.returncode == 0 and "All definitions loaded successfully" in check.stdout + check.stderr
    assert not WARNING.search(check.stdout + check.stderr), check.stdout + check.stderr
    run = subprocess.run([str(BIN / "dg"), "launch", "--assets", "kg_entities"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "RUN_SUCCESS" in run.stdout + run.stderr
    assert not WARNING.search(run.stdout + run.stderr), (run.stdout + run.stderr)[-3000:]
