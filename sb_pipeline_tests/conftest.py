"""Shared fixtures. Every test gets a clean `SB_*` environment, so one test's configuration
never leaks into another; the model cache under data/models is shared (it is a cache)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sb_pipeline import settings

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "data" / "samples"


def bench_module(name: str):
    """A module of bench/ (not a package: its scripts run as `python bench/x.py`), for tests of the baselines
    the benchmarks compare with."""
    import importlib

    if str(REPO / "bench") not in sys.path:
        sys.path.insert(0, str(REPO / "bench"))
    return importlib.import_module(name)


def _sample_digests() -> dict[str, str]:
    import hashlib

    return {p.relative_to(SAMPLES).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(SAMPLES.rglob("*")) if p.is_file()}


@pytest.fixture(autouse=True, scope="session")
def samples_never_change():
    """Every test that reads the shipped samples reads them as a user's files are read: never written.
    Checked once over the whole session (sha256 of every file), so no test can slip a write through."""
    before = _sample_digests()
    yield
    after = _sample_digests()
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    assert not changed, f"tests changed the shipped samples: {changed}"


@pytest.fixture(autouse=True)
def clean_sb_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("SB_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SB_MODEL_DIR", str(settings.project_root() / "data" / "models"))
    monkeypatch.setenv("SB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DAGSTER_DISABLE_TELEMETRY", "1")
    monkeypatch.chdir(REPO)  # no stray .env from elsewhere


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """A private warehouse and snapshot folder; sources default to the committed samples."""
    monkeypatch.setenv("SB_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("SB_SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    return tmp_path


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    """A writable copy of the samples for tests that add files."""
    target = tmp_path / "samples"
    shutil.copytree(SAMPLES, target)
    return target


@pytest.fixture(scope="session")
def embedder():
    from sb_pipeline.embedding import load_embedder

    return load_embedder(model_dir=REPO / "data" / "models")


@pytest.fixture(scope="session")
def tokenizer():
    from sb_pipeline.embedding import load_tokenizer

    return load_tokenizer()


@contextlib.contextmanager
def duckdb_held_open(path: Path):
    """Another process holds `path` open read-write, as a running Session Buddy server or a pipeline
    run does; DuckDB then refuses every other process. Released when the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); sys.stdin.readline()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.communicate("done\n", timeout=30)


def materialization_metadata(result, asset: str) -> dict:
    """The metadata values of the one materialization of `asset` in a run result."""
    (mat,) = result.asset_materializations_for_node(asset)
    return {k: v.value for k, v in mat.metadata.items()}


def check_outcomes(result) -> dict[str, bool]:
    return {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data.passed
            for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}


def warehouse_rows(path: Path, sql: str, params=None) -> list[tuple]:
    """Query a warehouse file read-only with a connection that is always closed."""
    import duckdb

    conn = duckdb.connect(str(path), read_only=True)
    try:
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()
