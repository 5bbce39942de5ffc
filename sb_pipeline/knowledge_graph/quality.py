"""How often discovered relationships are right, on the labelled graphs (labelled.py), beside Session Buddy.

Discovery runs on a labelled graph exactly as on a user's graph: the pipeline's text recipe, exact top-k
neighbours, the null model, co-mentions from the graph's conversations when it has some, the source graph
held out of the candidates. Each candidate gets its label (a true pair to discover, or not); the scores are
training.judge's. Session Buddy's rule on the same graph: each entity's 5 nearest neighbours with cosine
above 0.75 (its auto-discovery; the observation patterns were a dead branch there).

Vectors of a labelled graph are cached per model and text (`cached_vectors`), so the check that re-measures
the shipped model on every run embeds the ~850 labelled texts once per model, not per run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from sb_pipeline.knowledge_graph.calibration import null_thresholds
from sb_pipeline.knowledge_graph.comention import CoMentions, chunk_mentions, co_mentions, entity_mentions
from sb_pipeline.knowledge_graph.features import GraphInputs, candidate_features
from sb_pipeline.knowledge_graph.labelled import LabelledGraph
from sb_pipeline.knowledge_graph.model import RelationshipModel
from sb_pipeline.knowledge_graph.names import name_key
from sb_pipeline.knowledge_graph.neighbors import exact_topk
from sb_pipeline.knowledge_graph.training import judge, scores

NEIGHBORS_KEPT = 10
NULL_QUANTILE = 0.95
SESSION_BUDDY_THRESHOLD = 0.75


def cached_vectors(embed: Callable[[list[str]], np.ndarray], model_id: str, graph: LabelledGraph, folder: Path | None) -> np.ndarray:
    """The graph's entity vectors, from `folder` when an earlier run stored them for this model and text."""
    texts = graph.entities["text"].to_list()
    digest = hashlib.sha256("\x1e".join([model_id, *texts]).encode()).hexdigest()[:20]
    path = folder / f"labelled-{graph.name}-{digest}.npy" if folder is not None else None
    if path is not None and path.exists():
        return np.load(path)
    vectors = np.asarray(embed(texts), np.float32)
    if path is not None:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(path)
    return vectors


def graph_comentions(graph: LabelledGraph) -> CoMentions:
    """Co-mentions in the graph's conversations (one chunk per conversation), none if it has none."""
    n = graph.entities.height
    if graph.conversations is None or graph.conversations.height == 0:
        return CoMentions.none(n)
    keys = [name_key(s) for s in graph.entities["name"].to_list()]
    chunks = graph.conversations.select(pl.col("conversation_id").alias("chunk_id"), "conversation_id", pl.col("content").alias("text"))
    found = chunk_mentions(chunks, keys)
    return co_mentions(entity_mentions(found, keys), graph.conversations.height, n)


def graph_inputs(graph: LabelledGraph, vectors: np.ndarray) -> GraphInputs:
    ids = graph.entities["entity_id"].to_list()
    row = {e: i for i, e in enumerate(ids)}
    src = np.array([row[a] for a, _ in graph.source_pairs], np.int64)
    dst = np.array([row[b] for _, b in graph.source_pairs], np.int64)
    idx, sims = exact_topk(vectors, NEIGHBORS_KEPT)
    return GraphInputs(graph.entities, vectors, idx, sims, (src, dst), graph_comentions(graph))


def labelled_candidates(graph: LabelledGraph, vectors: np.ndarray, max_per_entity: int = 5) -> pl.DataFrame:
    """Every candidate pair's features plus `label` (1 = a true pair to discover)."""
    inputs = graph_inputs(graph, vectors)
    calibration = null_thresholds(vectors, graph.entities["entity_type"].to_list(), quantile=NULL_QUANTILE)
    frame = candidate_features(inputs, calibration, max_per_entity)
    ids = graph.entities["entity_id"].to_list()
    labels = [frozenset((ids[a], ids[b])) in graph.positives for a, b in zip(frame["a"].to_list(), frame["b"].to_list())]
    return frame.with_columns(pl.Series("label", labels, dtype=pl.Int8))


def session_buddy_scores(candidates: pl.DataFrame, positives: int, threshold: float = SESSION_BUDDY_THRESHOLD) -> dict:
    """Session Buddy's fixed rule on the same candidates: among the 5 nearest, cosine > threshold."""
    published = (candidates["admitted_by"].list.contains("similarity") & (candidates["cosine"] > threshold)).to_numpy()
    return scores(published, candidates["label"].to_numpy(), positives)


def measure(model: RelationshipModel, candidates: pl.DataFrame, positives: int, pairs: int, cut: float = 0.5) -> dict:
    """The model's figures on one labelled graph's candidates, and Session Buddy's beside them."""
    return {**judge(model.predict(candidates), candidates["label"].to_numpy(), positives, cut, pairs),
            "session_buddy": session_buddy_scores(candidates, positives)}
