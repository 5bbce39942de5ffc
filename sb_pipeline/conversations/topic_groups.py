"""Groups of conversations that are about the same thing: Leiden communities on their k-nearest-neighbour graph.

Why this method: the number of topics is not known in advance and differs per user, so a fixed-k method
(k-means) has to be told what only the data knows; a graph community method finds it (one resolution parameter,
chosen on the labelled development corpus), never leaves a conversation out (unlike density clustering, which
calls a third of the data noise), and scales with the edges, not the pairs. Leiden (igraph's C implementation,
modularity) refines Louvain so that every community is connected.

The graph: each conversation linked to its K nearest others by cosine, weighted by the cosine. Exact (blocked
matrix products) up to EXACT_MAX conversations; above that, searched inside the PROBES nearest cells of a k-means
partition into ~sqrt(n) cells (the inverted-file method of vector databases), so the cost grows ~n^1.5 instead
of n^2 (bench/topic_scale.py measures its recall against the exact graph). Communities smaller than
MIN_TOPIC_SIZE join the nearest larger one by centroid: a topic of two conversations is not a trend.
Deterministic: fixed seeds for k-means and for igraph's random number generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

EXACT_MAX = 12_000
PROBES = 8
CELL_SAMPLE = 20  # conversations per cell the cells' centres are fitted on
SEED = 7


@dataclass(frozen=True)
class GroupingParameters:
    neighbors: int = 15  # K of the graph (chosen on the dev corpus: bench/topic_quality.py)
    resolution: float = 2.0  # Leiden's modularity resolution: higher, more and smaller topics
    min_topic_size: int = 5


def knn_graph(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, target, cosine) of every conversation's k nearest others (unit rows)."""
    n = vectors.shape[0]
    k = min(k, n - 1)
    if k <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32)
    if n <= EXACT_MAX:
        targets, sims = _top_k(vectors, np.arange(n), np.arange(n), k)
    else:
        targets, sims = _cell_knn(vectors, k)
    return np.repeat(np.arange(n), k), targets.reshape(-1), sims.reshape(-1)


def _top_k(x: np.ndarray, rows: np.ndarray, candidates: np.ndarray, k: int, block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """For each of `rows`, its k most similar `candidates` other than itself: (indices into x, cosines)."""
    out_i = np.empty((rows.size, k), np.int64)
    out_s = np.empty((rows.size, k), np.float32)
    cand = x[candidates]
    for start in range(0, rows.size, block):
        r = rows[start:start + block]
        s = x[r] @ cand.T
        s[r[:, None] == candidates[None, :]] = -np.inf  # never your own neighbour
        part = np.argpartition(-s, k - 1, axis=1)[:, :k]
        out_i[start:start + r.size] = candidates[part]
        out_s[start:start + r.size] = np.take_along_axis(s, part, axis=1)
    return out_i, out_s


def _cell_knn(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Approximate k nearest: each cell's members searched among the members of the PROBES cells nearest to it."""
    n = x.shape[0]
    cells = int(np.sqrt(n))
    labels, centres = _cells(x, cells)
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(cells + 1))
    nearest_cells = np.argsort(-(centres @ centres.T), axis=1)[:, :PROBES]
    out_i = np.empty((n, k), np.int64)
    out_s = np.empty((n, k), np.float32)
    for cell in range(cells):
        rows = order[bounds[cell]:bounds[cell + 1]]
        if not rows.size:
            continue
        candidates = np.concatenate([order[bounds[c]:bounds[c + 1]] for c in nearest_cells[cell]])
        kk = min(k, candidates.size - 1)
        idx, sims = _top_k(x, rows, candidates, kk)
        out_i[rows, :kk], out_s[rows, :kk] = idx, sims
        if kk < k:  # a tiny neighbourhood: repeat the last neighbour (a duplicate edge is merged away)
            out_i[rows, kk:], out_s[rows, kk:] = idx[:, -1:], sims[:, -1:]
    return out_i, out_s


def _cells(x: np.ndarray, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """A k-means partition into `cells`: centres fitted on a sample of CELL_SAMPLE conversations per cell (cells only
    need to be coarse, and k-means on all 100k rows costs more than the whole search), every row then in its nearest."""
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(SEED)
    sample = rng.choice(x.shape[0], min(x.shape[0], CELL_SAMPLE * cells), replace=False)
    km = KMeans(cells, init="random", n_init=1, max_iter=15, random_state=SEED).fit(x[sample])
    centres = km.cluster_centers_.astype(np.float32)
    centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    labels = np.concatenate([np.argmax(x[i:i + 8192] @ centres.T, axis=1) for i in range(0, x.shape[0], 8192)])
    return labels, centres


def leiden(n: int, source: np.ndarray, target: np.ndarray, weight: np.ndarray, resolution: float,
           initial: np.ndarray | None = None) -> np.ndarray:
    """Community of each node (0..m-1) by Leiden on the undirected graph (parallel edges merged, max weight)."""
    import igraph

    graph = igraph.Graph(n=n, edges=np.column_stack([source, target]), directed=False)
    graph.es["weight"] = np.clip(weight, 1e-6, None).astype(float)
    graph.simplify(combine_edges="max")
    rng = random.Random(SEED)
    igraph.set_random_number_generator(rng)
    try:
        partition = graph.community_leiden(objective_function="modularity", weights="weight", resolution=resolution,
                                           n_iterations=2, initial_membership=None if initial is None else [int(v) for v in initial])
    finally:
        igraph.set_random_number_generator(random)
    return np.asarray(partition.membership, dtype=np.int64)


def centroids(vectors: np.ndarray, membership: np.ndarray, groups: int) -> np.ndarray:
    """Unit mean vector of each group (rows 0..groups-1)."""
    sums = np.zeros((groups, vectors.shape[1]), np.float64)
    np.add.at(sums, membership, vectors)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def merge_small(vectors: np.ndarray, membership: np.ndarray, min_size: int) -> np.ndarray:
    """Members of communities below `min_size` moved to the nearest large community (by centroid); groups
    renumbered 0..m-1, largest first (ties by first member)."""
    sizes = np.bincount(membership)
    large = np.flatnonzero(sizes >= min_size)
    if large.size == 0:  # nothing is large: one topic of everything small
        return np.zeros_like(membership)
    if large.size < sizes.size:
        centres = centroids(vectors, membership, sizes.size)[large]
        small = ~np.isin(membership, large)
        membership = membership.copy()
        membership[small] = large[np.argmax(vectors[small] @ centres.T, axis=1)]
    return _renumber(membership)


def _renumber(membership: np.ndarray) -> np.ndarray:
    groups, first, counts = np.unique(membership, return_index=True, return_counts=True)
    rank = np.lexsort((first, -counts))
    new = np.empty(groups.size, np.int64)
    new[rank] = np.arange(groups.size)
    return new[np.searchsorted(groups, membership)]


def group(vectors: np.ndarray, params: GroupingParameters = GroupingParameters(), initial: np.ndarray | None = None) -> np.ndarray:
    """The topic (0..m-1, largest first) of each conversation vector (unit rows)."""
    n = vectors.shape[0]
    if n == 0:
        return np.empty(0, np.int64)
    if n < 2 * params.min_topic_size:
        return np.zeros(n, np.int64)
    source, target, sims = knn_graph(vectors, params.neighbors)
    membership = leiden(n, source, target, sims, params.resolution, initial)
    return merge_small(vectors, membership, params.min_topic_size)
