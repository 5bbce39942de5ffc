"""Rules the pipeline is compared with in benchmarks (never used by the pipeline itself).

`seed_half_window_alerts` is the seed monitor's alert rule (Session Buddy's Crackerjack monitor, section 5
of ../shared/reference/session_buddy_data.md), reproduced faithfully so that bench/alert_quality.py can
run it on the very same series as ours. `fixed_split_alerts` is the pipeline's own rule before change
points (issue 13): the last 7 days' median against the rest of the window, one-sided Mann-Whitney, at least
5 runs on each side. `average_precision` is the threshold-free quality of entity
vectors (all pairs ranked by cosine), the ceiling any threshold works under (bench/discovery_quality.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl
from scipy import stats

from sb_pipeline.quality.alerts import BANDS, band
from sb_pipeline.quality.trends import KEYS, latest_era, utc, window

SEED_SCHEMA = {
    "project": pl.Utf8,
    "metric": pl.Utf8,
    "severity": pl.Utf8,
    "direction": pl.Utf8,
    "change_pct": pl.Float64,
    "previous_value": pl.Float64,
    "current_value": pl.Float64,
    "data_points": pl.Int64,
}


def seed_half_window_alerts(
    points: pl.DataFrame, as_of: datetime, days: int, threshold_pct: float = 10.0
) -> pl.DataFrame:
    """The seed monitor's rule, faithfully, for benchmarks only (section 5 of the reference): since = as_of -
    days, mid = as_of - days//2 (integer days, so days=1 puts mid at as_of and yields nothing); previous =
    mean(ts < mid), current = mean(ts >= mid), both halves required; pct = |change / previous| * 100 (0 if
    previous == 0); direction from the sign, INVERTED for complexity_score; stable (change == 0) skipped;
    alert if pct >= threshold, improvements included; severity critical >= 20, warning >= 15, else info.
    Not reproduced: the local-vs-UTC string comparison (we compare UTC instants) and the missing upper bound
    (points after as_of are ignored so runs are reproducible). No formula-era handling, like the seed."""
    end = utc(as_of)
    since, mid = end - timedelta(days=days), end - timedelta(days=int(days) // 2)
    w = window(points, end, days + 1e-9)  # the seed's lower bound is inclusive (ts >= since)
    w = w.filter(pl.col("observed_at") >= since)
    rows = []
    for (project, metric), g in w.group_by(KEYS, maintain_order=True):
        late = (g["observed_at"] >= mid).to_numpy()
        values = g["value"].to_numpy()
        if late.all() or not late.any():
            continue
        cur, prev = float(values[late].mean()), float(values[~late].mean())
        change = cur - prev
        pct = abs(change / prev * 100.0) if prev != 0 else 0.0
        sign = -1.0 if metric == "complexity_score" else 1.0
        if change == 0 or pct < threshold_pct:
            continue
        rows.append(
            {
                "project": project,
                "metric": metric,
                "severity": "critical" if pct >= 20 else "warning" if pct >= 15 else "info",
                "direction": "improving" if sign * change > 0 else "declining",
                "change_pct": round(pct, 2),
                "previous_value": round(prev, 2),
                "current_value": round(cur, 2),
                "data_points": len(values),
            }
        )
    return pl.DataFrame(rows, schema=SEED_SCHEMA).sort(KEYS)


def average_precision(vectors: np.ndarray, ids: list[str], positives: set[frozenset[str]]) -> float:
    """AP of all pairs ranked by cosine: the threshold-free quality of the vectors themselves."""
    sims = vectors @ vectors.T
    i, j = np.triu_indices(len(ids), k=1)
    order = np.argsort(-sims[i, j], kind="stable")
    labels = np.array([frozenset((ids[a], ids[b])) in positives for a, b in zip(i[order], j[order])])
    hits = np.cumsum(labels)
    return float((hits[labels] / (np.flatnonzero(labels) + 1)).mean()) if labels.any() else 0.0


FIXED_SPLIT_SCHEMA = {"project": pl.Utf8, "metric": pl.Utf8, "severity": pl.Utf8, "change_pct": pl.Float64,
                      "baseline_value": pl.Float64, "current_value": pl.Float64, "p_value": pl.Float64,
                      "recent_points": pl.Int64, "baseline_points": pl.Int64}


def fixed_split_alerts(points: pl.DataFrame, as_of: datetime, days: float, recent_days: float = 7.0, min_points: int = 5,
                       alpha: float = 0.05, bands=BANDS) -> pl.DataFrame:
    """The fixed-split rule the pipeline used until issue 13, unchanged: per series (latest formula era), the
    runs of the last ``recent_days`` against the rest of the window; an alert needs >= ``min_points`` runs on
    each side, a drop of medians in a band and a one-sided Mann-Whitney p < alpha."""
    end = utc(as_of)
    split = end - timedelta(days=min(float(recent_days), days / 2.0))
    w = window(points, end, days)
    rows = []
    if not w.is_empty():
        for (project, metric), g in latest_era(w).group_by(KEYS, maintain_order=True):
            is_recent = (g["observed_at"] > split).to_numpy()
            values = g["value"].to_numpy()
            recent, baseline = values[is_recent], values[~is_recent]
            if len(recent) < min_points or len(baseline) < min_points:
                continue
            base_med, cur_med = float(np.median(baseline)), float(np.median(recent))
            if base_med <= 0:
                continue
            change = (cur_med - base_med) / base_med * 100.0
            p = stats.mannwhitneyu(recent, baseline, alternative="less").pvalue
            severity = band(-change, bands)
            if severity is None or np.isnan(p) or p >= alpha:
                continue
            rows.append({"project": project, "metric": metric, "severity": severity, "change_pct": change,
                         "baseline_value": base_med, "current_value": cur_med, "p_value": float(p),
                         "recent_points": len(recent), "baseline_points": len(baseline)})
    return pl.DataFrame(rows, schema=FIXED_SPLIT_SCHEMA).sort(KEYS)
