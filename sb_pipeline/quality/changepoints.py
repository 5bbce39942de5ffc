"""Where a quality series' level last changed, and whether that change is a real drop (or rise).

Why change points instead of a fixed split (the last 7 days against the rest): a drop that began 8-15 days
ago is diluted by a fixed split, and a project that runs its checks every few days has too few runs in any
fixed recent window. Apache Otava (ex-Hunter) and MongoDB's performance CI answer this by locating where a
series' level shifted and then judging the shift; this module does the same in three steps:

1. Locate (``segment``): PELT from ``ruptures`` (``KernelCPD``, linear kernel: the C implementation) on the
   series' mid-ranks scaled to (0, 1]. Ranks make the search rank-based: scale-free (coverage, lint and pass
   rates share one penalty), a wild run moves one rank only, 0/100 ties are handled. The penalty is
   ``PENALTY * var(ranks) * log(n)`` (BIC-like in the ranks' own variance); segments have >= ``MIN_RUNS`` runs.
   A series longer than ``MAX_POINTS`` is located on medians of consecutive blocks of runs (a block of a
   3,000-run month is about two hours), so location costs the same for every long series.
2. Regimes (``regimes``): adjacent segments whose levels differ by less than the smallest alert band are
   merged: a level change too small to alert is not a regime change, and merging keeps a degraded stretch
   that noise split in two together.
3. Judge (``judge``): the current regime (the last one) against every run before the most recent change in
   the direction asked for (a drop for alerts, a rise for improvements). A later rise that brings the level
   back within the band therefore ends the alert. "Every run before", not just the previous segment: the
   segments' ends were chosen by the data, and comparing two of them would test noise that PELT itself
   picked out. With a single change the split is where the rank statistic is best, moved on to the first run
   that is itself changed by the smallest band (``first_changed``: change_at is the first degraded run).
   Two one-sided tests, each accounting for having searched for the split: the rank test (the standardised
   Mann-Whitney statistic at the split, with a permutation p-value of the BEST split's statistic over every
   split of the pooled runs: >= ``MIN_BEFORE`` before, >= ``MIN_RUNS`` after) and the noise test (Yuen's
   trimmed t at the split times the number of splits searched: the drop against the series' own noise; how
   three runs after a large drop can alert, where permutations of a few runs cannot reach a small p). One wild
   run blinds one of them but not the other: in the baseline, below the runs after a drop, it spoils the ranks;
   inside a three-run regime it spoils the t (nothing is trimmed in so few runs). So below ``NOISE_MAX`` pooled
   runs of a measured metric either test may judge, each at half the level (Bonferroni: p is twice the smaller
   p); from there on the rank test alone judges (the noise test adds no detection there, README). For 0/100
   metrics both count the same failures (a Monte Carlo conditional test of two proportions; Fisher's exact
   test times the splits below ``SMALL`` runs, where permutations cannot reach 0.05): the run count picks one.
   Which rule applies depends on the number of runs only, never on their values. Not kept (README): tests
   valid under serial correlation with the lag-1 autocorrelation estimated from the series (it cannot be
   estimated in the short series where the false alerts on autocorrelated noise are).

The minimum sample is statistical: three runs after a change can alert when they sit below nearly all the
runs before it (a large drop against the series' own noise); a single bad run never can (a regime has at
least ``MIN_RUNS`` runs and its level is a median).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

MIN_RUNS = 3  # runs in a regime, and after a judged change
MIN_BEFORE = 3  # runs before a judged change (5 was tried: fewer drops found, as many false alerts)
MAX_POINTS = 400  # longer series are located and judged on block medians
PENALTY = 1.0  # chosen on the development series (bench/alert_quality.py --tune, seed 7); see the README
FIRST_PERMUTATIONS, MORE_PERMUTATIONS = 99, 900  # two-stage Monte Carlo p-value
PERMUTATION_SEED = 20261120
SAMPLED_PAIRS = 20_000  # pairwise differences for the interval of a long series (fixed seed)
SMALL = 12  # 0/100 metrics: pooled runs below which Fisher's exact test judges (permutations cannot reach 0.05)
NOISE_MAX = 20  # pooled runs below which the noise test may judge too (Bonferroni); chosen on the development series
TRIM = 0.2  # Yuen's trimmed t-test: 20 % of each tail set aside, so one wild run in five cannot hide a drop


@dataclass(frozen=True)
class Shift:
    """A judged level change: runs [before_start, change_index) against [after_start, n)."""

    change_index: int  # the first run of the regime that changed (its time and id are change_at)
    before_start: int
    before_end: int
    after_start: int
    level_before: float  # median, or pass rate (%) for 0/100 metrics
    level_after: float
    change_pct: float  # signed, % of level_before
    change_pct_low: float  # 95 % interval of the change, % of level_before
    change_pct_high: float
    p_value: float  # one-sided, search-adjusted: 2 x min(rank_p, noise_p) below NOISE_MAX runs, else rank_p
    judged_by: str  # "noise" or "rank": the test whose p-value made p_value
    rank_p: float  # permutation p of the best split's Mann-Whitney statistic
    noise_p: float  # t-test (Fisher's exact test for 0/100 metrics) at the split x the number of splits searched
    statistic: float  # standardised Mann-Whitney z at the split, signed (negative = lower after)
    noise_sd: float  # the series' own noise: MAD of successive differences / (0.6745 x sqrt 2); 0 for 0/100 metrics
    effect_sd: float  # |level_after - level_before| / noise_sd (inf when the noise is 0)
    runs_before: int
    runs_after: int


def ranks01(values: np.ndarray) -> np.ndarray:
    from scipy import stats
    return stats.rankdata(values) / len(values)


def _blocks(values: np.ndarray, binary: bool) -> tuple[np.ndarray, np.ndarray]:
    """(block values, first run index of each block): single runs up to MAX_POINTS, else consecutive blocks."""
    n = len(values)
    if n <= MAX_POINTS:
        return values, np.arange(n)
    starts = np.linspace(0, n, MAX_POINTS + 1).astype(int)[:-1]
    sizes = np.diff(np.append(starts, n))
    if binary:
        return np.add.reduceat(values, starts) / sizes, starts
    grid = np.full((MAX_POINTS, int(sizes.max())), np.nan)  # one row per block, padded: one vectorised median
    grid[np.repeat(np.arange(MAX_POINTS), sizes), np.arange(n) - np.repeat(starts, sizes)] = values
    return np.nanmedian(grid, axis=1), starts


def segment(values: np.ndarray, penalty: float = PENALTY) -> list[int]:
    """Segment ends (exclusive, the last is len(values)) found by PELT on the scaled mid-ranks."""
    import ruptures
    n = len(values)
    if n < 2 * MIN_RUNS:
        return [n]
    r = ranks01(values)
    spread = float(r.var())
    if spread == 0.0:
        return [n]
    algo = ruptures.KernelCPD(kernel="linear", min_size=MIN_RUNS, jump=1).fit(r.reshape(-1, 1))
    return [int(b) for b in algo.predict(pen=penalty * spread * np.log(n))]


def level(values: np.ndarray, binary: bool) -> float:
    return float(values.mean()) if binary else float(np.median(values))


def _relative(a: float, b: float) -> float:
    """(b - a) / a in %, 0 when both are 0, inf when only a is."""
    if a == 0:
        return 0.0 if b == 0 else float("inf") * np.sign(b)
    return (b - a) / abs(a) * 100.0


def regimes(values: np.ndarray, ends: list[int], merge_pct: float, binary: bool) -> list[tuple[int, int]]:
    """[start, end) runs per regime: segments merged while two neighbours' levels differ by < merge_pct %
    (the closest pair first)."""
    bounds = [(s, e) for s, e in zip([0, *ends[:-1]], ends)]
    while len(bounds) > 1:
        levels = [level(values[s:e], binary) for s, e in bounds]
        gaps = [abs(_relative(max(a, b), min(a, b))) for a, b in zip(levels, levels[1:])]
        i = int(np.argmin(gaps))
        if gaps[i] >= merge_pct:
            break
        bounds[i:i + 2] = [(bounds[i][0], bounds[i + 1][1])]
    return bounds


def _z_all_splits(r: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Standardised Mann-Whitney z of 'after is lower' (negated: larger = lower after) for every split k in
    [lo, hi] of each row of rank matrix ``r`` (shape (B, m)); before = r[:, :k], after = r[:, k:]."""
    m = r.shape[1]
    tail = np.cumsum(r[:, ::-1], axis=1)[:, ::-1]  # tail[:, k] = sum of ranks of r[:, k:]
    k = np.arange(lo, hi + 1)
    a = m - k
    u_after = tail[:, k] - a * (a + 1) / 2.0
    return -(u_after - a * k / 2.0) / np.sqrt(a * k * (m + 1) / 12.0)


def best_split(span: np.ndarray, worse: bool) -> int:
    """The split k (>= MIN_BEFORE runs before, >= MIN_RUNS after) whose Mann-Whitney statistic is the most
    extreme in the asked direction; the earliest of equals."""
    from scipy import stats
    r = stats.rankdata(span * (1.0 if worse else -1.0))
    return MIN_BEFORE + int(np.argmax(_z_all_splits(r[None, :], MIN_BEFORE, len(r) - MIN_RUNS)[0]))


def first_changed(points: np.ndarray, split: int, merge_pct: float, binary: bool, worse: bool) -> int:
    """The split moved past leading runs that are not themselves changed by at least ``merge_pct`` % of the
    level before it (so change_at is the first degraded run, and two bad runs after a good one are not three)."""
    if binary:
        return split
    base = level(points[:split], binary)
    changed = (points < base * (1 - merge_pct / 100)) if worse else (points > base * (1 + merge_pct / 100))
    while split < len(points) and not changed[split]:
        split += 1
    return split


def search_adjusted_p(before: np.ndarray, after: np.ndarray, worse: bool) -> tuple[float, float]:
    """(p, z): z is the one-sided standardised statistic at the given split (positive = in the asked
    direction); p is the share of permutations of the pooled runs whose BEST split is at least as extreme."""
    from scipy import stats
    pooled = np.concatenate([before, after]) * (1.0 if worse else -1.0)
    r = stats.rankdata(pooled)
    m, k = len(r), len(before)
    lo, hi = MIN_BEFORE, m - MIN_RUNS
    observed = float(_z_all_splits(r[None, :], k, k)[0, 0])
    if np.all(r == r[0]):
        return 1.0, 0.0
    rng = np.random.default_rng([PERMUTATION_SEED, k, m - k])
    exceed, total = 0, 0
    for batch in (FIRST_PERMUTATIONS, MORE_PERMUTATIONS):
        perms = rng.permuted(np.tile(r, (batch, 1)), axis=1)
        exceed += int((_z_all_splits(perms, lo, hi).max(axis=1) >= observed - 1e-9).sum())
        total += batch
        p = (1 + exceed) / (1 + total)
        if exceed == 0 or exceed >= 10:  # clearly below 1 % or clearly above 5 %: no need for more
            break
    return p, observed * (-1.0 if worse else 1.0)


def _interval(before: np.ndarray, after: np.ndarray, binary: bool, base: float) -> tuple[float, float]:
    """95 % interval of (after - before) in % of ``base``: Newcombe's (Wilson) for pass rates, else the
    Hodges-Lehmann (Moses) interval from the pairwise differences (sampled beyond SAMPLED_PAIRS)."""
    from scipy import stats
    if binary:
        ok_b, ok_a = int((before > 0).sum()), int((after > 0).sum())
        lb, ub = stats.binomtest(ok_b, len(before)).proportion_ci(method="wilson")
        la, ua = stats.binomtest(ok_a, len(after)).proportion_ci(method="wilson")
        pb, pa = ok_b / len(before), ok_a / len(after)
        low = (pa - pb) - np.sqrt((pb - lb) ** 2 + (ua - pa) ** 2)
        high = (pa - pb) + np.sqrt((ub - pb) ** 2 + (pa - la) ** 2)
        scale = 100.0
    else:
        nb, na = len(before), len(after)
        if nb * na > SAMPLED_PAIRS:
            rng = np.random.default_rng(PERMUTATION_SEED)
            diffs = rng.choice(after, SAMPLED_PAIRS) - rng.choice(before, SAMPLED_PAIRS)
        else:
            diffs = (after[:, None] - before[None, :]).ravel()
        pairs = len(diffs)
        reach = 1.959963984540054 * np.sqrt(nb * na * (nb + na + 1) / 12.0) * pairs / (nb * na)
        lo_i = int(np.clip(np.floor(pairs / 2 - reach), 0, pairs - 1))
        hi_i = int(np.clip(np.ceil(pairs / 2 + reach) - 1, 0, pairs - 1))
        low, high = np.partition(diffs, (lo_i, hi_i))[[lo_i, hi_i]]
        scale = 1.0
    if base == 0:
        return float("nan"), float("nan")
    return float(low * scale / abs(base) * 100.0), float(high * scale / abs(base) * 100.0)


def _exact_p(before: np.ndarray, after: np.ndarray, worse: bool) -> float:
    from scipy import stats
    bad_b, bad_a = int((before <= 0).sum()), int((after <= 0).sum())
    table = [[bad_a, len(after) - bad_a], [bad_b, len(before) - bad_b]]
    return float(stats.fisher_exact(table, alternative="greater" if worse else "less").pvalue)


def _t_p(before: np.ndarray, after: np.ndarray, worse: bool) -> float:
    """One-sided Yuen (trimmed) two-sample t-test: how large the shift is against the series' own noise."""
    from scipy import stats
    with warnings.catch_warnings():  # constant samples (e.g. a planted flat drop) warn of precision loss
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.ttest_ind(after, before, trim=TRIM)
    t = float(result.statistic) * (-1.0 if worse else 1.0)
    return 1.0 if np.isnan(t) else float(stats.t.sf(t, result.df))


def noise_sd(values: np.ndarray) -> float:
    """A robust estimate of the run-to-run noise: successive differences cancel the level, so a level shift
    spoils one of them and a wild run two; their median absolute value is scaled to a standard deviation."""
    diffs = np.abs(np.diff(values))
    return float(np.median(diffs) / (0.6745 * np.sqrt(2.0))) if len(diffs) else 0.0


def _latest_change(levels: list[float], worse: bool) -> int | None:
    """Index i of the most recent regime boundary (between i and i+1) that moved in the asked direction."""
    for i in range(len(levels) - 2, -1, -1):
        if (levels[i + 1] < levels[i]) if worse else (levels[i + 1] > levels[i]):
            return i
    return None


def judge(values: np.ndarray, binary: bool, merge_pct: float, worse: bool = True,
          penalty: float = PENALTY, small: int = SMALL) -> Shift | None:
    """The most recent change in the asked direction, judged (see the module docstring), or None when the
    series has no such change or too few runs. ``values`` are in time order."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < MIN_BEFORE + MIN_RUNS:
        return None
    points, starts = _blocks(values, binary)
    parts = regimes(points, segment(points, penalty), merge_pct, binary)
    levels = [level(points[s:e], binary) for s, e in parts]
    i = _latest_change(levels, worse)
    if i is None:
        return None
    b0, (b1, _), (c0, _), (a0, _) = 0, parts[i + 1], parts[i + 1], parts[-1]
    if i + 2 == len(parts):  # one change: the split is placed where the rank statistic is best, then on the
        b1 = c0 = a0 = first_changed(points, best_split(points, worse), merge_pct, binary, worse)  # first changed run
    run = lambda block: int(starts[block]) if block < len(starts) else len(values)  # noqa: E731
    before, after = values[run(b0):run(b1)], values[run(a0):]
    if len(before) < MIN_BEFORE or len(after) < MIN_RUNS:
        return None
    rank_p, z = search_adjusted_p(points[b0:b1], points[a0:], worse)
    splits = len(before) + len(after) - MIN_BEFORE - MIN_RUNS + 1
    noise_p = min(1.0, splits * (_exact_p(before, after, worse) if binary else _t_p(before, after, worse)))
    if binary:  # one failure count, two ways to test it: the run count picks the one that can reach 0.05
        judged_by = "noise" if len(before) + len(after) < small else "rank"
        p_value = noise_p if judged_by == "noise" else rank_p
    elif len(before) + len(after) >= NOISE_MAX:
        judged_by, p_value = "rank", rank_p
    else:  # order, and size against the noise: either may judge, each at half the level (Bonferroni)
        judged_by = "rank" if rank_p <= noise_p else "noise"
        p_value = min(1.0, 2.0 * min(rank_p, noise_p))
    lb, la = level(before, binary), level(after, binary)
    low, high = _interval(before, after, binary, lb)
    sd = 0.0 if binary else noise_sd(values)
    effect = abs(la - lb) / sd if sd > 0 else float("inf")
    return Shift(change_index=run(c0), before_start=run(b0), before_end=run(b1), after_start=run(a0),
                 level_before=lb, level_after=la, change_pct=_relative(lb, la), change_pct_low=low,
                 change_pct_high=high, p_value=p_value, judged_by=judged_by, rank_p=rank_p, noise_p=noise_p,
                 statistic=z, noise_sd=sd, effect_sd=effect, runs_before=len(before), runs_after=len(after))
