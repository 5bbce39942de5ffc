"""The layers in pyproject.toml ([tool.importlinter]) hold, and a blur of them fails this test.

Checked with import-linter on the package as it is, then on a copy with one planted upward import
(the quarantine helpers importing the CLI), which must break the layers contract."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT), "--config", str(root / "pyproject.toml"), "--no-cache"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_package_keeps_its_layers():
    out = _lint(REPO)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 kept, 0 broken" in out.stdout


def test_an_upward_import_breaks_the_layers(tmp_path):
    shutil.copytree(REPO / "sb_pipeline", tmp_path / "sb_pipeline", ignore=shutil.ignore_patterns("__pycache__", "labelled"))
    shutil.copyfile(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    planted = tmp_path / "sb_pipeline" / "records" / "quarantine.py"
    planted.write_text(planted.read_text() + "\nfrom sb_pipeline.cli import app  # noqa: planted\n")
    out = _lint(tmp_path)
    assert out.returncode != 0
    assert "sb_pipeline.records.quarantine -> sb_pipeline.cli" in out.stdout, out.stdout
