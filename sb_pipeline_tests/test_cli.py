"""The CLI says plainly when the warehouse is missing or busy, and never touches it for writing."""

from typer.testing import CliRunner

from sb_pipeline.cli import app
from sb_pipeline.warehouse import connect
from sb_pipeline_tests.conftest import duckdb_held_open


def said(result) -> str:
    """The CLI's output as one line (rich wraps long messages to the terminal width)."""
    return " ".join(result.output.split())


def test_search_and_stats_without_a_warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv("SB_WAREHOUSE", str(tmp_path / "absent.duckdb"))
    for args in (["search", "anything"], ["stats"]):
        out = CliRunner().invoke(app, args)
        assert out.exit_code == 2
        assert "no warehouse at" in said(out) and "make run" in said(out)
    assert not (tmp_path / "absent.duckdb").exists()


def test_search_while_a_run_holds_the_warehouse(tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    with connect(path):
        pass
    monkeypatch.setenv("SB_WAREHOUSE", str(path))
    with duckdb_held_open(path):
        out = CliRunner().invoke(app, ["search", "duckdb lock"])
    assert out.exit_code == 2
    assert "in use by another process" in said(out)


def test_search_on_an_empty_warehouse_says_so(tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    with connect(path):
        pass
    monkeypatch.setenv("SB_WAREHOUSE", str(path))
    out = CliRunner().invoke(app, ["search", "duckdb lock"])
    assert out.exit_code == 0 and "No embedded conversations yet" in said(out)
