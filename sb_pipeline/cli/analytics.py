"""`sb-pipeline topics`: what the work was about over the last weeks, and what kind of sessions it was."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

import typer
from rich.table import Table

from sb_pipeline import settings
from sb_pipeline.cli._app import app, console


@app.command()
def topics(
    project: str | None = typer.Option(None, help="Only this project"),
    weeks: int = typer.Option(8, min=1, help="How many ISO weeks, ending this week"),
    as_of: str | None = typer.Option(None, "--as-of", help="The weeks end here (ISO 8601; default now)"),
    limit: int = typer.Option(10, min=1, help="How many topics"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output"),
) -> None:
    """The topics of your conversations over the last weeks (largest first, with their trend and examples) and
    the session types, from the warehouse's conversation_topics, topic_trends and session_types."""
    import duckdb

    from sb_pipeline.conversations.topic_summary import summarise
    from sb_pipeline.sources.timestamps import to_utc
    from sb_pipeline.warehouse import WarehouseBusyError, WarehouseMissingError, connect
    from sb_pipeline.warehouse import topics as store

    try:
        end = to_utc(as_of) if as_of else datetime.now(timezone.utc)
        with connect(settings.warehouse_path(), read_only=True, wait_seconds=5.0) as conn:
            frames = store.analytics_frames(conn)
    except (WarehouseBusyError, WarehouseMissingError, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2)
    except duckdb.CatalogException:
        console.print("[red]no topics yet: run the pipeline (make run)[/red]")
        raise typer.Exit(2)
    known = set(frames["conversations"]["project"].drop_nulls().to_list())
    if project is not None and project not in known:
        console.print(f"[red]no conversations in project {project!r}; known: {', '.join(sorted(known)[:20])}[/red]")
        raise typer.Exit(2)
    summary = summarise(frames, end, weeks, project, top=limit)
    if as_json:
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    _print(summary)


def _print(summary: dict) -> None:
    scope = summary["project"] or "all projects"
    table = Table(title=f"{scope}: {summary['conversations']} conversations in {summary['weeks']} weeks to {summary['as_of'][:10]}")
    for col in ("topic", "conv.", "share", "trend", "first seen", "example"):
        table.add_column(col, overflow="fold")
    for t in summary["topics"]:
        example = (t["examples"][0]["title"] or "")[:70] if t["examples"] else ""
        table.add_row(t["label"] + (" [bold](new)[/bold]" if t["new"] else ""), str(t["conversations"]), f"{t['share']:.0%}",
                      t["trend"] or "-", (t["first_seen"] or "-")[:10], example or "")
    console.print(table)
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(summary["session_types"].items(), key=lambda kv: -kv[1]))
    console.print(f"session types: {kinds or 'none'}")
