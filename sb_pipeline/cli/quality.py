"""`sb-pipeline quality-report`: the weekly Crackerjack report with the seed monitor's flags, computed directly."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import NoReturn

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
    metric: str | None = typer.Option(None, "--metric", help="With --project: one series' full story (chart data, "
                                                             "change point, test, sessions)"),
    sessions_before: float = typer.Option(2.0, "--sessions-before", min=0, help="Days of sessions listed before a change"),
    sessions_after: float = typer.Option(1.0, "--sessions-after", min=0, help="Days of sessions listed after a change"),
) -> None:
    """The weekly quality report from Crackerjack's database, computed directly (read-only, from a copy).
    Alert status (new / ongoing / resolved) compares with the same report one week earlier. Each alert lists the
    project's sessions around its change from the pipeline's warehouse (SB_WAREHOUSE), when there is one."""
    from sb_pipeline.quality.normalise import project_key

    if fmt not in ("markdown", "json", "html"):
        _fail(f"--format must be markdown, json or html, not {fmt!r}")
    if metric is not None and not project:
        _fail("--metric needs --project")
    path, end, frames = _read(db_path, as_of)
    name = project_key(project) if project else None
    bands, window = _alert_bands(alert_threshold), (sessions_before, sessions_after)
    alerts = _alerts(frames.points, end, days, bands, name)
    if metric is not None:
        text = _story(frames.points, alerts, end, days, name, metric, bands, window, fmt)
    else:
        text = _report(frames, alerts, end, days, name, str(path), alert_threshold, window, fmt)
    if output:
        Path(output).expanduser().write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")
    else:
        sys.stdout.write(text)


def _fail(message: str) -> NoReturn:
    console.print(f"[red]{message}[/red]")
    raise typer.Exit(2)


def _read(db_path: str | None, as_of: str | None):
    """(database path, the window's end, the normalised frames), or exit 2 saying what is wrong."""
    from sb_pipeline.quality.normalise import normalise
    from sb_pipeline.sources.crackerjack_db import read_crackerjack
    from sb_pipeline.sources.timestamps import to_utc

    path = settings.crackerjack_db_path() if db_path is None else Path(db_path).expanduser()
    try:
        end = to_utc(as_of or settings.quality_as_of() or datetime.now(timezone.utc))
    except ValueError as exc:
        _fail(f"--as-of: {exc}")
    read = read_crackerjack(path, settings.snapshot_dir())
    if not read.available:
        _fail(f"Cannot read the Crackerjack database: {'; '.join(read.notes)}")
    try:
        aliases = settings.quality_project_aliases()
    except ValueError as exc:
        _fail(str(exc))
    return path, end, normalise(read, known_roots=aliases)


def _alerts(points, end: datetime, days: float, bands, project: str | None):
    """Alerts as of `end` with their lifecycle against the report one week earlier."""
    from datetime import timedelta

    from sb_pipeline.quality.alerts import detect_alerts, lifecycle

    before = detect_alerts(points, end - timedelta(days=7), days, bands=bands)
    alerts = lifecycle(before, detect_alerts(points, end, days, bands=bands), end)
    return alerts.filter(alerts["project"] == project) if project else alerts


def _report(frames, alerts, end: datetime, days: float, project: str | None, database: str,
            alert_threshold: float | None, window: tuple[float, float], fmt: str) -> str:
    from sb_pipeline.quality.render import render_html, render_markdown
    from sb_pipeline.quality.report import build_report

    sessions = _sessions(alerts.filter(alerts["status"] != "resolved"), window)
    report = build_report(frames.runs, frames.points, alerts, end, days, project=project, database_path=database,
                          alert_threshold=alert_threshold, sessions=sessions)
    if fmt == "json":
        return json.dumps(report, indent=2, default=str) + "\n"
    if fmt == "html":
        return render_html(report, frames.points, alerts, end, days)
    return render_markdown(report)


def _sessions(alerts, window: tuple[float, float]) -> dict:
    """The sessions around each alert's change, from the pipeline's warehouse (the model loads only if needed)."""
    from sb_pipeline.defs.quality.sessions import sessions_for_alerts
    from sb_pipeline.embedding import load_embedder

    profile = settings.embedding_profile()
    return sessions_for_alerts(alerts, settings.warehouse_path(), settings.lexical_index_dir(),
                               lambda: load_embedder(profile=profile), *window, cache_dir=settings.cache_dir())


def _story(points, alerts, end, days, project: str, metric: str, bands, window, fmt: str) -> str:
    """One series: its runs, the located change (alerting or not, and why), the test and the sessions around it."""
    import polars as pl

    from sb_pipeline.quality.render_html import render_story_html
    from sb_pipeline.quality.story import render_story, series_points, series_story

    rows = alerts.filter((pl.col("project") == project) & (pl.col("metric") == metric)).to_dicts()
    alert = rows[0] if rows else None
    story = series_story(points, alert, end, days, project, metric, bands=bands)
    change = story["change_point"]
    if change is not None:
        at = pl.Series([change["change_at"]]).str.to_datetime(time_zone="UTC")
        story["sessions"] = _sessions(pl.DataFrame({"project": [project], "metric": [metric], "change_at": at}),
                                      window).get((project, metric))
    if fmt == "json":
        return json.dumps(story, indent=2, default=str) + "\n"
    if fmt == "html":
        return render_story_html(story, series_points(points, end, days, project, metric), end, days)
    return render_story(story)
