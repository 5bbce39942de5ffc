"""A `.env` file in the working directory configures `sb-pipeline`, as `.env.example` says; a variable
already set in the environment wins over the file.

The CLI runs as a user runs it: `.venv/bin/sb-pipeline` in a fresh process, started in a folder holding
the `.env`, with no SB_* variable set except the shared model cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sb_pipeline_tests.conftest import REPO

SB_PIPELINE = str(Path(sys.executable).parent / "sb-pipeline")


def run_cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SB_", "DAGSTER_"))}
    base.update(SB_MODEL_DIR=str(REPO / "data" / "models"), DAGSTER_DISABLE_TELEMETRY="1", COLUMNS="400", **env)
    return subprocess.run([SB_PIPELINE, *args], cwd=cwd, env=base, capture_output=True, text=True, timeout=120)


def squeezed(out: subprocess.CompletedProcess) -> str:
    return "".join((out.stdout + out.stderr).split())


def test_dotenv_in_the_working_directory_points_stats_at_its_warehouse(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    wanted = tmp_path / "from-dotenv" / "warehouse.duckdb"
    (project / ".env").write_text(f"# my settings\nSB_WAREHOUSE={wanted}\nSB_CACHE_DIR={tmp_path / 'cache'}\n")
    out = run_cli(project, "stats")
    assert out.returncode == 2, out.stdout + out.stderr
    assert f"nowarehouseat{wanted}:run`makerun`" in squeezed(out)
    assert not wanted.exists() and not wanted.parent.exists(), "stats only reads: it never creates the warehouse"
    # without the file, the same command looks where the embedded default points (data/warehouse.duckdb
    # under SB_DATA_DIR), so it was the file that decided
    (project / ".env").unlink()
    default = run_cli(project, "stats", SB_DATA_DIR=str(tmp_path / "data"), SB_CACHE_DIR=str(tmp_path / "cache"))
    assert default.returncode == 2 and f"nowarehouseat{tmp_path / 'data' / 'warehouse.duckdb'}:" in squeezed(default)


def test_the_environment_wins_over_dotenv(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    in_file = tmp_path / "from-dotenv" / "warehouse.duckdb"
    in_env = tmp_path / "from-env" / "warehouse.duckdb"
    (project / ".env").write_text(f"SB_WAREHOUSE={in_file}\nSB_CACHE_DIR={tmp_path / 'cache'}\n")
    out = run_cli(project, "stats", SB_WAREHOUSE=str(in_env))
    assert out.returncode == 2, out.stdout + out.stderr
    assert f"nowarehouseat{in_env}:" in squeezed(out) and str(in_file) not in out.stdout + out.stderr


def test_dotenv_paths_may_start_with_a_tilde(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    (project / ".env").write_text("SB_WAREHOUSE=~/sb/warehouse.duckdb\n")
    out = run_cli(project, "graph", "--json", HOME=str(home))
    assert out.returncode == 2 and f"nowarehouseat{home / 'sb' / 'warehouse.duckdb'}:" in squeezed(out), out.stdout + out.stderr
