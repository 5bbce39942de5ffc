"""One series' full story (`sb-pipeline quality-report --project P --metric M`): the chart data, the change
point, the test and its verdict, the alert's status, and the sessions around the change.

Unlike the report, the story shows the located change even when it does not alert, with the reason (not
significant, below the band, too few runs), so a user can see why a series they worry about is quiet.
"""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl

from sb_pipeline.quality.alerts import ALPHA, BANDS, BINARY_METRICS, MIN_EFFECT, band
from sb_pipeline.quality.changepoints import MIN_BEFORE, MIN_RUNS, Shift, judge
from sb_pipeline.quality.context import headline, markdown_lines, note
from sb_pipeline.quality.trends import latest_era, utc, window


def series_points(points: pl.DataFrame, as_of: datetime, days: float, project: str, metric: str) -> pl.DataFrame:
    """The series' runs in the window, latest formula era only (what the alert judged)."""
    w = window(points, utc(as_of), days).filter((pl.col("project") == project) & (pl.col("metric") == metric))
    return latest_era(w) if w.height else w


def located_change(g: pl.DataFrame, metric: str, bands=BANDS) -> tuple[Shift | None, str]:
    """The most recent drop (else rise) judged, and a direction word."""
    if g.height < MIN_BEFORE + MIN_RUNS:
        return None, "none"
    values, merge = g["value"].to_numpy(), min(lo for lo, _ in bands)
    for worse, word in ((True, "drop"), (False, "rise")):
        shift = judge(values, metric in BINARY_METRICS, merge, worse=worse)
        if shift is not None:
            return shift, word
    return None, "none"


def verdict(shift: Shift | None, direction: str, runs: int, bands=BANDS, alpha: float = ALPHA) -> str:
    if shift is None:
        return f"too few runs to judge ({runs} < {MIN_BEFORE + MIN_RUNS})" if runs < MIN_BEFORE + MIN_RUNS else "no change point in the window"
    size = -shift.change_pct if direction == "drop" else shift.change_pct
    severity = band(size, bands)
    if shift.p_value >= alpha:
        return f"not significant (p = {shift.p_value:.3g} >= {alpha})"
    if shift.noise_sd > 0 and shift.effect_sd < MIN_EFFECT:
        return f"small against the series' noise ({shift.effect_sd:.2f} sd < {MIN_EFFECT})"
    if severity is None:
        return f"below the lowest band ({abs(shift.change_pct):.1f} % < {min(lo for lo, _ in bands):g} %)"
    return f"alert: {severity}" if direction == "drop" else "improvement (never alerts)"


def series_story(points: pl.DataFrame, alert: dict | None, as_of: datetime, days: float, project: str, metric: str,
                 sessions: dict | None = None, bands=BANDS) -> dict:
    """The story as a JSON-serialisable dict. ``alert``: the series' lifecycle row (or None)."""
    g = series_points(points, as_of, days, project, metric)
    shift, direction = located_change(g, metric, bands)
    change = None
    if shift is not None:
        change = {"direction": direction, "change_at": g["observed_at"][shift.change_index].isoformat(),
                  "change_run_id": g["run_id"][shift.change_index], "level_before": round(shift.level_before, 2),
                  "level_after": round(shift.level_after, 2), "change_percentage": round(shift.change_pct, 2),
                  "change_ci_pct": [round(shift.change_pct_low, 2), round(shift.change_pct_high, 2)],
                  "runs_before": shift.runs_before, "runs_after": shift.runs_after}
    test = None if shift is None else {"p_value": round(shift.p_value, 6), "rank_p": round(shift.rank_p, 6),
                                       "noise_p": round(shift.noise_p, 6), "judged_by": shift.judged_by, "z": round(shift.statistic, 4),
                                       "alpha": ALPHA}
    evidence = json.loads(alert["evidence"]) if alert and alert.get("evidence") else None
    return {
        "project": project, "metric": metric, "as_of": utc(as_of).isoformat(), "analysis_period_days": days,
        "formula_era": g["formula_era"][0] if g.height else None, "runs": g.height,
        "points": [{"observed_at": t.isoformat(), "value": v, "run_id": r}
                   for t, v, r in zip(g["observed_at"], g["value"], g["run_id"])],
        "change_point": change, "test": test, "verdict": verdict(shift, direction, g.height, bands),
        "alert": None if alert is None else {"severity": alert["severity"], "status": alert["status"],
                                             "first_seen": _iso(alert.get("first_seen")), "evidence": evidence},
        "sessions": sessions,
    }


def _iso(value) -> str | None:
    return None if value is None else utc(value).isoformat()


def render_story(story: dict) -> str:
    """The story in markdown: what happened, the test, the sessions, then the runs."""
    c, t = story["change_point"], story["test"]
    lines = [f"# {story['project']} / {story['metric']}", "",
             f"**Window:** {story['analysis_period_days']} days to {story['as_of']} — {story['runs']} runs "
             f"(formula era {story['formula_era'] or 'n/a'})  ", f"**Verdict:** {story['verdict']}"]
    if story["alert"]:
        lines.append(f"**Alert:** {story['alert']['severity']} ({story['alert']['status']}), first seen {story['alert']['first_seen']}")
    if c:
        fake = {"metric_type": story["metric"], "project": story["project"], "change_percentage": c["change_percentage"],
                "change_at": c["change_at"], "sessions": story["sessions"]}
        lines += ["", "## Change point", "",
                  f"- {headline(fake)}",
                  f"- first {'degraded' if c['direction'] == 'drop' else 'changed'} run `{c['change_run_id']}` at {c['change_at']}",
                  f"- level {c['level_before']} → {c['level_after']} ({c['change_percentage']:+.2f} %, 95 % interval "
                  f"{c['change_ci_pct'][0]:+.2f} to {c['change_ci_pct'][1]:+.2f} %), {c['runs_before']} runs before, {c['runs_after']} after",
                  f"- test: p = {t['p_value']:.4g} (rank p {t['rank_p']:.4g}, noise p {t['noise_p']:.4g}, z {t['z']:+.2f}; alpha {t['alpha']})"]
    lines += ["", "## Sessions around the change", "", note(story["sessions"], story["project"]) if c else "no change to look around",
              *markdown_lines(story["sessions"], "")]
    lines += ["", "## Runs", "", "| observed_at | value | run |", "|---|---|---|"]
    lines += [f"| {p['observed_at']} | {p['value']:.2f} | `{p['run_id']}` |" for p in story["points"]]
    return "\n".join(lines) + "\n"


def story_alert_row(story: dict) -> dict | None:
    """The located change as an alert-like row for the chart (values the HTML marks)."""
    c = story["change_point"]
    if c is None:
        return None
    return {"severity": story["alert"]["severity"] if story["alert"] else c["direction"], "status": story["verdict"],
            "change_pct": c["change_percentage"], "change_at": datetime.fromisoformat(c["change_at"]),
            "baseline_value": c["level_before"], "current_value": c["level_after"]}

