"""Crackerjack quality trends and alerts: exact statistics on handcrafted data, the alert rules' known
outcomes (drops alert, improvements / noise / one bad run do not), edge windows, eras, lifecycle, as_of."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest

from sb_pipeline_tests.conftest import bench_module
from sb_pipeline.quality.alerts import (
    ALERT_SCHEMA,
    LIFECYCLE_SCHEMA,
    detect_alerts,
    improvements,
    lifecycle,
)
from sb_pipeline.quality.trends import PERIOD_SCHEMA, TREND_SCHEMA, period_stats, series_trends

seed_half_window_alerts = bench_module("baselines").seed_half_window_alerts

AS_OF = datetime(2026, 8, 12, 12, 0, tzinfo=timezone.utc)  # a Wednesday


def frame(rows) -> pl.DataFrame:
    """rows: (project, metric, value, observed_at, era)."""
    return pl.DataFrame(
        {
            "project": [r[0] for r in rows],
            "metric": [r[1] for r in rows],
            "value": [float(r[2]) for r in rows],
            "observed_at": [r[3] for r in rows],
            "run_id": [f"run{i}" for i in range(len(rows))],
            "formula_era": [r[4] for r in rows],
        },
        schema={
            "project": pl.Utf8,
            "metric": pl.Utf8,
            "value": pl.Float64,
            "observed_at": pl.Datetime("us", "UTC"),
            "run_id": pl.Utf8,
            "formula_era": pl.Utf8,
        },
    )


def series(values, days=14.0, metric="code_coverage", project="p", era="v2", as_of=AS_OF) -> pl.DataFrame:
    """Values evenly spaced over the window, oldest first, the last one exactly at as_of."""
    n = len(values)
    step = days / n
    return frame([(project, metric, v, as_of - timedelta(days=step * (n - 1 - i)), era) for i, v in enumerate(values)])


def noisy(level, n, seed, sd=1.0):
    return list(level + np.random.default_rng(seed).normal(0, sd, n))


def step_down(before, after, n=30, seed=1):
    """Level `before` for the first 2/3 of the runs, `after` for the last third, small noise."""
    k = n - n // 3
    return noisy(before, k, seed) + noisy(after, n - k, seed + 100)


def t(day, hour):
    return datetime(2026, 8, day, hour, tzinfo=timezone.utc)


def test_period_stats_exact():
    pts = frame(
        [
            ("p", "code_coverage", 10, AS_OF - timedelta(days=10), "v2"),  # exactly at the open lower bound: out
            ("p", "code_coverage", 74, t(6, 14), "v2"),  # unsorted on purpose
            ("p", "code_coverage", 70, t(6, 10), "v2"),
            ("p", "code_coverage", 80, t(10, 9), "v2"),
            ("p", "code_coverage", 78, t(11, 9), "v2"),
            ("p", "code_coverage", 82, AS_OF, "v2"),  # exactly at as_of: in
            ("p", "code_coverage", 0, t(13, 9), "v2"),  # after as_of: out
        ]
    )
    out = period_stats(pts, AS_OF, 10)
    assert out.schema == pl.Schema(PERIOD_SCHEMA)
    rows = {(r["period"], r["period_start"]): r for r in out.iter_rows(named=True)}
    assert set(rows) == {
        ("day", date(2026, 8, 6)), ("day", date(2026, 8, 10)), ("day", date(2026, 8, 11)), ("day", date(2026, 8, 12)),
        ("week", date(2026, 8, 3)), ("week", date(2026, 8, 10)),
    }
    d = rows[("day", date(2026, 8, 6))]
    assert (d["count"], d["mean"], d["median"], d["min"], d["max"], d["first"], d["last"]) == (2, 72, 72, 70, 74, 70, 74)
    w = rows[("week", date(2026, 8, 10))]  # Monday start
    assert (w["count"], w["mean"], w["median"], w["min"], w["max"], w["first"], w["last"]) == (3, 80, 80, 78, 82, 80, 82)
    assert rows[("week", date(2026, 8, 3))]["count"] == 2


def test_theil_sen_exact():
    pts = frame([("p", "lint_score", v, AS_OF - timedelta(days=k), "v2") for k, v in zip([4, 3, 2, 1, 0], [70, 72, 71, 75, 76])])
    r = series_trends(pts, AS_OF, 7).row(0, named=True)
    # pairwise slopes: -1, .5, 1, 4/3, 1.5, 1.5, 5/3, 2, 2.5, 4 -> median 1.5; with 5 points the 95% CI
    # spans every pairwise slope, so it contains 0 and the series is "stable" despite the rise
    assert r["slope_per_day"] == pytest.approx(1.5)
    assert (r["slope_low"], r["slope_high"]) == (pytest.approx(-1.0), pytest.approx(4.0))
    assert (r["points"], r["first"], r["last"], r["mean"]) == (5, 70, 76, 72.8)
    assert r["direction"] == "stable" and r["era_break"] is False
    longer = frame([("p", "lint_score", 70 + k + (k % 3), AS_OF - timedelta(days=12 - k), "v2") for k in range(13)])
    assert series_trends(longer, AS_OF, 14)["direction"].to_list() == ["improving"]
    assert series_trends(longer.with_columns((160 - pl.col("value")).alias("value")), AS_OF, 14)["direction"].to_list() == ["declining"]


def test_degradation_alerts_with_band():
    crit = detect_alerts(series(step_down(80, 56)), AS_OF, 14)  # 30% drop
    assert crit.schema == pl.Schema(ALERT_SCHEMA)
    r = crit.row(0, named=True)
    assert r["severity"] == "critical" and r["change_pct"] < -25 and r["p_value"] < 0.05
    assert (r["runs_before"], r["runs_after"]) == (20, 10)  # the change point is the first of the last 10 runs
    pts = series(step_down(80, 56))
    assert (r["change_at"], r["change_run_id"]) == (pts["observed_at"][20], "run20")
    assert r["change_pct_low"] <= r["change_pct"] <= r["change_pct_high"] < -25
    assert "Mann-Whitney" in json.loads(r["evidence"])["test"]
    warn = detect_alerts(series(step_down(80, 68)), AS_OF, 14)  # 15% drop
    assert warn["severity"].to_list() == ["warning"]
    custom = detect_alerts(series(step_down(80, 68)), AS_OF, 14, bands=((20, "critical"),))
    assert custom.is_empty()  # 15% is below the only configured band


def test_improvements_never_alert():
    pts = pl.concat(
        [
            series(step_down(70, 85)),
            series(step_down(60, 75), metric="complexity_score"),  # higher is better: complexity too
        ]
    )
    assert detect_alerts(pts, AS_OF, 14).is_empty()
    imp = improvements(pts, AS_OF, 14)
    assert sorted(imp["metric"].to_list()) == ["code_coverage", "complexity_score"]
    assert set(imp["severity"]) == {"improved"}
    trends = series_trends(pts, AS_OF, 14)
    assert set(trends["direction"]) == {"improving"}
    seed = seed_half_window_alerts(pts, AS_OF, 14)  # the seed pages on both and inverts complexity
    assert dict(zip(seed["metric"], seed["direction"])) == {"code_coverage": "improving", "complexity_score": "declining"}


def test_noise_and_single_bad_run_do_not_alert():
    assert detect_alerts(series(noisy(80, 40, seed=3, sd=2.0)), AS_OF, 14).is_empty()
    bad = noisy(80, 14, seed=4, sd=2.0)
    bad[-1] = 0.0  # the latest run crashed
    pts = series(bad, days=7)
    assert detect_alerts(pts, AS_OF, 7).is_empty()
    assert not seed_half_window_alerts(pts, AS_OF, 7).is_empty()  # the seed's mean rule pages


def test_one_day_window():
    pts = series(step_down(80, 40, n=6), days=1, as_of=AS_OF - timedelta(minutes=1))  # runs precede "now"
    assert detect_alerts(pts, AS_OF, 1).is_empty()  # 3 vs 3 runs: below min_points
    assert seed_half_window_alerts(pts, AS_OF, 1).is_empty()  # days//2 == 0: the seed has no halves
    assert series_trends(pts, AS_OF, 1)["points"].to_list() == [6]
    assert period_stats(pts, AS_OF, 1)["count"].sum() == 12  # every run in one day and one week row
    dense = series(step_down(80, 40, n=24), days=1)
    assert detect_alerts(dense, AS_OF, 1)["severity"].to_list() == ["critical"]  # enough runs: a real drop


def test_empty_window():
    pts = series(noisy(80, 10, seed=5), as_of=AS_OF - timedelta(days=60))
    for fn, schema in ((period_stats, PERIOD_SCHEMA), (series_trends, TREND_SCHEMA), (detect_alerts, ALERT_SCHEMA), (improvements, ALERT_SCHEMA)):
        out = fn(pts, AS_OF, 7)
        assert out.is_empty() and out.schema == pl.Schema(schema)
    assert seed_half_window_alerts(pts.clear(), AS_OF, 7).is_empty()
    assert lifecycle(pl.DataFrame(schema=LIFECYCLE_SCHEMA), detect_alerts(pts, AS_OF, 7), AS_OF).is_empty()


def test_era_break_uses_latest_era_only():
    v1 = series(noisy(92, 20, seed=6), days=14).with_columns(pl.lit("v1").alias("formula_era"))
    v2 = series(noisy(60, 10, seed=7), days=4)  # the new formula scores lower; the code did not change
    pts = pl.concat([v1.filter(pl.col("observed_at") < AS_OF - timedelta(days=4)), v2])
    r = series_trends(pts, AS_OF, 14).row(0, named=True)
    assert r["era_break"] is True and r["formula_era"] == "v2" and r["points"] == 10
    assert detect_alerts(pts, AS_OF, 14).is_empty()  # the v1 -> v2 step is not a regression
    assert not seed_half_window_alerts(pts, AS_OF, 14).is_empty()  # the seed reads it as one
    eras = period_stats(pts, AS_OF, 14).filter(pl.col("period") == "week")
    assert set(eras["formula_era"]) == {"v1", "v2"}


def test_lifecycle_new_ongoing_resolved():
    drop = series(step_down(80, 56))
    day = timedelta(days=1)
    a1 = detect_alerts(drop, AS_OF, 14)
    s1 = lifecycle(pl.DataFrame(schema=LIFECYCLE_SCHEMA), a1, AS_OF)
    assert s1.schema == pl.Schema(LIFECYCLE_SCHEMA)
    assert s1.select("status", "first_seen", "last_seen").rows() == [("new", AS_OF, AS_OF)]
    s2 = lifecycle(s1, detect_alerts(drop, AS_OF, 14), AS_OF + day)
    assert s2.select("status", "first_seen", "last_seen").rows() == [("ongoing", AS_OF, AS_OF + day)]
    s3 = lifecycle(s2, detect_alerts(drop, AS_OF, 14).clear(), AS_OF + 2 * day)
    assert s3.select("status", "first_seen", "last_seen", "severity").rows() == [("resolved", AS_OF, AS_OF + day, "critical")]
    assert lifecycle(s3, a1.clear(), AS_OF + 3 * day).is_empty()  # a resolution is announced once
    again = lifecycle(s3, a1, AS_OF + 3 * day)
    assert again.select("status", "first_seen").rows() == [("new", AS_OF + 3 * day)]


def test_as_of_reproducible_and_utc_only():
    pts = pl.concat([series(step_down(80, 56)), series(noisy(90, 25, seed=8), metric="lint_score", project="q")])
    shuffled = pts.sample(fraction=1.0, shuffle=True, seed=1)
    for fn in (period_stats, series_trends, detect_alerts, improvements):
        first = fn(pts, AS_OF, 14)
        assert first.equals(fn(pts, AS_OF, 14)) and first.equals(fn(shuffled, AS_OF, 14))
    later = pl.concat([pts, series([0.0] * 5, days=2, as_of=AS_OF + timedelta(days=2))])
    assert detect_alerts(later, AS_OF, 14).equals(detect_alerts(pts, AS_OF, 14))  # runs after as_of ignored
    with pytest.raises(ValueError):
        detect_alerts(pts, datetime(2026, 8, 12, 12), 14)


def test_sampled_theil_sen_agrees_with_the_exact_one_on_large_series():
    """Above EXACT_THEIL_SEN_MAX points the pairwise slopes are sampled (1M points in ~4 s, not ~130 s)."""
    import numpy as np
    from scipy import stats

    from sb_pipeline.quality.trends import EXACT_THEIL_SEN_MAX, theil_sen

    rng = np.random.default_rng(3)
    n = EXACT_THEIL_SEN_MAX * 3
    x = np.sort(rng.uniform(0, 30, n))
    y = 80 - 0.3 * x + rng.normal(0, 3, n)
    exact = stats.theilslopes(y, x, alpha=0.95)
    sampled = theil_sen(x, y)
    assert all(abs(a - b) < 0.005 for a, b in zip(sampled, (exact[0], exact[2], exact[3])))
    assert theil_sen(x, y) == sampled  # reproducible: a fixed seed
