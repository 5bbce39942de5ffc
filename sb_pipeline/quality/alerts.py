"""Degradation alerts for Crackerjack quality metrics, their lifecycle, and the seed rule (for benchmarks).

Design (why it differs from the seed monitor's half-window mean comparison):
- The window ``(as_of - days, as_of]`` is split by TIME into a baseline and a recent part. Default recent part:
  the last third of the window, at least 1 day, but at most half the window (so ``days=1`` still has a
  baseline: the last 12 h vs the 12 h before). A regression shows up as a level shift after some commit;
  "the last third" gives the new level enough runs to be judged while leaving a baseline twice as long.
- Effect: relative change of the MEDIANS, ``(recent - baseline) / baseline * 100``. Medians, not means, so
  one failed run (a 0 among 80s) cannot move the level by itself.
- Evidence: a one-sided Mann-Whitney U test that recent < baseline, with at least ``min_points`` runs on
  each side, p < ``alpha``. Chosen over a Theil-Sen CI because the question is "did the level drop?", not
  "is there a linear trend?": a step change in the last few days has a weak slope over a 30-day window,
  while U compares the two levels directly; it is rank-based (no normality, copes with bounded 0-100 and
  quantised scores like build_status) and a single outlier moves at most one rank. The slope is still
  reported by ``trends.series_trends``.
- An alert needs BOTH a practical drop (bands: info >= 5%, warning >= 10%, critical >= 25%; configurable) AND
  the test. Only drops alert: every metric is higher-is-better (complexity_score too). Rises that pass the
  mirror-image test are returned by ``improvements`` so reports can say "improved" without paging.
- Only the latest formula era in the window is used (see ``trends.latest_era``); evidence says when the
  window straddled the 2026-07-27 formula change.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import polars as pl
from scipy import stats

from sb_pipeline.quality.trends import KEYS, latest_era, utc, window

BANDS = ((5.0, "info"), (10.0, "warning"), (25.0, "critical"))
ALERT_SCHEMA = {
    "project": pl.Utf8,
    "metric": pl.Utf8,
    "severity": pl.Utf8,
    "change_pct": pl.Float64,
    "baseline_value": pl.Float64,
    "current_value": pl.Float64,
    "p_value": pl.Float64,
    "recent_points": pl.Int64,
    "baseline_points": pl.Int64,
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
}


def default_recent_days(days: float) -> float:
    """The last third of the window, at least 1 day, at most half the window (keeps a baseline)."""
    return min(max(1.0, days / 3.0), days / 2.0)


def _band(pct: float, bands) -> str | None:
    label = None
    for threshold, name in sorted(bands):
        if pct >= threshold:
            label = name
    return label


def _u_pvalue(recent: np.ndarray, baseline: np.ndarray, alternative: str) -> float:
    """One-sided Mann-Whitney p; 1.0 when undefined (all values tied)."""
    p = stats.mannwhitneyu(recent, baseline, alternative=alternative).pvalue
    return 1.0 if np.isnan(p) else float(p)


def _compare(points, as_of, days, recent_days, min_points, alpha, bands, worse: bool) -> pl.DataFrame:
    """Shared engine: ``worse=True`` looks for drops (alerts), ``False`` for rises (improvements)."""
    end = utc(as_of)
    recent_days = default_recent_days(days) if recent_days is None else float(recent_days)
    split = end - timedelta(days=recent_days)
    w = window(points, end, days)
    rows = []
    if not w.is_empty():
        w = latest_era(w)
        for (project, metric), g in w.group_by(KEYS, maintain_order=True):
            is_recent = (g["observed_at"] > split).to_numpy()
            values = g["value"].to_numpy()
            recent, baseline = values[is_recent], values[~is_recent]
            if len(recent) < min_points or len(baseline) < min_points:
                continue  # too little evidence: never alert (this is also what --days 1 usually hits)
            base_med, cur_med = float(np.median(baseline)), float(np.median(recent))
            if base_med <= 0:
                continue  # a relative change from 0 is undefined
            change = (cur_med - base_med) / base_med * 100.0
            size = -change if worse else change
            severity = _band(size, bands)
            p = _u_pvalue(recent, baseline, "less" if worse else "greater")
            if severity is None or p >= alpha:
                continue
            evidence = {
                "test": f"Mann-Whitney U one-sided (recent {'<' if worse else '>'} baseline)",
                "alpha": alpha,
                "p_value": round(p, 6),
                "u": float(stats.mannwhitneyu(recent, baseline).statistic),
                "effect": "relative change of medians, % of baseline",
                "baseline": [str(end - timedelta(days=days)), str(split)],
                "recent": [str(split), str(end)],
                "formula_era": g["formula_era"][0],
                "era_break": bool(g["era_break"][0]),
            }
            rows.append(
                {
                    "project": project,
                    "metric": metric,
                    "severity": severity if worse else "improved",
                    "change_pct": change,
                    "baseline_value": base_med,
                    "current_value": cur_med,
                    "p_value": p,
                    "recent_points": len(recent),
                    "baseline_points": len(baseline),
                    "evidence": json.dumps(evidence, sort_keys=True),
                }
            )
    return pl.DataFrame(rows, schema=ALERT_SCHEMA).sort(KEYS)


def detect_alerts(
    points: pl.DataFrame,
    as_of: datetime,
    days: float,
    bands=BANDS,
    recent_days: float | None = None,
    min_points: int = 5,
    alpha: float = 0.05,
) -> pl.DataFrame:
    """Degradations only: median drop in a severity band AND one-sided U test p < alpha with >= min_points
    runs on each side. ``change_pct`` is signed (negative = drop). Empty frame (right columns) if none."""
    return _compare(points, as_of, days, recent_days, min_points, alpha, bands, worse=True)


def improvements(
    points: pl.DataFrame,
    as_of: datetime,
    days: float,
    bands=BANDS,
    recent_days: float | None = None,
    min_points: int = 5,
    alpha: float = 0.05,
) -> pl.DataFrame:
    """The mirror image of ``detect_alerts`` (rise >= the lowest band, U test recent > baseline); severity is
    always "improved". For reports only, never for paging."""
    return _compare(points, as_of, days, recent_days, min_points, alpha, bands, worse=False)


def lifecycle(previous: pl.DataFrame, current: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Merge the previous lifecycle frame (or a bare ``detect_alerts`` frame: all rows active) with this
    run's alerts. new: alerting now, not before (first_seen = last_seen = as_of); ongoing: both (first_seen
    kept, last_seen = as_of, figures from now); resolved: active before, not now (figures and last_seen kept).
    Rows already resolved before are dropped, so a resolution is announced once; one that alerts again is new."""
    now = utc(as_of)
    prev = previous
    if "status" not in prev.columns:
        prev = prev.with_columns(pl.lit("new").alias("status"))
    for col in ("first_seen", "last_seen"):
        if col not in prev.columns:
            prev = prev.with_columns(pl.lit(now).alias(col))
    prev = prev.select([pl.col(c).cast(t) for c, t in LIFECYCLE_SCHEMA.items()]).filter(
        pl.col("status") != "resolved"
    )
    cur = current.select([c for c in LIFECYCLE_SCHEMA if c in current.columns])
    seen = prev.select(*KEYS, pl.col("first_seen").alias("_first"))
    merged = cur.join(seen, on=KEYS, how="left").with_columns(
        pl.when(pl.col("_first").is_null()).then(pl.lit("new")).otherwise(pl.lit("ongoing")).alias("status"),
        pl.coalesce("_first", pl.lit(now)).alias("first_seen"),
        pl.lit(now).alias("last_seen"),
    )
    merged = merged.select([pl.col(c).cast(t) for c, t in LIFECYCLE_SCHEMA.items()])
    resolved = prev.join(cur.select(KEYS), on=KEYS, how="anti").with_columns(pl.lit("resolved").alias("status"))
    return pl.concat([merged, resolved]).sort([*KEYS, "status"])
