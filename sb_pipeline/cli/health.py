"""`sb-pipeline status [--json]`: the truth about every store, the warehouse and the embedding model.

Exit 0 when everything is healthy, 1 when something is unhealthy (named on the last line), 2 on a usage
error (typer's own). Nothing is written: sources are read from private copies, the warehouse read-only.
"""

from __future__ import annotations

import json
import sys

import typer
from rich.table import Table

from sb_pipeline import settings
from sb_pipeline.cli._app import app, console

_STYLES = {"ok": "green", "warning": "yellow", "unhealthy": "bold red"}
_KINDS = {"problem": "[bold red]✗[/bold red]", "warning": "[yellow]![/yellow]", "note": "·", "fix": "[cyan]→[/cyan]"}


def _overview(report) -> Table:
    """One line per store, narrow enough for 80 columns; size, path and the rest are in each store's table."""
    from rich import box

    from sb_pipeline.health.render import ENGINES

    table = Table(title="sb-pipeline status", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
                  pad_edge=False, padding=(0, 0))
    for col in ("store", "status", "engine", "tables", "rows", "newest (UTC)"):
        table.add_column(col, no_wrap=True)
    for s in report.stores:
        state = f"[{_STYLES[s.status]}]{s.status}[/]" + (", locked" if s.locked else "") + (", phantom" if s.phantom else "")
        table.add_row(s.name, state, ENGINES.get(s.engine or "", "-") if s.found else "missing",
                      str(len(s.tables)) if s.readable else "-", str(s.total_rows) if s.readable else "-",
                      f"{s.newest:%Y-%m-%d %H:%M}" if s.newest else "-")
    m = report.model
    table.add_row("embedding model", f"[{_STYLES[m.status]}]{m.status}[/]", "ONNX", "-", "-", "-")
    return table


def _details(title: str, status: str, rows: list[tuple[str, str]], findings: list[tuple[str, str]], tables=()) -> None:
    table = Table(title=f"{title}: [{_STYLES[status]}]{status}[/]", title_justify="left", show_header=False)
    table.add_column("", style="bold", no_wrap=True)
    table.add_column("", overflow="fold")
    for key, value in rows:
        table.add_row(key, value)
    for t in tables:
        vectors = "" if t.coverage is None else f", {t.with_vectors} with vectors ({100 * t.coverage:.0f} %)"
        newest = f", newest {t.newest:%Y-%m-%d %H:%M}" if t.newest else ""
        table.add_row(f"  {t.name}", f"error: {t.error}" if t.error else f"{t.rows} rows{vectors}{newest}")
    console.print(table)
    for kind, text in findings:
        console.print(f"  {_KINDS[kind]} {text}", highlight=False)


@app.command()
def status(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output"),
    lock_wait: float = typer.Option(2.0, "--lock-wait", min=0.0, max=60.0,
                                    help="Seconds to wait for a store held read-write by another process before calling it locked"),
) -> None:
    """Every Session Buddy / Crackerjack store, the warehouse and the embedding model: found, engine, locked, tables,
    rows, schema eras, vectors, newest timestamp, phantoms, and what to do. Exit 1 when something is unhealthy."""
    from sb_pipeline.health import HealthConfig, check_all
    from sb_pipeline.health.render import facts, findings, model_facts, verdict

    report = check_all(HealthConfig.from_settings(lock_wait_seconds=lock_wait))
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, default=str) + "\n")
    else:
        console.print(_overview(report))
        for store in report.stores:
            console.print()
            _details(store.name, store.status, facts(store), findings(store), store.tables)
        console.print()
        _details("embedding model", report.model.status, model_facts(report.model), findings(report.model))
        for note in report.notes:
            console.print(f"· {note}", highlight=False)
        console.print()
        console.print(f"[{'green' if report.healthy else 'bold red'}]{verdict(report)}[/]")
    if not report.healthy:
        raise typer.Exit(1)
