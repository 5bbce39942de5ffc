"""Fitting and judging the relationship model on labelled graphs (scikit-learn; no optimiser of our own).

Why leave-one-graph-out: a user's graph is one we never saw, so the honest figure is the one on a graph the
model was not fitted on. For each labelled graph, fit on all the others, predict its candidates, and score:
precision, recall and F1 of the published edges (p >= cut) against ALL its true pairs left to discover (a
true pair never proposed as a candidate counts as missed), average precision of every pair ranked by p
(non-candidates last), and calibration: a reliability table by probability decile and the expected
calibration error (ECE: the decile's share of candidates times |right rate - mean p|, summed).

Settings of the shipped fit (chosen once, with these figures, see README): L2-regularised logistic
regression, C = 0.3, candidates of all graphs pooled without per-graph weights, features standardised.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from sb_pipeline.knowledge_graph.model import RelationshipModel

C = 0.3
# Every feature in features.FEATURES but `prefix_share`: measured leave-one-graph-out, it made every graph
# but one worse (families of tests share a prefix and are siblings, not relatives); it stays in the evidence.
MODEL_FEATURES = (
    "cosine", "null_z", "rank_best_inv", "rank_worst_inv", "mutual_knn", "mention_idf", "mention_focus", "mention_verb",
    "name_contains", "shared_stem_idf", "comention_log", "comention_pmi", "comention_known", "common_neighbors_log",
    "adamic_adar", "source_degree_log", "type_pair_lift", "same_type",
)


def fit(frames: list[pl.DataFrame], features: tuple[str, ...] = MODEL_FEATURES, c: float = C,
        training: dict | None = None) -> RelationshipModel:
    """Logistic regression on the pooled candidates of `frames` (each with the feature columns and `label`)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    pooled = pl.concat([f.select(*features, "label") for f in frames])
    x = pooled.select(features).to_numpy().astype(np.float64)
    y = pooled["label"].to_numpy().astype(np.int64)
    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    regression = LogisticRegression(C=c, max_iter=5000).fit((x - scaler.mean_) / scale, y)
    return RelationshipModel(tuple(features), tuple(float(v) for v in scaler.mean_), tuple(float(v) for v in scale),
                             tuple(float(v) for v in regression.coef_[0]), float(regression.intercept_[0]), training or {})


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10) -> list[dict]:
    """Per probability decile [k/10, (k+1)/10): candidates, mean p, share right."""
    out = []
    which = np.minimum((np.asarray(p) * bins).astype(np.int64), bins - 1)
    for k in range(bins):
        m = which == k
        if m.any():
            out.append({"bin": f"{k / bins:.1f}-{(k + 1) / bins:.1f}", "n": int(m.sum()), "mean_p": round(float(p[m].mean()), 3),
                        "right": round(float(y[m].mean()), 3)})
    return out


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    total = max(len(p), 1)
    return float(sum(r["n"] / total * abs(r["right"] - r["mean_p"]) for r in reliability(p, y, bins)))


def average_precision(scores: np.ndarray, labels: np.ndarray, positives: int, pairs: int | None = None) -> float:
    """Step-wise AP of the ranking by score (ties form one step), recall over `positives`. The positives that
    are not among the scored rows (never candidates) come last, in one tie with every other pair of the
    graph: with `pairs` (all pairs to rank) they add their recall at the graph's base rate."""
    if positives == 0 or len(scores) == 0:
        return 0.0
    missing = positives - int(np.asarray(labels).sum())
    tail = missing / pairs if pairs else 0.0
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order].astype(np.int64)
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    tp = np.cumsum(y)[last]
    precision = tp / (last + 1)
    return float((np.diff(np.r_[0, tp]) / positives * precision).sum()) + tail


def scores(published: np.ndarray, y: np.ndarray, positives: int) -> dict:
    """Precision, recall and F1 of the rows marked published, recall over all `positives`."""
    tp = int(y[published].sum())
    edges = int(published.sum())
    precision = tp / edges if edges else 0.0
    recall = tp / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return {"edges": edges, "right": tp, "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def judge(p: np.ndarray, y: np.ndarray, positives: int, cut: float = 0.5, pairs: int | None = None) -> dict:
    """Everything the issue asks per graph for predictions `p` of candidates labelled `y`."""
    return {**scores(p >= cut, y, positives), "average_precision": round(average_precision(p, y, positives, pairs), 3),
            "ece": round(expected_calibration_error(p, y), 3), "reliability": reliability(p, y), "candidates": int(len(p)),
            "positives": positives, "candidate_positives": int(y.sum())}


def leave_one_graph_out(frames: dict[str, pl.DataFrame], positives: dict[str, int], pairs: dict[str, int], cut: float = 0.5,
                        features: tuple[str, ...] = MODEL_FEATURES, c: float = C) -> dict[str, dict]:
    """For each graph: fitted on the others, judged on it."""
    out = {}
    for name, frame in frames.items():
        model = fit([f for other, f in frames.items() if other != name], features, c)
        out[name] = judge(model.predict(frame), frame["label"].to_numpy(), positives[name], cut, pairs[name])
    return out
