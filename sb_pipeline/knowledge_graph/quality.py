"""How often discovered relationships are right, on a labelled set of entity pairs.

The labelled set (`labelled/` beside this module, from the UMLS semantic network in the
pykeen wheel; see its PROVENANCE.md) lists every unordered pair of 135 entities with label 1
(related in the source graph) or 0. Discovery runs on it exactly as on a user's graph; precision,
recall and F1 are over its edges, and average precision ranks every pair by cosine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from sb_pipeline.knowledge_graph.calibration import null_thresholds
from sb_pipeline.knowledge_graph.discovery import discover
from sb_pipeline.knowledge_graph.entities import entity_text
from sb_pipeline.knowledge_graph.neighbors import exact_topk


LABELLED = Path(__file__).resolve().parent / "labelled"


@dataclass(frozen=True)
class Scores:
    method: str
    edges: int
    precision: float
    recall: float
    f1: float
    threshold: float  # the global threshold in force (per type pair for the calibrated method)


def load_labelled(folder: Path = LABELLED) -> tuple[pl.DataFrame, set[frozenset[str]]]:
    entities = pl.read_csv(folder / "entities.tsv", separator="\t")
    pairs = pl.read_csv(folder / "pairs.tsv", separator="\t")
    positives = {frozenset((a, b)) for a, b in pairs.filter(pl.col("label") == 1).select("entity_a", "entity_b").iter_rows()}
    frame = entities.select(
        pl.col("entity_id"), pl.col("name"), pl.col("entity_type"),
        pl.lit([], dtype=pl.List(pl.Utf8)).alias("observations"),
    ).with_columns(pl.struct("name", "entity_type").map_elements(
        lambda r: entity_text(r["name"], r["entity_type"], []), return_dtype=pl.Utf8).alias("text"))
    return frame.with_columns(pl.col("text").alias("text_hash")), positives


def evaluate(entities: pl.DataFrame, vectors: np.ndarray, positives: set[frozenset[str]], max_per_entity: int = 5,
             fixed: float = 0.75, quantile: float = 0.95) -> list[Scores]:
    """Session Buddy's fixed threshold and the calibrated default, side by side, on the same neighbours."""
    idx, sims = exact_topk(vectors, max(10, max_per_entity))
    calibration = null_thresholds(vectors, entities["entity_type"].to_list(), quantile=quantile)
    out = []
    for method, threshold, shown in (("fixed_0.75", fixed, fixed), (f"calibrated_q{quantile}", calibration, calibration.global_threshold)):
        edges = discover(entities, idx, sims, threshold, set(), max_per_entity, vectors=vectors)
        found = {frozenset(p) for p in edges.select("source_entity_id", "target_entity_id").iter_rows()}
        tp = len(found & positives)
        precision = tp / len(found) if found else 0.0
        recall = tp / len(positives) if positives else 0.0
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        out.append(Scores(method, len(found), round(precision, 3), round(recall, 3), round(f1, 3), round(float(shown), 3)))
    return out
