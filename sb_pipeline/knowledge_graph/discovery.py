"""Relationship candidates with their evidence, a probability, a type and a decision to publish.

Why this differs from Session Buddy (reference section 4): Session Buddy linked any two entities whose
cosine passed 0.75 and called the edge "related"; on a developer's graph that is wrong most of the time and
says nothing about why. Here every candidate pair (features.py: nearest neighbours, names in observations,
names inside names, co-mention in the user's conversations; never a pair the source graph already holds)
carries its evidence as numbers, the relationship model (model.py) turns them into `p_related`, and only
pairs at or above the cut (default 0.5) are published; the rest stay candidates with the same columns.

The relation type stays evidence-based, first rule that holds (`rule` column):
1. `observation:<verb>`: an observation of one endpoint names the other after a verb ("depends on acme-core")
   -> the verb's type, directed from the observer (the first such observation in scan order decides; all are
   listed in `evidence.observations`).
2. `type_pair+mutual`: the types are in TYPE_PAIR_RULES and the pair is mutual kNN. For a type pair listed
   both ways the first-listed (active) form is used; class/class `extends` has no direction evidence
   (`directed` false, source = lower entity_id).
3. `band:very_similar`: cosine >= VERY_SIMILAR (0.85) -> very_similar_to (undirected).
4. `untyped`: related_to (undirected): the evidence says the two are related, not how.
Undirected rows put the lower entity_id as source.
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl

from sb_pipeline.knowledge_graph.calibration import Calibration
from sb_pipeline.knowledge_graph.features import FEATURES, GraphInputs, candidate_features, flag_list
from sb_pipeline.knowledge_graph.model import RelationshipModel, band_expr

VERY_SIMILAR = 0.85
DEFAULT_CUT = 0.5

# The seed's type-pair table, in the seed's order (source type, target type) -> relation type.
TYPE_PAIR_RULES: tuple[tuple[str, str, str], ...] = (
    ("project", "library", "uses"),
    ("library", "project", "used_by"),
    ("project", "service", "connects_to"),
    ("service", "project", "serves"),
    ("test", "project", "tests"),
    ("project", "test", "tested_by"),
    ("project", "concept", "implements"),
    ("concept", "project", "applies_to"),
    ("class", "class", "extends"),
    ("component", "system", "part_of"),
    ("system", "component", "contains"),
)
EVIDENCE_KINDS = ("similarity", "mention", "name", "co-mention", "structure", "type_pair")

SCHEMA: dict[str, pl.DataType] = {
    "edge_id": pl.Utf8, "source_entity_id": pl.Utf8, "target_entity_id": pl.Utf8,
    "source_name": pl.Utf8, "target_name": pl.Utf8, "source_type": pl.Utf8, "target_type": pl.Utf8,
    "relation_type": pl.Utf8, "directed": pl.Boolean, "similarity": pl.Float64, "threshold": pl.Float64,
    "source_rank_in_target": pl.Int32, "target_rank_in_source": pl.Int32, "mutual_knn": pl.Boolean,
    "rule": pl.Utf8, "p_related": pl.Float64, "confidence": pl.Utf8, "evidence": pl.Utf8, "model_id": pl.Utf8,
    "relationship_model_id": pl.Utf8, "source_text_hash": pl.Utf8, "target_text_hash": pl.Utf8, "run_id": pl.Utf8,
    "published": pl.Boolean,
}


def edge_id(a: str, b: str, relation_type: str) -> str:
    """Content hash of the unordered pair and the relation type (stable across runs)."""
    lo, hi = sorted((a, b))
    return hashlib.sha256(f"{lo}\x1f{hi}\x1f{relation_type}".encode()).hexdigest()[:32]


def _type_rules() -> pl.DataFrame:
    """(type_a, type_b) -> relation, whether a is the source, directed: the first table entry either way round."""
    rows: dict[tuple[str, str], tuple[str, bool, bool]] = {}
    for src, dst, rel in TYPE_PAIR_RULES:
        rows.setdefault((src, dst), (rel, True, src != dst))
        rows.setdefault((dst, src), (rel, False, True))
    return pl.DataFrame([(a, b, *v) for (a, b), v in rows.items()], orient="row",
                        schema={"type_a": pl.Utf8, "type_b": pl.Utf8, "type_rel": pl.Utf8, "a_is_source": pl.Boolean,
                                "type_directed": pl.Boolean})


def discover(g: GraphInputs, calibration: Calibration, model: RelationshipModel, max_per_entity: int = 5,
             model_id: str = "", run_id: str = "", cut: float = DEFAULT_CUT, fixed_threshold: float | None = None) -> pl.DataFrame:
    """Every candidate pair as a SCHEMA row, `published` when p_related >= cut. With `fixed_threshold`
    (Session Buddy's rule, for comparison) a pair is published instead when it is among the nearest with a
    cosine at or above it, or an observation states it; p_related is still computed and stored."""
    cand = candidate_features(g, calibration, max_per_entity)
    if cand.height == 0:
        return pl.DataFrame(schema=SCHEMA)
    ent = g.entities.with_row_index("row").select(
        pl.col("row").cast(pl.Int64), "entity_id", pl.col("name").cast(pl.Utf8),
        pl.col("entity_type").cast(pl.Utf8).str.strip_chars().str.to_lowercase().alias("type"), "text_hash")
    cand = cand.with_columns(pl.Series("p_related", model.predict(cand)))
    for side in ("a", "b"):
        cand = cand.join(ent.rename({c: f"{c}_{side}" for c in ent.columns if c != "row"}), left_on=side, right_on="row")
    cand = _relation_types(cand).with_columns(_thresholds(cand, calibration, fixed_threshold))
    published = (pl.col("p_related") >= cut) if fixed_threshold is None else (
        (pl.col("admitted_by").list.contains("similarity") & (pl.col("cosine") >= fixed_threshold)) | pl.col("verb").is_not_null())
    return _rows(cand.with_columns(published.alias("published")), model.model_id, model_id, run_id)


def _thresholds(c: pl.DataFrame, calibration: Calibration, fixed: float | None) -> pl.Series:
    """The similarity threshold in force per pair: Session Buddy's fixed one, else the null model's for its types."""
    if fixed is not None:
        return pl.Series("threshold", np.full(c.height, float(fixed)), dtype=pl.Float64)
    pairs = c.select("type_a", "type_b").unique()
    table = pairs.with_columns(pl.Series("threshold", [calibration.threshold(x, y) for x, y in pairs.iter_rows()], dtype=pl.Float64))
    return c.select("type_a", "type_b").join(table, on=["type_a", "type_b"], how="left", maintain_order="left")["threshold"]


def _relation_types(c: pl.DataFrame) -> pl.DataFrame:
    """relation_type, rule, direction (src_is_a) and directed, vectorised over the candidates."""
    c = c.join(_type_rules(), on=["type_a", "type_b"], how="left")
    by_verb = pl.col("verb").is_not_null()
    by_type = (pl.col("mutual_knn") > 0) & pl.col("type_rel").is_not_null()
    very = pl.col("cosine") >= VERY_SIMILAR
    lower_first = pl.col("entity_id_a") <= pl.col("entity_id_b")
    return c.with_columns(
        pl.when(by_verb).then(pl.col("verb")).when(by_type).then(pl.col("type_rel"))
        .when(very).then(pl.lit("very_similar_to")).otherwise(pl.lit("related_to")).alias("relation_type"),
        pl.when(by_verb).then(pl.lit("observation:") + pl.col("verb")).when(by_type).then(pl.lit("type_pair+mutual"))
        .when(very).then(pl.lit("band:very_similar")).otherwise(pl.lit("untyped")).alias("rule"),
        pl.when(by_verb).then(pl.lit(True)).when(by_type).then(pl.col("type_directed")).otherwise(pl.lit(False)).alias("directed"),
        pl.when(by_verb).then(pl.col("verb_source") == pl.col("a"))
        .when(by_type & pl.col("type_directed")).then(pl.col("a_is_source"))
        .otherwise(lower_first).alias("src_is_a"),
    )


def _side(column: str, source: bool) -> pl.Expr:
    """The source's (or target's) value of a per-end column `<column>_a` / `<column>_b`."""
    first, second = (f"{column}_a", f"{column}_b") if source else (f"{column}_b", f"{column}_a")
    return pl.when(pl.col("src_is_a")).then(pl.col(first)).otherwise(pl.col(second))


def _rows(c: pl.DataFrame, relationship_model_id: str, model_id: str, run_id: str) -> pl.DataFrame:
    keys = c.select(pl.concat_str(pl.min_horizontal("entity_id_a", "entity_id_b"), pl.max_horizontal("entity_id_a", "entity_id_b"),
                                  "relation_type", separator="\x1f"))[:, 0].to_list()
    c = c.with_columns(
        pl.Series("edge_id", [hashlib.sha256(k.encode()).hexdigest()[:32] for k in keys]),  # = edge_id(a, b, relation_type)
    ).with_columns(
        pl.when(pl.col("src_is_a")).then(pl.col("rank_a_in_b")).otherwise(pl.col("rank_b_in_a")).alias("source_rank_in_target"),
        pl.when(pl.col("src_is_a")).then(pl.col("rank_b_in_a")).otherwise(pl.col("rank_a_in_b")).alias("target_rank_in_source"),
    )
    c = c.with_columns(_evidence(c))
    return c.select(
        "edge_id", _side("entity_id", True).alias("source_entity_id"), _side("entity_id", False).alias("target_entity_id"),
        _side("name", True).alias("source_name"), _side("name", False).alias("target_name"),
        _side("type", True).alias("source_type"), _side("type", False).alias("target_type"),
        "relation_type", "directed", pl.col("cosine").alias("similarity"), "threshold",
        pl.col("source_rank_in_target").replace(0, None), pl.col("target_rank_in_source").replace(0, None),
        (pl.col("mutual_knn") > 0).alias("mutual_knn"), "rule", "p_related", band_expr().alias("confidence"), "evidence",
        pl.lit(model_id).alias("model_id"), pl.lit(relationship_model_id).alias("relationship_model_id"),
        _side("text_hash", True).alias("source_text_hash"), _side("text_hash", False).alias("target_text_hash"),
        pl.lit(run_id).alias("run_id"), "published",
    ).cast(SCHEMA)


def evidence_kinds(c: pl.DataFrame) -> pl.Expr:
    """Which kinds of evidence a candidate carries (EVIDENCE_KINDS), as a list column."""
    present = {
        "similarity": pl.col("admitted_by").list.contains("similarity"),
        "mention": pl.col("mention_idf") > 0,
        "name": (pl.col("name_contains") > 0) | (pl.col("shared_stem_idf") > 0),
        "co-mention": pl.col("comention_conversations") > 0,
        "structure": pl.col("common_neighbors") > 0,
        "type_pair": pl.col("type_pair_lift") > 0,
    }
    return flag_list(present)


def _evidence(c: pl.DataFrame) -> pl.Expr:
    """The evidence JSON: what admitted the pair, its kinds, every feature, and the texts behind them."""
    return pl.struct(
        "admitted_by", evidence_kinds(c).alias("kinds"),
        pl.struct([pl.col(f).round(4) for f in FEATURES]).alias("features"),
        pl.col("verb_text").alias("observation"),
        pl.when(pl.col("verb").is_null()).then(None).when(pl.col("verb_source") == pl.col("a")).then(pl.col("entity_id_a"))
        .otherwise(pl.col("entity_id_b")).alias("observed_by"),
        "verb", pl.col("verb_mentions").alias("observations"), "named_by", "shared_stems",
        pl.struct(pl.col("comention_conversations").alias("conversations"), pl.col("comention_chunks").alias("chunks"),
                  pl.col("comention_pmi").round(3).alias("pmi"), pl.col("comention_best").alias("best")).alias("co_mention"),
        pl.col("common_neighbors").cast(pl.Int64).alias("common_neighbors"),
        pl.concat_list(_side("type", True), _side("type", False)).alias("type_pair"),
    ).struct.json_encode().alias("evidence")
