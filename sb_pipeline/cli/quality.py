"""`sb-pipeline quality-report`: the weekly Crackerjack report with the seed monitor's flags, computed directly."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import typer

from sb_pipeline import settings
from sb_pipeline.cli._app import app, console


def _alert_bands(threshold: float | None):
    """The seed's --alert-threshold as the lowest band's floor; higher bands keep their cut-offs."""
    from sb_pipeline.quality.alerts import BANDS

    if threshold is None:
        return BANDS
    kept = [(lo, name) for lo, name in BANDS if lo >= threshold]
    if not kept or kept[0][0] > threshold:
        below = [name for lo, name in BANDS if lo < threshold]
        kept.insert(0, (threshold, below[-1] if below else BANDS[0][1]))
    return tuple(kept)


@app.command("quality-report")
def quality_report(
    days: float = typer.Option(30, "--days", min=0.01, help="Analysis window in days, ending at --as-of"),
    project: str | None = typer.Option(None, "--project", help="Only this project (a path or a project name)"),
    fmt: str = typer.Option("markdown", "--format", help="markdown, json or html"),
    output: str | None = typer.Option(None, "--output", help="Write here instead of standard output"),
    alert_threshold: float | None = typer.Option(None, "--alert-threshold", help="Smallest drop (%) that can alert (default 5)"),
    db_path: str | None = typer.Option(None, "--db-path", help="crackerjack_integration.db (default SB_CRACKERJACK_DB)"),
    as_of: str | None = typer.Option(None, "--as-of", help="ISO 8601 instant the window ends at (default SB_AS_OF or now)"),
) -> None:
    """The weekly quality report from Crackerjack's database, computed directly (read-only, from a copy).
    Alert status (new / ongoing / resolved) compares with the same report one week earlier."""
    from datetime import timedelta

    from sb_pipeline.quality.alerts import detect_alerts, lifecycle
    from sb_pipeline.quality.normalise import normalise, project_key
    from sb_pipeline.quality.render import render_html, render_markdown
    from sb_pipeline.quality.report import build_report
    from sb_pipeline.sources.crackerjack_db import read_crackerjack
    from sb_pipeline.sources.timestamps import to_utc

    if fmt not in ("markdown", "json", "html"):
        console.print(f"[red]--format must be markdown, json or html, not {fmt!r}[/red]")
        raise typer.Exit(2)
    path = settings.crackerjack_db_path() if db_path is None else Path(db_path).expanduser()
    try:
        end = to_utc(as_of or settings.quality_as_of() or datetime.now(timezone.utc))
    except ValueError as exc:
        console.print(f"[red]--as-of: {exc}[/red]")
        raise typer.Exit(2)
    read = read_crackerjack(path, settings.snapshot_dir())
    if not read.available:
        console.print(f"[red]Cannot read the Crackerjack database: {'; '.join(read.notes)}[/red]")
        raise typer.Exit(2)
    try:
        aliases = settings.quality_project_aliases()
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2)
    frames = normalise(read, known_roots=aliases)
    name = project_key(project) if project else None
    bands = _alert_bands(alert_threshold)
    before = detect_alerts(frames.points, end - timedelta(days=7), days, bands=bands, recent_days=min(7.0, days / 2))
    now = detect_alerts(frames.points, end, days, bands=bands, recent_days=min(7.0, days / 2))
    alerts = lifecycle(before, now, end)
    if name:
        alerts = alerts.filter(alerts["project"] == name)
    report = build_report(frames.runs, frames.points, alerts, end, days, project=name, database_path=str(path),
                          alert_threshold=alert_threshold)
    text = {"markdown": lambda: render_markdown(report), "json": lambda: json.dumps(report, indent=2, default=str) + "\n",
            "html": lambda: render_html(report, frames.points, alerts, end, days)}[fmt]()
    if output:
        Path(output).expanduser().write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")
    else:
        sys.stdout.write(text)
