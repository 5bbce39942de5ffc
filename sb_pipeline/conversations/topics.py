"""Topics that keep their identity: one vector per conversation, grouped, matched to the previous run's topics.

- A conversation's vector is the mean of its chunk vectors weighted by the chunk's length, normalised, so a long
  session counts by what most of it is about, and a 40-character tail chunk does not pull it around.
- A full grouping (topic_groups.group) runs when there is no previous one, the model changed, or more than
  REGROUP_SHARE new conversations arrived since the last; its groups are matched to the previous topics by
  centroid cosine with an optimal assignment (scipy's linear_sum_assignment), and a group matched at
  MATCH_MIN or closer keeps the old topic's id and label. It starts from the previous partition (each
  conversation in its old topic, a new one in the nearest), so Leiden refines what it found before instead of
  starting over: adding 5 % new conversations keeps nearly every old one where it was (bench/topic_quality.py).
- Between full groupings a new conversation joins the nearest topic when it is at least as close to its centroid
  as 90 % of the topic's members are (`join_similarity`); otherwise it waits for the next full grouping.
- A new topic's id is a content hash of its founding members' ids, so the same data gives the same ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.sparse import csr_matrix

from sb_pipeline.conversations.topic_groups import GroupingParameters, centroids, group

REGROUP_SHARE = 0.10
MATCH_MIN = 0.80
JOIN_QUANTILE = 0.10


@dataclass(frozen=True)
class ConversationVectors:
    ids: list[str]
    vectors: np.ndarray  # (n, d) float32 unit rows, row i is ids[i]


@dataclass(frozen=True)
class Previous:
    """The topics and assignments a previous run stored (empty frames when there are none)."""
    topics: pl.DataFrame  # topic_id, label, centroid (list of floats), join_similarity, created_at
    assignments: pl.DataFrame  # conversation_id, topic_id


@dataclass(frozen=True)
class Grouping:
    assignments: pl.DataFrame  # conversation_id, topic_id, weight (cosine to the topic's centroid), assigned_by
    topics: pl.DataFrame  # topic_id, centroid, join_similarity, label (kept from a matched topic, else null)
    mode: str  # full | incremental
    kept_topics: int
    new_topics: int
    unplaced: int  # new conversations too far from every topic (incremental mode), left for the next full grouping


def conversation_vectors(batches: Iterable[pl.DataFrame]) -> ConversationVectors:
    """From chunk rows (conversation_id, weight, embedding) sorted by conversation_id, in any number of batches:
    each conversation's length-weighted mean vector, normalised."""
    ids: list[str] = []
    parts: list[np.ndarray] = []
    carry_id, carry_sum = None, None
    for batch in batches:
        if not batch.height:
            continue
        cid = batch["conversation_id"]
        codes = ((cid != cid.shift(1)).fill_null(True).cum_sum() - 1).to_numpy()  # rows are sorted by conversation
        uniques = cid.unique(maintain_order=True)
        weights = batch["weight"].to_numpy().astype(np.float32)
        vectors = batch["embedding"].to_numpy().astype(np.float32, copy=False)
        sums = csr_matrix((weights, (codes, np.arange(batch.height))), shape=(len(uniques), batch.height)) @ vectors
        names = uniques.to_list()
        if carry_id is not None:
            if names[0] == carry_id:
                sums[0] += carry_sum
            else:
                ids.append(carry_id)
                parts.append(carry_sum[None, :])
        ids.extend(names[:-1])
        parts.append(sums[:-1])
        carry_id, carry_sum = names[-1], sums[-1]
    if carry_id is not None:
        ids.append(carry_id)
        parts.append(carry_sum[None, :])
    matrix = np.vstack(parts).astype(np.float32) if parts else np.zeros((0, 0), np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True) if matrix.size else np.zeros((0, 1), np.float32)
    return ConversationVectors(ids, matrix / np.where(norms > 0, norms, 1.0))


def needs_full_grouping(previous: Previous, current: ConversationVectors, grouped_at_last_full: int, same_model: bool) -> bool:
    if previous.topics.height == 0 or not same_model:
        return True
    new = len(set(current.ids) - set(previous.assignments["conversation_id"].to_list()))
    return new > REGROUP_SHARE * max(grouped_at_last_full, 1)


def topic_id(member_ids: Iterable[str]) -> str:
    return hashlib.sha256("\x1f".join(sorted(member_ids)).encode()).hexdigest()[:16]


def full_grouping(current: ConversationVectors, previous: Previous, params: GroupingParameters = GroupingParameters(),
                  warm_start: bool = True) -> Grouping:
    initial = _initial_membership(current, previous) if warm_start and previous.topics.height else None
    membership = group(current.vectors, params, initial)
    groups = int(membership.max()) + 1 if membership.size else 0
    centres = centroids(current.vectors, membership, groups)
    old_ids, old_centres = _previous_centroids(previous)
    matched = match_topics(centres, old_centres)
    ids = np.asarray(current.ids, dtype=object)
    names = [old_ids[matched[g]] if g in matched else topic_id(ids[membership == g]) for g in range(groups)]
    labels = dict(zip(previous.topics["topic_id"].to_list(), previous.topics["label"].to_list())) if previous.topics.height else {}
    weights = np.einsum("ij,ij->i", current.vectors, centres[membership]) if groups else np.empty(0)
    assignments = pl.DataFrame({"conversation_id": current.ids, "topic_id": [names[g] for g in membership],
                                "weight": weights.astype(np.float64), "assigned_by": "grouping"},
                               schema={"conversation_id": pl.Utf8, "topic_id": pl.Utf8, "weight": pl.Float64, "assigned_by": pl.Utf8})
    topics = _topic_frame(names, centres, [labels.get(n) for n in names], assignments)
    return Grouping(assignments, topics, "full", len(matched), groups - len(matched), 0)


def match_topics(new: np.ndarray, old: np.ndarray, min_similarity: float = MATCH_MIN) -> dict[int, int]:
    """new group -> old topic, an optimal one-to-one assignment by centroid cosine, pairs below `min_similarity` dropped."""
    from scipy.optimize import linear_sum_assignment
    if not len(new) or not len(old):
        return {}
    similarity = new @ old.T
    rows, cols = linear_sum_assignment(-similarity)
    return {int(r): int(c) for r, c in zip(rows, cols) if similarity[r, c] >= min_similarity}


def join_nearest(current: ConversationVectors, previous: Previous) -> Grouping:
    """Incremental: kept assignments stay; each new conversation joins its nearest topic when close enough."""
    old_ids, centres = _previous_centroids(previous)
    thresholds = previous.topics["join_similarity"].to_numpy()
    known = previous.assignments.filter(pl.col("conversation_id").is_in(current.ids))
    index = {cid: i for i, cid in enumerate(current.ids)}
    placed = set(known["conversation_id"].to_list())
    fresh = [cid for cid in current.ids if cid not in placed]
    sims = current.vectors[[index[c] for c in fresh]] @ centres.T if fresh else np.zeros((0, len(old_ids)))
    best = np.argmax(sims, axis=1) if fresh else np.empty(0, np.int64)
    close = sims[np.arange(len(fresh)), best] >= thresholds[best] if fresh else np.empty(0, bool)
    joined = pl.DataFrame({"conversation_id": [c for c, ok in zip(fresh, close) if ok],
                           "topic_id": [old_ids[b] for b, ok in zip(best, close) if ok],
                           "assigned_by": "nearest"}, schema={"conversation_id": pl.Utf8, "topic_id": pl.Utf8, "assigned_by": pl.Utf8})
    kept = known.select("conversation_id", "topic_id").with_columns(assigned_by=pl.lit("grouping"))
    frame = pl.concat([kept, joined])
    position = {t: i for i, t in enumerate(old_ids)}
    rows = np.array([index[c] for c in frame["conversation_id"].to_list()], dtype=np.int64)
    cols = np.array([position[t] for t in frame["topic_id"].to_list()], dtype=np.int64)
    weights = np.einsum("ij,ij->i", current.vectors[rows], centres[cols]) if rows.size else np.empty(0)
    assignments = frame.with_columns(weight=pl.Series(weights.astype(np.float64))).select("conversation_id", "topic_id", "weight", "assigned_by")
    topics = previous.topics.select("topic_id", "centroid", "join_similarity", "label")
    return Grouping(assignments, topics, "incremental", len(old_ids), 0, int((~close).sum()))


def _initial_membership(current: ConversationVectors, previous: Previous) -> np.ndarray:
    """The previous partition as Leiden's start: old conversations in their topic, new ones in the nearest."""
    old_ids, centres = _previous_centroids(previous)
    position = {t: i for i, t in enumerate(old_ids)}
    where = dict(zip(previous.assignments["conversation_id"].to_list(), previous.assignments["topic_id"].to_list()))
    nearest = np.argmax(current.vectors @ centres.T, axis=1)
    return np.array([position.get(where.get(cid), nearest[i]) for i, cid in enumerate(current.ids)], dtype=np.int64)


def _previous_centroids(previous: Previous) -> tuple[list[str], np.ndarray]:
    if not previous.topics.height:
        return [], np.zeros((0, 0), np.float32)
    return previous.topics["topic_id"].to_list(), np.asarray(previous.topics["centroid"].to_list(), dtype=np.float32)


def _topic_frame(names: list[str], centres: np.ndarray, labels: list[str | None], assignments: pl.DataFrame) -> pl.DataFrame:
    """One row per topic with the similarity a newcomer needs to join it (its members' JOIN_QUANTILE)."""
    join = (assignments.group_by("topic_id").agg(pl.col("weight").quantile(JOIN_QUANTILE, "lower").alias("join_similarity")))
    frame = pl.DataFrame({"topic_id": names, "centroid": [c.tolist() for c in centres], "label": labels},
                         schema={"topic_id": pl.Utf8, "centroid": pl.List(pl.Float32), "label": pl.Utf8})
    return frame.join(join, on="topic_id", how="left").select("topic_id", "centroid", "join_similarity", "label")
