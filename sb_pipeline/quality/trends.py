"""Period statistics and robust per-series trends for Crackerjack quality metrics.

Why this exists instead of the seed monitor's "first half vs second half" means:
- the seed compared two means over a handful of points, so one bad run could read as a 100% swing; here the
  trend is a Theil-Sen slope (median of pairwise slopes) with a 95% CI, and a direction is only claimed when
  the CI excludes 0 and there are at least 3 points;
- the seed inverted complexity_score; every metric here is higher-is-better, no per-metric sign map;
- the seed compared local naive strings with stored UTC strings; here everything is a UTC Datetime and
  every function takes an explicit ``as_of`` so a past report regenerates byte-for-byte;
- lint/security/complexity formulas changed on 2026-07-27 ("v1" -> "v2"), so a trend over both eras
  measures the formula change, not the code. Trends use only the latest era present in the window and say so
  (``era_break``); period stats are keyed by ``formula_era`` so no bucket mixes the two.

Windows are half-open ``(as_of - days, as_of]``: a run exactly at ``as_of`` belongs to this report, and a run
exactly ``days`` earlier to the previous one, so consecutive reports never double count.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl

KEYS = ["project", "metric"]

PERIOD_SCHEMA = {
    "project": pl.Utf8,
    "metric": pl.Utf8,
    "formula_era": pl.Utf8,
    "period": pl.Utf8,
    "period_start": pl.Date,
    "count": pl.UInt32,
    "mean": pl.Float64,
    "median": pl.Float64,
    "min": pl.Float64,
    "max": pl.Float64,
    "first": pl.Float64,
    "last": pl.Float64,
}

TREND_SCHEMA = {
    "project": pl.Utf8,
    "metric": pl.Utf8,
    "formula_era": pl.Utf8,
    "points": pl.Int64,
    "first": pl.Float64,
    "last": pl.Float64,
    "mean": pl.Float64,
    "slope_per_day": pl.Float64,
    "slope_low": pl.Float64,
    "slope_high": pl.Float64,
    "direction": pl.Utf8,
    "era_break": pl.Boolean,
}


def utc(as_of: datetime) -> datetime:
    """A naive ``as_of`` is refused: guessing its zone is exactly the seed's local-vs-UTC bug."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware (UTC); naive datetimes are ambiguous")
    return as_of.astimezone(timezone.utc)


def in_window(frame: pl.DataFrame, as_of: datetime, days: float) -> pl.DataFrame:
    """Rows with ``as_of - days < observed_at <= as_of``, observed_at as UTC microseconds (naive = UTC)."""
    if days <= 0:
        raise ValueError("days must be positive")
    end = utc(as_of)
    start = end - timedelta(days=days)
    ts = frame.schema["observed_at"]
    col = pl.col("observed_at")
    if isinstance(ts, pl.Datetime) and ts.time_zone is None:
        col = col.dt.replace_time_zone("UTC")
    elif isinstance(ts, pl.Datetime):
        col = col.dt.convert_time_zone("UTC")
    return frame.with_columns(col.dt.cast_time_unit("us")).filter((pl.col("observed_at") > start) & (pl.col("observed_at") <= end))


def window(points: pl.DataFrame, as_of: datetime, days: float) -> pl.DataFrame:
    """Points in the window with a value, sorted by (project, metric, observed_at) so 'first'/'last' and
    every later step are deterministic."""
    return (
        in_window(points, as_of, days).with_columns(pl.col("value").cast(pl.Float64))
        .filter(pl.col("value").is_not_null())
        .sort([*KEYS, "observed_at", "value"])
    )


def latest_era(windowed: pl.DataFrame) -> pl.DataFrame:
    """Keep, per series, only the formula era of its most recent point; add ``era_break`` (the window held
    more than one era, so older-era points were dropped). Comparing v1 and v2 scores would report the
    formula change as a code-quality change."""
    return (
        windowed.with_columns(
            pl.col("formula_era").last().over(KEYS).alias("_era"),
            (pl.col("formula_era").n_unique().over(KEYS) > 1).alias("era_break"),
        )
        .filter(pl.col("formula_era") == pl.col("_era"))
        .drop("_era")
    )


def period_stats(points: pl.DataFrame, as_of: datetime, days: float) -> pl.DataFrame:
    """Per project x metric x formula_era x period ("day", "week" = ISO week starting Monday, UTC) the
    count, mean, median, min, max and first/last value by time. Periods are clipped to the window, so the
    oldest week can be partial (see ``count``); both eras are kept but never share a row."""
    w = window(points, as_of, days)
    if w.is_empty():
        return pl.DataFrame(schema=PERIOD_SCHEMA)
    frames = []
    for period, every in (("day", "1d"), ("week", "1w")):  # polars' 1w buckets start on Monday
        frames.append(
            w.with_columns(
                pl.lit(period).alias("period"),
                pl.col("observed_at").dt.truncate(every).dt.date().alias("period_start"),
            )
            .group_by([*KEYS, "formula_era", "period", "period_start"], maintain_order=True)
            .agg(
                pl.len().alias("count"),
                pl.col("value").mean().alias("mean"),
                pl.col("value").median().alias("median"),
                pl.col("value").min().alias("min"),
                pl.col("value").max().alias("max"),
                pl.col("value").first().alias("first"),
                pl.col("value").last().alias("last"),
            )
        )
    out = pl.concat(frames).select([pl.col(c).cast(t) for c, t in PERIOD_SCHEMA.items()])
    return out.sort([*KEYS, "period", "period_start", "formula_era"])


EXACT_THEIL_SEN_MAX = 500  # points; a larger series' pairwise slopes are sampled (exact is O(n^2))
SAMPLED_PAIRS = 200_000


def theil_sen(days_x: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None, float | None]:
    """Theil-Sen slope (per day) and its 95% CI; None when fewer than two distinct times make it undefined.
    Median of pairwise slopes: one outlier run cannot move it, unlike least squares or a two-mean split.

    Exact (scipy) up to EXACT_THEIL_SEN_MAX points. Beyond, the n(n-1)/2 slopes (5.5M at 3,333 points)
    are replaced by SAMPLED_PAIRS random pairs with a fixed seed, so results stay reproducible; the median
    and the CI bounds are read at the same rank fractions scipy uses (Kendall's variance, no tie term).
    """
    from scipy import stats
    x, y = np.asarray(days_x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n = len(y)
    if n < 2 or np.unique(x).size < 2:
        return None, None, None
    if n <= EXACT_THEIL_SEN_MAX:
        slope, _intercept, low, high = stats.theilslopes(y, x, alpha=0.95)
        return float(slope), float(low), float(high)
    rng = np.random.default_rng(n)
    i, j = rng.integers(0, n, SAMPLED_PAIRS), rng.integers(0, n, SAMPLED_PAIRS)
    dx = x[j] - x[i]
    keep = dx != 0
    slopes = (y[j] - y[i])[keep] / dx[keep]
    pairs = n * (n - 1) / 2
    spread = 1.959963984540054 * np.sqrt(n * (n - 1) * (2 * n + 5) / 18)
    low, mid, high = np.quantile(slopes, [max((pairs - spread) / 2, 0) / pairs, 0.5, min((pairs + spread) / 2, pairs) / pairs])
    return float(mid), float(low), float(high)


def direction(points: int, slope: float | None, low: float | None, high: float | None) -> str:
    """Higher is better for every metric (complexity_score included: the seed's inversion was a bug).
    'stable' unless >= 3 points and the whole CI lies on one side of 0."""
    if points < 3 or slope is None or low is None or high is None or low <= 0.0 <= high:
        return "stable"
    return "improving" if low > 0 else "declining"


def series_trends(points: pl.DataFrame, as_of: datetime, days: float) -> pl.DataFrame:
    """Per project x metric over the window (latest era only): points, first/last/mean, Theil-Sen slope per
    day with its 95% CI, direction and era_break. One row per series, sorted by (project, metric)."""
    w = window(points, as_of, days)
    if w.is_empty():
        return pl.DataFrame(schema=TREND_SCHEMA)
    end = utc(as_of)
    w = latest_era(w).with_columns(
        ((pl.col("observed_at") - pl.lit(end)).dt.total_microseconds() / 86_400e6).alias("_x")
    )
    rows = []
    for (project, metric), g in w.group_by(KEYS, maintain_order=True):
        y = g["value"].to_numpy()
        slope, low, high = theil_sen(g["_x"].to_numpy(), y)
        rows.append(
            {
                "project": project,
                "metric": metric,
                "formula_era": g["formula_era"][0],
                "points": len(y),
                "first": float(y[0]),
                "last": float(y[-1]),
                "mean": float(y.mean()),
                "slope_per_day": slope,
                "slope_low": low,
                "slope_high": high,
                "direction": direction(len(y), slope, low, high),
                "era_break": bool(g["era_break"][0]),
            }
        )
    return pl.DataFrame(rows, schema=TREND_SCHEMA).sort(KEYS)
