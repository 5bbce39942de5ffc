"""Alert quality on synthetic Crackerjack series with KNOWN outcomes: our detector (median drop band +
one-sided Mann-Whitney, sb_pipeline.quality.alerts.detect_alerts) vs the seed monitor's half-window mean
rule (seed_half_window_alerts, threshold 10%), over the very same series.

Each scenario draws --trials independent series (fixed --seed); all trials of a scenario go into one frame,
one `project` per trial, so each method runs once per scenario. Run times are uniform in the window, about
--runs-per-day runs a day. "alert rate" = share of series with at least one alert; on noise, improvements
and a single bad run that is the FALSE-alert rate, on drops the detection rate. Goals for ours: <= 5% on
noise, >= 90% on sustained 25% drops, 0% on improvements.

    .venv/bin/python bench/alert_quality.py [--trials 500] [--seed 7] [--runs-per-day 2]
"""

import argparse
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl

from baselines import seed_half_window_alerts

from sb_pipeline.quality.alerts import detect_alerts

AS_OF = datetime(2026, 9, 1, 6, 0, tzinfo=timezone.utc)


def _times(rng, n: int, days: int) -> np.ndarray:
    """Sorted ages in days (0 = as_of), strictly inside the window."""
    return np.sort(rng.uniform(0.0, days, n))[::-1]


def _step(rng, ages, before, after, noise, change_age):
    values = np.where(ages > change_age, before, after) + rng.normal(0, noise, len(ages))
    return values


def scenario(name: str, rng, rpd: float):
    """(days, metric, expected, generator(rng) -> (ages, values)) for a named scenario."""
    def n(days):
        return max(1, rng.poisson(rpd * days))

    def noise_cov():
        ages = _times(rng, n(14), 14)
        return ages, 80 + rng.normal(0, 2, len(ages))

    def noise_lint():
        ages = _times(rng, n(14), 14)
        v = 90 + rng.normal(0, 1.5, len(ages))
        dips = rng.random(len(ages)) < 0.05
        v[dips] = rng.uniform(60, 75, dips.sum())
        return ages, v

    def noise_build():
        ages = _times(rng, n(14), 14)
        return ages, np.where(rng.random(len(ages)) < 0.9, 100.0, 0.0)

    def drop(lo, hi, base=80.0, sign=-1.0):
        def gen():
            ages = _times(rng, n(14), 14)
            frac = rng.uniform(lo, hi)
            return ages, _step(rng, ages, base, base * (1 + sign * frac), 2.0, rng.uniform(4.0, 6.0))
        return gen

    def few():
        ages = _times(rng, int(rng.integers(3, 5)), 14)
        v = 80 + rng.normal(0, 2, len(ages))
        v[: max(1, len(ages) // 2)] *= 0.75  # newest half dropped 25%
        return ages, v

    def single_bad():
        ages = _times(rng, n(7), 7)
        v = 80 + rng.normal(0, 2, len(ages))
        v[0] = 0.0  # the latest run: coverage tool crashed
        return ages, v

    table = {
        "noise coverage 80+-2": (14, "code_coverage", "no alert", noise_cov),
        "noise lint 90+-1.5, 5% dips": (14, "lint_score", "no alert", noise_lint),
        "noise build 90% pass": (14, "build_status", "no alert", noise_build),
        "sustained drop 25%": (14, "code_coverage", "alert", drop(0.25, 0.25)),
        "drop 10-15%": (14, "code_coverage", "alert", drop(0.10, 0.15)),
        "improvement +15%": (14, "code_coverage", "no alert", drop(0.15, 0.15, 70.0, +1.0)),
        "complexity improvement +25%": (14, "complexity_score", "no alert", drop(0.25, 0.25, 60.0, +1.0)),
        "few points (3-4), 25% drop": (14, "code_coverage", "no alert", few),
        "single bad run (7d)": (7, "code_coverage", "no alert", single_bad),
    }
    return table[name]


def build(name: str, trials: int, rng, rpd: float) -> tuple[int, str, pl.DataFrame]:
    days, metric, expected, gen = scenario(name, rng, rpd)
    frames = []
    for t in range(trials):
        ages, values = gen()
        frames.append(
            pl.DataFrame(
                {
                    "project": f"trial{t:04d}",
                    "metric": metric,
                    "value": np.clip(values, 0, 100).astype(float),
                    "observed_at": [AS_OF - timedelta(days=float(a)) for a in ages],
                    "run_id": None,
                    "formula_era": "v2",
                },
                schema_overrides={"observed_at": pl.Datetime("us", "UTC"), "run_id": pl.Utf8},
            )
        )
    return days, expected, pl.concat(frames)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs-per-day", type=float, default=2.0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    names = [
        "noise coverage 80+-2", "noise lint 90+-1.5, 5% dips", "noise build 90% pass", "sustained drop 25%",
        "drop 10-15%", "improvement +15%", "complexity improvement +25%", "few points (3-4), 25% drop",
        "single bad run (7d)",
    ]
    print(f"{args.trials} trials per scenario, seed {args.seed}, ~{args.runs_per_day:g} runs/day, as_of {AS_OF:%Y-%m-%d}")
    print(f"{'scenario':<30} {'expected':<9} {'ours':>7} {'seed':>7}   ours severities")
    for name in names:
        days, expected, points = build(name, args.trials, rng, args.runs_per_day)
        ours = detect_alerts(points, AS_OF, days)
        seed = seed_half_window_alerts(points, AS_OF, days, threshold_pct=10.0)
        rate_ours = ours["project"].n_unique() / args.trials
        rate_seed = seed["project"].n_unique() / args.trials
        sev = ", ".join(f"{s}={c}" for s, c in sorted(ours["severity"].value_counts().iter_rows()))
        print(f"{name:<30} {expected:<9} {rate_ours:>7.1%} {rate_seed:>7.1%}   {sev or '-'}")
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
