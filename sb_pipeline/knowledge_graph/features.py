"""Candidate pairs and the evidence for each, as the numbers the relationship model reads (FEATURES).

Why: cosine alone was right 7 % of the time on a developer's graph. A user trusts an edge when it says why it
exists, and a model can only weigh evidence it is given, so every candidate pair carries one number per kind
of evidence, the same numbers on every graph (no type names, no vocabulary of one domain). They are stored in
the edge's `evidence` JSON under `features`, and documented here, one line each.

Candidates (`admitted_by`): each entity's `max_per_entity` nearest neighbours by cosine (exact top-k), every
pair where one entity's observations name the other, every pair where one name contains the other, and every
pair the user's conversations name together. Pairs the source graph already relates are never candidates.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import polars as pl

from sb_pipeline.knowledge_graph.calibration import Calibration
from sb_pipeline.knowledge_graph.comention import CoMentions
from sb_pipeline.knowledge_graph.evidence import Mention, NameIndex, name_stems
from sb_pipeline.knowledge_graph.names import find_names, idf_weights, name_key, name_parts
from sb_pipeline.knowledge_graph.pairs import member, new_pairs, unordered_pairs
from sb_pipeline.knowledge_graph.structure import adjacency, neighbourhood, type_pair_lift
from sb_pipeline.text.tokens import SPAN_PATTERN

FEATURES: dict[str, str] = {
    "cosine": "cosine of the two entities' vectors (text recipe `name (type): obs; ...`)",
    "null_z": "the cosine's z-score against random pairs of the same two types (the null model)",
    "rank_best_inv": "1 / the better of the two ranks (each in the other's nearest-neighbour list), 0 if in neither",
    "rank_worst_inv": "1 / the worse of the two ranks, 0 unless each is in the other's list",
    "mutual_knn": "1 if each is among the other's max_per_entity nearest",
    "mention_idf": "one's observations name the other as a whole token: that name's distinctiveness (normalised IDF), else 0",
    "mention_focus": "1 / the length in words of the shortest observation naming the other (a short note naming X is about X), else 0",
    "mention_verb": "1 if an observation names the other after a relation verb (uses, depends on, tests, ...)",
    "name_contains": "1 if one name is consecutive parts of the other (acme-api / acme-api-tests, libfoo / libfoo-dev)",
    "shared_stem_idf": "the most distinctive name stem they share (normalised IDF over all names), else 0",
    "comention_log": "log(1 + conversations naming both)",
    "comention_pmi": "pointwise mutual information of being named in one conversation (0 when never together)",
    "comention_known": "1 if conversations exist and name each entity at least once (so never together means something)",
    "common_neighbors_log": "log(1 + neighbours the two share in the source graph)",
    "adamic_adar": "shared source-graph neighbours weighted by 1 / log(degree)",
    "source_degree_log": "log(1 + source-graph degree) of both ends, summed",
    "type_pair_lift": "log of how much more often the source graph relates these two types than its overall rate",
    "same_type": "1 if both entities have the same type",
}


@dataclass(frozen=True)
class GraphInputs:
    """A graph as discovery sees it. Row i of `entities` (entity_id, name, entity_type, observations) is
    vector i and neighbour row i; `source_rows` are the source graph's edges as entity rows."""

    entities: pl.DataFrame
    vectors: np.ndarray
    neighbor_idx: np.ndarray
    neighbor_sims: np.ndarray
    source_rows: tuple[np.ndarray, np.ndarray]
    comentions: CoMentions


def candidate_features(g: GraphInputs, calibration: Calibration, max_per_entity: int = 5) -> pl.DataFrame:
    """One row per candidate pair: a < b (entity rows), admitted_by, FEATURES, and what the evidence
    texts need (names of observers, shared stems, best conversations)."""
    n = g.entities.height
    if n < 2:
        return pl.DataFrame()
    names = g.entities["name"].cast(pl.Utf8).to_list()
    keys = [name_key(s) for s in names]
    idx = np.asarray(g.neighbor_idx, np.int64).reshape(n, -1)
    m = min(max_per_entity, idx.shape[1]) if n else 0
    observed = _observation_mentions(g.entities, keys)
    verbs = NameIndex(names, keys).mentions(g.entities["observations"].to_list())
    df = Counter(observed.select("observer", "key").unique()["key"].to_list())
    for key, row in {k: r for r, k in enumerate(keys) if k}.items():
        df[key] += int(g.comentions.per_entity[row])
    idf = idf_weights(df, n + g.comentions.conversations, keys)
    admitted = {
        "similarity": _similarity_pairs(idx, m),
        "observation": np.concatenate([unordered_pairs(observed["observer"].to_numpy(), observed["named"].to_numpy()),
                                       unordered_pairs(np.array([v.source for v in verbs], np.int64), np.array([v.target for v in verbs], np.int64))]),
        "name": _containment_pairs(keys),
        "co-mention": unordered_pairs(g.comentions.pairs["i"].to_numpy(), g.comentions.pairs["j"].to_numpy()),
    }
    a, b = new_pairs(admitted, n, g.source_rows)
    if a.size == 0:
        return pl.DataFrame()
    frame = pl.DataFrame({"a": a, "b": b})
    frame = frame.with_columns(flag_list({kind: pl.Series(member(a, b, p, n)) for kind, p in admitted.items()}).alias("admitted_by"))
    frame = frame.with_columns(**_similarity_features(g, calibration, a, b, m), **_structure_features(g, a, b),
                               name_contains=member(a, b, admitted["name"], n).astype(np.float64))
    ids = g.entities["entity_id"].cast(pl.Utf8)
    frame = _mention_features(frame, observed, verbs, idf, ids)
    frame = _stem_features(frame, names)
    return _comention_features(frame, g.comentions)


def flag_list(flags: dict[str, pl.Expr | pl.Series]) -> pl.Expr:
    """The names of the flags that hold, as a list column (through a joined string: list building per row is slow)."""
    joined = pl.concat_str([pl.when(f).then(pl.lit(name + "|")) for name, f in flags.items()], ignore_nulls=True)
    return pl.when(joined == "").then(pl.lit([], dtype=pl.List(pl.Utf8))).otherwise(joined.str.strip_chars_end("|").str.split("|"))


def _observation_mentions(entities: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """(observer row, named row, key, words) for every name found whole in another entity's observation;
    `words` is the length in spans of that observation (a short note naming X is about X)."""
    obs = (pl.DataFrame({"observer": np.arange(entities.height, dtype=np.int64), "text": entities["observations"]})
           .explode("text").drop_nulls("text").with_row_index("doc")
           .with_columns(pl.col("text").str.extract_all(SPAN_PATTERN).list.len().alias("words")))
    found = find_names(obs.select("doc", "text"), keys)
    rows = pl.DataFrame({"key": keys, "named": np.arange(len(keys))}).filter(pl.col("key") != "")
    return (found.join(obs.select("doc", "observer", "words"), on="doc").join(rows, on="key")
            .filter(pl.col("observer") != pl.col("named"))
            .select("observer", pl.col("named").cast(pl.Int64), "key", pl.col("words").cast(pl.Int64)))


def _similarity_pairs(idx: np.ndarray, m: int) -> np.ndarray:
    rows = np.repeat(np.arange(idx.shape[0]), m)
    top = idx[:, :m].reshape(-1)
    ok = (top >= 0) & (top != rows)
    return unordered_pairs(rows[ok], top[ok])


def _containment_pairs(keys: list[str]) -> np.ndarray:
    """Pairs where one name's parts occur consecutively in the other's (a shorter name, at least 3 characters)."""
    by_parts: dict[tuple[str, ...], list[int]] = {}
    parts = [tuple(name_parts(k)) for k in keys]
    for row, p in enumerate(parts):
        if p and len("".join(p)) >= 3:
            by_parts.setdefault(p, []).append(row)
    out = []
    for row, p in enumerate(parts):
        for size in range(1, len(p)):
            for start in range(len(p) - size + 1):
                out.extend((row, other) for other in by_parts.get(p[start:start + size], ()) if other != row)
    return unordered_pairs(*map(np.array, zip(*out))) if out else np.zeros((0, 2), np.int64)


def _ranks(idx: np.ndarray, sims: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """1-based rank of b in a's list and of a in b's list (0 when absent), and the pair's cosine where a list
    holds it (NaN elsewhere), without per-pair scans."""
    n, k = idx.shape
    rows = np.arange(n)[:, None]
    ok = (idx >= 0) & (idx != rows)
    keys = (np.broadcast_to(rows, idx.shape) * n + idx)[ok]
    ranks = np.broadcast_to(np.arange(1, k + 1), idx.shape)[ok]
    values = np.asarray(sims, np.float64).reshape(n, k)[ok]
    order = np.argsort(keys, kind="stable")
    keys, ranks, values = keys[order], ranks[order], values[order]

    def lookup(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if keys.size == 0:
            return np.zeros(q.size, np.int64), np.full(q.size, np.nan)
        pos = np.minimum(np.searchsorted(keys, q), keys.size - 1)
        found = keys[pos] == q
        return np.where(found, ranks[pos], 0), np.where(found, values[pos], np.nan)

    (r_ab, s_ab), (r_ba, s_ba) = lookup(a * n + b), lookup(b * n + a)
    return r_ab, r_ba, np.where(np.isnan(s_ab), s_ba, s_ab)


def _type_codes(entities: pl.DataFrame) -> tuple[list[str], np.ndarray]:
    """(sorted type names, each entity's code into them), types normalised as discovery compares them."""
    types = entities["entity_type"].cast(pl.Utf8).fill_null("").str.strip_chars().str.to_lowercase().to_numpy().astype(str)
    names, codes = np.unique(types, return_inverse=True)
    return names.tolist(), codes.astype(np.int64)


def _cosines(x: np.ndarray, a: np.ndarray, b: np.ndarray, block: int = 65536) -> np.ndarray:
    """Row-wise dot products of pairs, a block at a time (two (pairs, dim) copies would be gigabytes at 100k)."""
    out = np.empty(a.size, np.float64)
    for s in range(0, a.size, block):
        out[s:s + block] = np.einsum("nd,nd->n", x[a[s:s + block]], x[b[s:s + block]])
    return out


def _similarity_features(g: GraphInputs, calibration: Calibration, a: np.ndarray, b: np.ndarray, m: int) -> dict:
    n = g.entities.height
    r_ab, r_ba, cosine = _ranks(np.asarray(g.neighbor_idx, np.int64).reshape(n, -1), np.asarray(g.neighbor_sims).reshape(n, -1), a, b)
    missing = np.isnan(cosine)  # pairs no neighbour list holds (admitted by a name or a conversation)
    cosine[missing] = _cosines(np.asarray(g.vectors, np.float32), a[missing], b[missing])
    names, codes = _type_codes(g.entities)
    inv_ab, inv_ba = np.where(r_ab > 0, 1.0 / np.maximum(r_ab, 1), 0.0), np.where(r_ba > 0, 1.0 / np.maximum(r_ba, 1), 0.0)
    return {
        "cosine": cosine, "null_z": calibration.standing(names, codes[a], codes[b], cosine),
        "rank_best_inv": np.maximum(inv_ab, inv_ba), "rank_worst_inv": np.minimum(inv_ab, inv_ba),
        "mutual_knn": ((r_ab >= 1) & (r_ab <= m) & (r_ba >= 1) & (r_ba <= m)).astype(np.float64),
        "rank_a_in_b": r_ba, "rank_b_in_a": r_ab,
    }


VERB_MENTION = pl.Struct({"by": pl.Utf8, "verb": pl.Utf8, "text": pl.Utf8})


def _pair_keys(x: pl.Expr, y: pl.Expr) -> list[pl.Expr]:
    return [pl.min_horizontal(x, y).alias("a"), pl.max_horizontal(x, y).alias("b")]


def _mention_features(frame: pl.DataFrame, observed: pl.DataFrame, verbs: list[Mention], idf: np.ndarray, ids: pl.Series) -> pl.DataFrame:
    """Named anywhere in the other's observations (weighted by the name's IDF; the shortest such observation
    gives the focus) and named after a verb (in scan order, at most 10 kept per pair: the first types the edge)."""
    idf_of = pl.DataFrame({"named": np.arange(idf.size, dtype=np.int64), "idf": idf})
    id_of = pl.DataFrame({"row": np.arange(ids.len(), dtype=np.int64), "id": ids})
    named = (observed.join(idf_of, on="named").join(id_of, left_on="observer", right_on="row")
             .with_columns(*_pair_keys(pl.col("observer"), pl.col("named")))
             .group_by("a", "b").agg(pl.col("idf").max().alias("mention_idf"), (1.0 / pl.col("words").clip(1, None)).max().alias("mention_focus"),
                                     pl.col("id").unique(maintain_order=True).alias("named_by")))
    stated = pl.DataFrame({"source": [v.source for v in verbs], "target": [v.target for v in verbs], "verb": [v.relation for v in verbs],
                           "text": [v.text for v in verbs]}, schema={"source": pl.Int64, "target": pl.Int64, "verb": pl.Utf8, "text": pl.Utf8})
    stated = (stated.with_row_index("order").join(idf_of, left_on="target", right_on="named").join(id_of, left_on="source", right_on="row")
              .with_columns(*_pair_keys(pl.col("source"), pl.col("target"))).sort("order")
              .group_by("a", "b", maintain_order=True).agg(
                  pl.col("idf").max().alias("verb_idf"), pl.col("verb").first(), pl.col("source").first().alias("verb_source"),
                  pl.col("text").first().alias("verb_text"),
                  pl.struct(pl.col("id").alias("by"), "verb", "text").head(10).alias("verb_mentions")))
    out = frame.join(named, on=["a", "b"], how="left").join(stated, on=["a", "b"], how="left")
    return out.with_columns(
        pl.max_horizontal(pl.col("mention_idf").fill_null(0.0), pl.col("verb_idf").fill_null(0.0)).alias("mention_idf"),
        pl.col("mention_focus").fill_null(0.0), pl.col("verb").is_not_null().cast(pl.Float64).alias("mention_verb"),
        pl.col("named_by").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
        pl.col("verb_mentions").fill_null(pl.lit([], dtype=pl.List(VERB_MENTION))),
    ).drop("verb_idf")


def _stem_features(frame: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """The stems both names share, and the most distinctive one's IDF over all names."""
    stems = pl.DataFrame({"row": np.arange(len(names), dtype=np.int64), "stem": [sorted(name_stems(s)) for s in names]},
                         schema={"row": pl.Int64, "stem": pl.List(pl.Utf8)}).explode("stem").drop_nulls()
    counts = stems.group_by("stem").len()
    idf = counts.with_columns(pl.Series("stem_idf", idf_weights(dict(counts.iter_rows()), len(names), counts["stem"].to_list())))
    shared = (frame.select("a", "b").join(stems.rename({"row": "a"}), on="a").join(stems.rename({"row": "b"}), on=["b", "stem"])
              .join(idf.select("stem", "stem_idf"), on="stem").sort("stem")
              .group_by("a", "b").agg(pl.col("stem").alias("shared_stems"), pl.col("stem_idf").max().alias("shared_stem_idf")))
    return frame.join(shared, on=["a", "b"], how="left").with_columns(
        pl.col("shared_stems").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))), pl.col("shared_stem_idf").fill_null(0.0))


def _comention_features(frame: pl.DataFrame, stats: CoMentions) -> pl.DataFrame:
    """Conversations and chunks naming both, PMI (0 when never together), whether absence means anything,
    and the best few conversations, joined from the co-mention counts."""
    pairs = stats.pairs.rename({"i": "a", "j": "b", "conversations": "comention_conversations", "chunks": "comention_chunks",
                                "best": "comention_best"})
    per = pl.Series(stats.per_entity.astype(np.float64))
    out = frame.join(pairs, on=["a", "b"], how="left").with_columns(
        pl.col("comention_conversations").fill_null(0).cast(pl.Int64), pl.col("comention_chunks").fill_null(0).cast(pl.Int64),
        pl.col("comention_best").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
        pl.col("a").map_batches(lambda r: per.gather(r), return_dtype=pl.Float64).alias("_na"),
        pl.col("b").map_batches(lambda r: per.gather(r), return_dtype=pl.Float64).alias("_nb"),
    )
    n = float(max(stats.conversations, 1))
    return out.with_columns(
        pl.col("comention_conversations").cast(pl.Float64).log1p().alias("comention_log"),
        pl.when(pl.col("comention_conversations") > 0)
        .then((pl.col("comention_conversations") * n / pl.max_horizontal(pl.col("_na") * pl.col("_nb"), pl.lit(1.0))).log())
        .otherwise(0.0).alias("comention_pmi"),
        ((stats.conversations > 0) & (pl.col("_na") > 0) & (pl.col("_nb") > 0)).cast(pl.Float64).alias("comention_known"),
    ).drop("_na", "_nb")


def _structure_features(g: GraphInputs, a: np.ndarray, b: np.ndarray) -> dict:
    n = g.entities.height
    src, dst = (np.asarray(r, np.int64) for r in g.source_rows)
    hood = neighbourhood(adjacency(n, src, dst), a, b)
    _, codes = _type_codes(g.entities)
    lift = type_pair_lift(codes, src, dst)
    return {"common_neighbors_log": np.log1p(hood["common"]), "adamic_adar": hood["adamic_adar"],
            "source_degree_log": np.log1p(hood["degree_a"]) + np.log1p(hood["degree_b"]),
            "type_pair_lift": lift[codes[a], codes[b]], "same_type": (codes[a] == codes[b]).astype(np.float64),
            "common_neighbors": hood["common"]}
