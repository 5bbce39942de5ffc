"""Trends + alerts over 1M metric points (synthetic): period stats, Theil-Sen slopes, alert detection and
lifecycle, as the quality assets run them. Goal: <= 5 s on this 2-core machine.

    .venv/bin/python bench/quality_scale.py [--points 1000000] [--projects 50] [--days 30]

All points fall inside the analysis window (the worst case: every point is used).
"""

import argparse
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl

from sb_pipeline.quality.alerts import detect_alerts, lifecycle
from sb_pipeline.quality.trends import period_stats, series_trends

METRICS = ["build_status", "code_coverage", "lint_score", "security_score", "complexity_score", "test_pass_rate"]


def synthetic(n: int, projects: int, days: float, as_of: datetime, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    series = projects * len(METRICS)
    sid = rng.integers(0, series, n)
    offsets = rng.uniform(0, days * 86400 - 1, n)
    level = 60 + 30 * rng.random(series)
    value = np.clip(level[sid] + rng.normal(0, 3, n) - (offsets < 7 * 86400) * (sid % 7 == 0) * 20, 0, 100)
    return pl.DataFrame({
        "project": [f"p{i // len(METRICS):03d}" for i in sid],
        "metric": [METRICS[i % len(METRICS)] for i in sid],
        "value": value,
        "observed_at": [as_of - timedelta(seconds=float(s)) for s in offsets],
        "run_id": None,
        "formula_era": "v2",
    }, schema_overrides={"observed_at": pl.Datetime("us", "UTC"), "run_id": pl.Utf8})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--projects", type=int, default=50)
    parser.add_argument("--days", type=float, default=30)
    args = parser.parse_args()
    as_of = datetime(2026, 11, 20, tzinfo=timezone.utc)
    points = synthetic(args.points, args.projects, args.days, as_of)
    timings = {}
    started = time.perf_counter()
    t = time.perf_counter(); periods = period_stats(points, as_of, args.days); timings["period_stats"] = time.perf_counter() - t
    t = time.perf_counter(); slopes = series_trends(points, as_of, args.days); timings["series_trends (Theil-Sen)"] = time.perf_counter() - t
    t = time.perf_counter(); alerts = detect_alerts(points, as_of, args.days, recent_days=7); timings["detect_alerts"] = time.perf_counter() - t
    t = time.perf_counter(); lifecycle(alerts.head(0), alerts, as_of); timings["lifecycle"] = time.perf_counter() - t
    total = time.perf_counter() - started
    print(f"{points.height:,} points, {slopes.height} series, {periods.height:,} period rows, {alerts.height} alerts")
    for name, seconds in timings.items():
        print(f"{name:<28} {seconds:6.2f} s")
    print(f"{'total':<28} {total:6.2f} s  (goal <= 5 s: {'met' if total <= 5 else 'NOT met'})")


if __name__ == "__main__":
    main()
