"""Degradation alerts for Crackerjack quality metrics and their lifecycle.

Design (see ``changepoints`` for the method and why it replaced the fixed split of the last 7 days):
- Per series (project x metric x the latest formula era in the window ``(as_of - days, as_of]``), the most
  recent change point is located and the regime after it is judged against the one before it.
- Effect: relative change of the regimes' levels, ``(after - before) / before * 100``: medians (one failed run
  cannot move a level), pass rates for 0/100 metrics (``BINARY_METRICS``: judged as failure rates).
- An alert needs a practical drop (bands: info >= 5 %, warning >= 10 %, critical >= 25 %; configurable,
  e.g. ``--alert-threshold``) AND the one-sided, search-adjusted p < ``alpha`` (the rank test or the noise test,
  Bonferroni: either at alpha / 2, see ``changepoints``) AND (except 0/100 metrics)
  a drop of at least ``MIN_EFFECT`` times the series' own run-to-run noise. Only drops alert: every
  metric is higher-is-better (complexity_score too). Rises are returned by ``improvements`` for reports.
- Each alert carries ``change_at`` and ``change_run_id`` (the first degraded run), the levels before and after,
  a 95 % interval of the change, the p-value and the runs on each side; ``evidence`` says how it was judged.
- Only the latest formula era in the window is used (``trends.latest_era``); evidence says when the window
  straddled the 2026-07-27 formula change.
"""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import polars as pl

from sb_pipeline.quality.changepoints import MIN_BEFORE, MIN_RUNS, NOISE_MAX, PENALTY, SMALL, Shift, judge
from sb_pipeline.quality.trends import KEYS, latest_era, utc, window

BANDS = ((5.0, "info"), (10.0, "warning"), (25.0, "critical"))
BINARY_METRICS = frozenset({"build_status"})  # 100 if the run passed, else 0
ALPHA = 0.05
MIN_EFFECT = 1.5  # a change must be at least this many noise sds (not for 0/100 metrics); chosen with PENALTY
ALERT_SCHEMA = {
    "project": pl.Utf8,
    "metric": pl.Utf8,
    "severity": pl.Utf8,
    "change_pct": pl.Float64,
    "baseline_value": pl.Float64,
    "current_value": pl.Float64,
    "p_value": pl.Float64,
    "runs_before": pl.Int64,
    "runs_after": pl.Int64,
    "change_at": pl.Datetime("us", "UTC"),
    "change_run_id": pl.Utf8,
    "change_pct_low": pl.Float64,
    "change_pct_high": pl.Float64,
    "evidence": pl.Utf8,
}
LIFECYCLE_SCHEMA = {
    "project": pl.Utf8,
    "metric": pl.Utf8,
    "severity": pl.Utf8,
    "status": pl.Utf8,
    "change_pct": pl.Float64,
    "baseline_value": pl.Float64,
    "current_value": pl.Float64,
    "first_seen": pl.Datetime("us", "UTC"),
    "last_seen": pl.Datetime("us", "UTC"),
    "evidence": pl.Utf8,
    "change_at": pl.Datetime("us", "UTC"),
    "change_run_id": pl.Utf8,
    "p_value": pl.Float64,
    "change_pct_low": pl.Float64,
    "change_pct_high": pl.Float64,
    "runs_before": pl.Int64,
    "runs_after": pl.Int64,
}


def band(pct: float, bands=BANDS) -> str | None:
    """The highest band whose floor ``pct`` reaches, or None."""
    label = None
    for threshold, name in sorted(bands):
        if pct >= threshold:
            label = name
    return label


def _evidence(shift: Shift, g: pl.DataFrame, binary: bool, alpha: float, worse: bool, min_effect: float) -> dict:
    times = g["observed_at"]
    return {
        "method": "change point (ruptures PELT on ranks) + one-sided rank test of the regime after it",
        "test": f"one-sided ({'after < before' if worse else 'after > before'}): permutation test of the best split's "
                f"Mann-Whitney statistic (rank_p); {'Fisher exact' if binary else 'Yuen trimmed t'} test at the split x "
                "splits searched (noise_p); " + (f"the run count picks one (Fisher below {SMALL} runs)" if binary else
                                                 f"below {NOISE_MAX} runs p = 2 x the smaller (Bonferroni), else rank_p"),
        "judged_by": shift.judged_by,
        "alpha": alpha,
        "p_value": round(shift.p_value, 6),
        "rank_p": round(shift.rank_p, 6),
        "noise_p": round(shift.noise_p, 6),
        "z": round(shift.statistic, 4),
        "noise_sd": round(shift.noise_sd, 4),
        "effect_sd": None if not np.isfinite(shift.effect_sd) else round(shift.effect_sd, 3),
        "min_effect_sd": None if binary else min_effect,
        "effect": "relative change of pass rates, % of before" if binary else "relative change of medians, % of before",
        "change_ci_pct": [round(shift.change_pct_low, 2), round(shift.change_pct_high, 2)],
        "before": [str(times[shift.before_start]), str(times[shift.before_end - 1])],
        "after": [str(times[shift.after_start]), str(times[-1])],
        "change_at": str(times[shift.change_index]),
        "change_run_id": g["run_id"][shift.change_index],
        "runs_before": shift.runs_before,
        "runs_after": shift.runs_after,
        "formula_era": g["formula_era"][0],
        "era_break": bool(g["era_break"][0]),
    }


def _row(project: str, metric: str, g: pl.DataFrame, shift: Shift, severity: str, evidence: dict) -> dict:
    return {
        "project": project, "metric": metric, "severity": severity, "change_pct": shift.change_pct,
        "baseline_value": shift.level_before, "current_value": shift.level_after, "p_value": shift.p_value,
        "runs_before": shift.runs_before, "runs_after": shift.runs_after,
        "change_at": g["observed_at"][shift.change_index], "change_run_id": g["run_id"][shift.change_index],
        "change_pct_low": shift.change_pct_low, "change_pct_high": shift.change_pct_high,
        "evidence": json.dumps(evidence, sort_keys=True),
    }


def _compare(points: pl.DataFrame, as_of: datetime, days: float, bands, alpha: float, penalty: float,
             min_effect: float, small: int, worse: bool) -> pl.DataFrame:
    """Shared engine: ``worse=True`` looks for drops (alerts), ``False`` for rises (improvements)."""
    w = window(points, utc(as_of), days)
    rows = []
    if not w.is_empty():
        w = latest_era(w)
        merge_pct = min(lo for lo, _ in bands)
        for (project, metric), g in w.group_by(KEYS, maintain_order=True):
            if g.height < MIN_BEFORE + MIN_RUNS:
                continue  # too few runs for any change to be judged
            binary = metric in BINARY_METRICS
            shift = judge(g["value"].to_numpy(), binary, merge_pct, worse=worse, penalty=penalty, small=small)
            if shift is None or not np.isfinite(shift.change_pct):
                continue
            severity = band(-shift.change_pct if worse else shift.change_pct, bands)
            if severity is None or shift.p_value >= alpha or (not binary and shift.effect_sd < min_effect):
                continue
            evidence = _evidence(shift, g, binary, alpha, worse, min_effect)
            rows.append(_row(project, metric, g, shift, severity if worse else "improved", evidence))
    return pl.DataFrame(rows, schema=ALERT_SCHEMA).sort(KEYS)


def detect_alerts(points: pl.DataFrame, as_of: datetime, days: float, bands=BANDS, alpha: float = ALPHA,
                  penalty: float = PENALTY, min_effect: float = MIN_EFFECT, small: int = SMALL) -> pl.DataFrame:
    """Degradations only: the most recent change point's drop in a severity band AND the search-adjusted
    one-sided test p < alpha. ``change_pct`` is signed (negative = drop). Empty frame (right columns) if none."""
    return _compare(points, as_of, days, bands, alpha, penalty, min_effect, small, worse=True)


def improvements(points: pl.DataFrame, as_of: datetime, days: float, bands=BANDS, alpha: float = ALPHA,
                 penalty: float = PENALTY, min_effect: float = MIN_EFFECT, small: int = SMALL) -> pl.DataFrame:
    """The mirror image of ``detect_alerts`` (the most recent rise, >= the lowest band, test after > before);
    severity is always "improved". For reports only, never for paging."""
    return _compare(points, as_of, days, bands, alpha, penalty, min_effect, small, worse=False)


def lifecycle(previous: pl.DataFrame, current: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Merge the previous lifecycle frame (or a bare ``detect_alerts`` frame: all rows active) with this
    run's alerts. new: alerting now, not before (first_seen = last_seen = as_of); ongoing: both (first_seen
    kept, last_seen = as_of, figures from now); resolved: active before, not now (figures and last_seen kept).
    Rows already resolved before are dropped, so a resolution is announced once; one that alerts again is new.
    Columns a stored frame predates (an older warehouse) are filled with nulls."""
    now = utc(as_of)
    prev = previous
    if "status" not in prev.columns:
        prev = prev.with_columns(pl.lit("new").alias("status"))
    for col in ("first_seen", "last_seen"):
        if col not in prev.columns:
            prev = prev.with_columns(pl.lit(now).alias(col))
    prev = _conform(prev).filter(pl.col("status") != "resolved")
    cur = current.select([c for c in LIFECYCLE_SCHEMA if c in current.columns])
    seen = prev.select(*KEYS, pl.col("first_seen").alias("_first"))
    merged = cur.join(seen, on=KEYS, how="left").with_columns(
        pl.when(pl.col("_first").is_null()).then(pl.lit("new")).otherwise(pl.lit("ongoing")).alias("status"),
        pl.coalesce("_first", pl.lit(now)).alias("first_seen"),
        pl.lit(now).alias("last_seen"),
    )
    resolved = prev.join(cur.select(KEYS), on=KEYS, how="anti").with_columns(pl.lit("resolved").alias("status"))
    return pl.concat([_conform(merged), resolved]).sort([*KEYS, "status"])


def _conform(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select([(pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c)
                         for c, t in LIFECYCLE_SCHEMA.items()])
