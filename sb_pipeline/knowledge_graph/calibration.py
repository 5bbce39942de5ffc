"""Similarity thresholds from a null model: what cosine do RANDOM pairs of entities reach?

Why: Session Buddy used one fixed cut, cosine > 0.75, for every entity. With MiniLM vectors of short
entity texts that keeps only the extreme tail (near-duplicates): high precision, recall near zero,
and the type-pair rules were unreachable behind it. The useful question is whether a pair stands out
from what chance gives *for that kind of pair*: two test entities ("test_x ...") share boilerplate
and are similar at random far more often than a test and a library are. So for each unordered type
pair we sample random pairs of distinct entities, and the threshold is a high quantile (default 0.99)
of that null distribution: an edge must beat 99% of random pairs of the same types.

The threshold is recorded on each edge; the relationship model reads the cosine's *standing* instead, a
z-score against the same null sample's mean and standard deviation (`standing`), which says how unusual a
cosine is for that kind of pair on this graph whatever the text recipe or the model, not just pass/fail.

Sampling: up to `samples_per_pair` pairs with replacement (all pairs when there are fewer possible);
type pairs with fewer than `min_samples` possible pairs use the global null (random pairs of any
types). Each type pair draws from its own generator seeded by (seed, crc32 of both type names), so the
result is deterministic for a seed and one type's draws do not move when another type appears.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Calibration:
    """Per-type-pair null thresholds. Keys are sorted (type_a, type_b) tuples."""

    quantile: float
    global_threshold: float
    global_samples: int
    pair_thresholds: dict[tuple[str, str], float] = field(default_factory=dict)
    pair_samples: dict[tuple[str, str], int] = field(default_factory=dict)
    fallback_pairs: tuple[tuple[str, str], ...] = ()  # too few possible pairs: global used
    seed: int = 0
    global_moments: tuple[float, float] = (0.0, 1.0)  # mean and standard deviation of the null cosines
    pair_moments: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)

    def threshold(self, type_a: str, type_b: str) -> float:
        """The threshold in force for an unordered type pair (global null if not calibrated)."""
        key = (type_a, type_b) if type_a <= type_b else (type_b, type_a)
        return self.pair_thresholds.get(key, self.global_threshold)

    def moments(self, type_a: str, type_b: str) -> tuple[float, float]:
        """(mean, standard deviation) of random cosines of that type pair (the global null if not calibrated)."""
        key = (type_a, type_b) if type_a <= type_b else (type_b, type_a)
        return self.pair_moments.get(key, self.global_moments)

    def standing(self, type_names: list[str], codes_a: np.ndarray, codes_b: np.ndarray, cosine: np.ndarray) -> np.ndarray:
        """How far each cosine stands above chance for its type pair: a z-score against the null sample
        (a pair's own evidence, not pass/fail, so the relationship model can weigh it). Types are given as
        codes into `type_names`."""
        t = len(type_names)
        table = np.array([[self.moments(a, b) for b in type_names] for a in type_names], np.float64).reshape(t, t, 2)
        mean, sd = table[codes_a, codes_b, 0], table[codes_a, codes_b, 1]
        return (np.asarray(cosine, np.float64) - mean) / np.maximum(sd, 1e-6)

    def to_json(self) -> str:
        """Metadata for a run: every threshold with its sample count and where it came from."""
        return json.dumps(
            {
                "method": "null_quantile",
                "quantile": self.quantile,
                "seed": self.seed,
                "global": {"threshold": round(self.global_threshold, 6), "samples": self.global_samples},
                "pairs": [
                    {"types": list(key), "threshold": round(t, 6), "samples": self.pair_samples[key]}
                    for key, t in sorted(self.pair_thresholds.items())
                ],
                "fallback_to_global": [list(key) for key in self.fallback_pairs],
            },
            sort_keys=True,
        )


def _rng(seed: int, *names: str) -> np.random.Generator:
    return np.random.default_rng([seed, *(zlib.crc32(n.encode()) for n in names)])


def _sample_pairs(a: np.ndarray, b: np.ndarray | None, count: int, rng: np.random.Generator):
    """Row pairs of distinct entities: within `a` if b is None, else a x b. All pairs if few."""
    if b is None:
        na = a.size
        possible = na * (na - 1) // 2
        if possible <= count:
            i, j = np.triu_indices(na, 1)
            return a[i], a[j]
        i = rng.integers(0, na, count)
        j = rng.integers(0, na - 1, count)
        j = j + (j >= i)  # uniform over the others: never i itself
        return a[i], a[j]
    possible = a.size * b.size
    if possible <= count:
        i, j = np.meshgrid(np.arange(a.size), np.arange(b.size), indexing="ij")
        return a[i.ravel()], b[j.ravel()]
    return a[rng.integers(0, a.size, count)], b[rng.integers(0, b.size, count)]


def _null_stats(x: np.ndarray, rows_i: np.ndarray, rows_j: np.ndarray, q: float) -> tuple[float, float, float]:
    """(quantile q, mean, standard deviation) of the sampled pairs' cosines."""
    sims = np.einsum("nd,nd->n", x[rows_i], x[rows_j], dtype=np.float64)
    return float(np.quantile(sims, q)), float(sims.mean()), float(sims.std())


def null_thresholds(
    vectors: np.ndarray,
    types: list[str] | np.ndarray,
    quantile: float = 0.99,
    samples_per_pair: int = 20000,
    min_samples: int = 200,
    seed: int = 0,
) -> Calibration:
    """Calibrate one threshold per unordered type pair (see module docstring)."""
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    t = np.asarray(types, dtype=object).astype(str)
    if x.shape[0] != t.size:
        raise ValueError("vectors and types differ in length")
    if not 0.0 < quantile < 1.0:
        raise ValueError("quantile must be in (0, 1)")
    n = x.shape[0]
    everyone = np.arange(n)
    if n >= 2:
        gi, gj = _sample_pairs(everyone, None, samples_per_pair, _rng(seed, "*global*"))
        global_threshold, g_mean, g_sd = _null_stats(x, gi, gj, quantile)
        global_samples = int(gi.size)
    else:  # no pair exists: nothing can be calibrated, and nothing can be linked either
        global_threshold, global_samples, g_mean, g_sd = 1.0, 0, 0.0, 1.0

    names = sorted(set(t.tolist()))
    members = {name: np.flatnonzero(t == name) for name in names}
    thresholds: dict[tuple[str, str], float] = {}
    samples: dict[tuple[str, str], int] = {}
    moments: dict[tuple[str, str], tuple[float, float]] = {}
    fallback: list[tuple[str, str]] = []
    for ai, a in enumerate(names):
        for b in names[ai:]:
            ra, rb = members[a], members[b]
            possible = ra.size * (ra.size - 1) // 2 if a == b else ra.size * rb.size
            if possible < min_samples:
                fallback.append((a, b))
                continue
            pi, pj = _sample_pairs(ra, None if a == b else rb, samples_per_pair, _rng(seed, a, b))
            thresholds[(a, b)], mean, sd = _null_stats(x, pi, pj, quantile)
            moments[(a, b)] = (mean, sd)
            samples[(a, b)] = int(pi.size)
    return Calibration(
        quantile=quantile,
        global_threshold=global_threshold,
        global_samples=global_samples,
        pair_thresholds=thresholds,
        pair_samples=samples,
        fallback_pairs=tuple(fallback),
        seed=seed,
        global_moments=(g_mean, g_sd),
        pair_moments=moments,
    )
