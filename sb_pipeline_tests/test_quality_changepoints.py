"""Alerts located by change point (issue 13): the cases a fixed split (the last 7 days against the rest, >= 5 runs
each side) gets wrong, with exact expectations on hand-made series: a drop 12 days ago, three runs after a drop
every three days, a single bad run, 0/100 build results, recovery, change_at and the interval."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl

from sb_pipeline.quality.alerts import detect_alerts, improvements
from sb_pipeline.quality.changepoints import MIN_RUNS, judge
from sb_pipeline_tests.conftest import bench_module

fixed_split_alerts = bench_module("baselines").fixed_split_alerts
AS_OF = datetime(2026, 11, 20, 6, tzinfo=timezone.utc)


def points(values, ages, metric="lint_score", project="p") -> pl.DataFrame:
    """One run per (value, age in days before AS_OF)."""
    return pl.DataFrame({"project": project, "metric": metric, "value": [float(v) for v in values],
                         "observed_at": [AS_OF - timedelta(days=float(a)) for a in ages],
                         "run_id": [f"r{i}" for i in range(len(values))], "formula_era": "v2"},
                        schema_overrides={"observed_at": pl.Datetime("us", "UTC")})


def noisy(level, n, seed, sd=1.5):
    return list(level + np.random.default_rng(seed).normal(0, sd, n))


def test_a_drop_twelve_days_ago_alerts_where_the_fixed_split_dilutes_it():
    ages = list(np.arange(29.5, 0, -1.0))  # a run a day
    values = noisy(88, 18, 1) + noisy(66, 12, 2)  # -25 % from 12 days ago (the run at age 11.5)
    pts = points(values, ages)
    [alert] = detect_alerts(pts, AS_OF, 30).to_dicts()
    assert alert["severity"] == "critical" and alert["change_run_id"] == "r18"
    assert alert["change_at"] == AS_OF - timedelta(days=11.5)
    assert (alert["runs_before"], alert["runs_after"]) == (18, 12)
    assert alert["change_pct_low"] <= -25 * 0.9 and alert["change_pct_high"] >= -25 * 1.1
    fixed = fixed_split_alerts(pts, AS_OF, 30)  # the last 7 days against a baseline that holds 5 bad days
    assert fixed.is_empty() or fixed["change_pct"][0] > alert["change_pct"]


def test_three_runs_after_a_large_drop_alert_and_a_single_bad_run_never_does():
    ages = [28, 25, 22, 19, 16, 13, 10, 7, 4, 1]  # every 3 days
    drop = points(noisy(90, 7, 3) + noisy(65, 3, 4), ages)
    [alert] = detect_alerts(drop, AS_OF, 30).to_dicts()
    assert (alert["runs_before"], alert["runs_after"], alert["change_run_id"]) == (7, 3, "r7")
    assert alert["p_value"] < 0.05 and alert["severity"] == "critical"
    assert fixed_split_alerts(drop, AS_OF, 30).is_empty()  # 2 runs in the last 7 days: below its 5 + 5
    for bad in (9, 8, 5):  # the latest, the one before, one in the middle
        values = noisy(90, 10, 5)
        values[bad] = 40.0
        assert detect_alerts(points(values, ages), AS_OF, 30).is_empty(), bad
    two_bad = noisy(90, 10, 6)
    two_bad[8:] = [40.0, 41.0]  # two runs are not a regime either
    assert detect_alerts(points(two_bad, ages), AS_OF, 30).is_empty()


def test_build_status_is_judged_as_a_failure_rate():
    rng = np.random.default_rng(7)
    ages = list(np.arange(29.7, 0, -0.6))  # 50 runs
    ok = np.r_[rng.random(30) < 0.97, rng.random(20) < 0.45]  # pass rate ~97 % -> ~45 % from the 31st run
    pts = points(np.where(ok, 100.0, 0.0), ages, metric="build_status")
    [alert] = detect_alerts(pts, AS_OF, 30).to_dicts()
    before, after = ok[: alert["runs_before"]].mean() * 100, ok[-alert["runs_after"]:].mean() * 100
    assert (alert["baseline_value"], alert["current_value"]) == (before, after)  # pass rates, not medians
    evidence = json.loads(alert["evidence"])
    assert "Fisher exact" in evidence["test"] and evidence["noise_p"] < 0.05
    noise = points(np.where(np.random.default_rng(8).random(50) < 0.9, 100.0, 0.0), ages, metric="build_status")
    assert detect_alerts(noise, AS_OF, 30).is_empty()


def test_recovery_resolves_and_a_partial_recovery_keeps_the_alert():
    ages = list(np.arange(29.5, 0, -1.0))
    dropped = points(noisy(88, 10, 9) + noisy(66, 10, 10), ages[:20])
    assert detect_alerts(dropped, AS_OF - timedelta(days=10), 20)["severity"].to_list() == ["critical"]
    recovered = points(noisy(88, 10, 9) + noisy(66, 10, 10) + noisy(87, 10, 11), ages)
    assert detect_alerts(recovered, AS_OF, 30).is_empty()  # a later change brought the level back within the band
    partial = points(noisy(88, 10, 9) + noisy(66, 10, 10) + noisy(78, 10, 11), ages)
    [alert] = detect_alerts(partial, AS_OF, 30).to_dicts()
    assert alert["severity"] == "warning" and alert["change_run_id"] == "r10"  # still 11 % below the level before
    assert -15 < alert["change_pct"] < -9 and alert["runs_after"] == 10  # the current level against the one before


def test_noise_improvements_and_too_few_runs_stay_silent():
    ages = list(np.arange(29.5, 0, -0.5))
    for seed in range(20):
        assert detect_alerts(points(noisy(80, 59, seed, sd=2.0), ages), AS_OF, 30).is_empty(), seed
    rise = points(noisy(60, 30, 12) + noisy(80, 29, 13), ages, metric="complexity_score")
    assert detect_alerts(rise, AS_OF, 30).is_empty() and improvements(rise, AS_OF, 30)["severity"].to_list() == ["improved"]
    thin = points([90, 91, 60, 61, 59], [20, 15, 5, 3, 1])  # 2 before, 3 after: fewer than 2 x MIN_RUNS
    assert 5 < 2 * MIN_RUNS and detect_alerts(thin, AS_OF, 30).is_empty()


def test_judge_is_deterministic_and_long_series_are_located_on_blocks():
    rng = np.random.default_rng(3)
    values = np.r_[rng.normal(80, 2, 2000), rng.normal(70, 2, 1000)]  # 3,000 runs: 400 blocks
    shift = judge(values, binary=False, merge_pct=5.0)
    assert abs(shift.change_index - 2000) <= 8 and shift.p_value <= 0.02  # within a block of 7-8 runs
    assert shift == judge(values, binary=False, merge_pct=5.0)
