"""What the relationships Session Buddy already holds say about a new pair.

Why: a user's stored edges are real knowledge. Two entities with the same neighbours (both used by three
of the same projects) are more likely related (common neighbours, Adamic-Adar: shared neighbours weighted
by 1/log(their degree), so a hub everyone touches counts for little); an entity with many stored edges is
more likely to have one more; and kinds of entities the user relates often (tests and projects) are more
likely related than kinds never related. All three are read from the graph at hand, never from a table of
type names, so they mean the same on a graph of packages, of concepts or of a developer's projects.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def adjacency(n: int, src: np.ndarray, dst: np.ndarray) -> sp.csr_matrix:
    """Symmetric 0/1 adjacency of the source graph over entity rows (self-loops and repeats dropped)."""
    keep = src != dst
    rows = np.concatenate([src[keep], dst[keep]])
    cols = np.concatenate([dst[keep], src[keep]])
    matrix = sp.csr_matrix((np.ones(rows.size, np.float64), (rows, cols)), shape=(n, n))
    matrix.data[:] = 1.0  # a pair stored twice is one edge
    return matrix


def neighbourhood(matrix: sp.csr_matrix, a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """Common neighbours, Adamic-Adar and each end's degree for entity row pairs (a, b)."""
    degree = np.asarray(matrix.sum(axis=1)).ravel()
    if a.size == 0 or matrix.nnz == 0:
        zeros = np.zeros(a.size, np.float64)
        return {"common": zeros, "adamic_adar": zeros.copy(), "degree_a": degree[a], "degree_b": degree[b]}
    weight = np.where(degree > 1, 1.0 / np.log(np.maximum(degree, 2.0)), 0.0)
    shared = matrix[a].multiply(matrix[b]).tocsr()
    common = np.asarray(shared.sum(axis=1)).ravel()
    adamic_adar = np.asarray(shared @ weight).ravel()
    return {"common": common, "adamic_adar": adamic_adar, "degree_a": degree[a], "degree_b": degree[b]}


def type_pair_lift(codes: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """(t, t) matrix: log of how much more often the source graph relates two types than its overall rate
    predicts, add-one smoothed (0 when the graph holds no edges, or none of that kind were to be expected)."""
    t = int(codes.max()) + 1 if codes.size else 0
    counts = np.bincount(codes, minlength=t).astype(np.float64)
    possible = np.outer(counts, counts)
    possible[np.diag_indices(t)] = counts * (counts - 1) / 2
    observed = np.zeros((t, t), np.float64)
    keep = src != dst
    ca, cb = codes[src[keep]], codes[dst[keep]]
    np.add.at(observed, (np.minimum(ca, cb), np.maximum(ca, cb)), 1.0)
    observed = observed + np.triu(observed, 1).T
    total_possible = counts.sum() * (counts.sum() - 1) / 2
    rate = observed[np.triu_indices(t)].sum() / total_possible if total_possible else 0.0
    return np.log((observed + 1.0) / (possible * rate + 1.0))
