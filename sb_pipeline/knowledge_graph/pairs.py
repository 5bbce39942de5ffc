"""Unordered entity pairs as sorted int64 codes (lo * n + hi), so candidate sets of millions of pairs are
merged, de-duplicated and tested for membership with numpy sorts and binary searches instead of Python sets."""

from __future__ import annotations

import numpy as np


def unordered_pairs(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The pairs (x[i], y[i]) as (lo, hi) rows, whichever way round they were given."""
    return np.stack([np.minimum(x, y), np.maximum(x, y)], axis=1).astype(np.int64).reshape(-1, 2)


def pair_codes(pairs: np.ndarray, n: int) -> np.ndarray:
    """(lo, hi) rows as the codes lo * n + hi."""
    return pairs[:, 0].astype(np.int64) * n + pairs[:, 1] if pairs.size else np.zeros(0, np.int64)


def sorted_unique(x: np.ndarray) -> np.ndarray:
    x = np.sort(x)
    return x[np.r_[True, x[1:] != x[:-1]]] if x.size else x


def contains_sorted(sorted_codes: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Whether each of `q` is in `sorted_codes` (binary search: cheaper than hashing a million codes)."""
    if sorted_codes.size == 0:
        return np.zeros(q.size, bool)
    pos = np.minimum(np.searchsorted(sorted_codes, q), sorted_codes.size - 1)
    return sorted_codes[pos] == q


def member(a: np.ndarray, b: np.ndarray, pairs: np.ndarray, n: int) -> np.ndarray:
    """Whether each pair (a[i], b[i]) is among `pairs`."""
    return contains_sorted(sorted_unique(pair_codes(pairs, n)), a * n + b)


def new_pairs(admitted: dict[str, np.ndarray], n: int, source_rows: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Every admitted pair once, as (a, b) row arrays with a < b, without self-pairs and without the pairs the
    source graph already relates (`source_rows`: its edges' two ends)."""
    codes = sorted_unique(np.concatenate([pair_codes(p, n) for p in admitted.values()]))
    src, dst = source_rows
    existing = pair_codes(unordered_pairs(np.asarray(src, np.int64), np.asarray(dst, np.int64)), n)
    codes = codes[~contains_sorted(sorted_unique(existing), codes)]
    a, b = codes // max(n, 1), codes % max(n, 1)
    keep = a != b
    return a[keep], b[keep]
