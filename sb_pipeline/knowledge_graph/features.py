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
from sb_pipeline.knowledge_graph.comention import CoMentions, pair_statistics
from sb_pipeline.knowledge_graph.evidence import Mention, NameIndex, name_stems
from sb_pipeline.knowledge_graph.names import common_prefix_share, find_names, idf_weights, name_key, name_parts
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
    "prefix_share": "characters the two names share at the start, over the shorter name's length",
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
    verbs = NameIndex(names).mentions(g.entities["observations"].to_list())
    df = Counter(observed.select("observer", "key").unique()["key"].to_list())
    for key, row in {k: r for r, k in enumerate(keys) if k}.items():
        df[key] += int(g.comentions.per_entity[row])
    idf = idf_weights(df, n + g.comentions.conversations, keys)
    admitted = {
        "similarity": _similarity_pairs(idx, m),
        "observation": np.concatenate([_pairs_of(observed["observer"].to_numpy(), observed["named"].to_numpy()),
                                       _pairs_of(np.array([v.source for v in verbs], np.int64), np.array([v.target for v in verbs], np.int64))]),
        "name": _containment_pairs(keys),
        "co-mention": _pairs_of(g.comentions.pairs["i"].to_numpy(), g.comentions.pairs["j"].to_numpy()),
    }
    a, b = _union(admitted, n, g.source_rows)
    if a.size == 0:
        return pl.DataFrame()
    frame = pl.DataFrame({"a": a, "b": b})
    frame = frame.with_columns(pl.concat_list([pl.when(pl.Series(_member(a, b, p, n))).then(pl.lit(kind)).otherwise(None)
                                               for kind, p in admitted.items()]).list.drop_nulls().alias("admitted_by"))
    return frame.with_columns(**_similarity_features(g, calibration, a, b, m), **_mention_features(observed, verbs, idf, a, b, n),
                              **_name_features(names, keys, admitted["name"], a, b, n),
                              **_comention_features(g.comentions, a, b), **_structure_features(g, a, b))


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


def _pairs_of(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Unordered pairs as sorted unique int64 codes lo * n + hi (n added by the caller's encoding)."""
    return np.stack([np.minimum(x, y), np.maximum(x, y)], axis=1).astype(np.int64).reshape(-1, 2)


def _similarity_pairs(idx: np.ndarray, m: int) -> np.ndarray:
    rows = np.repeat(np.arange(idx.shape[0]), m)
    top = idx[:, :m].reshape(-1)
    ok = (top >= 0) & (top != rows)
    return _pairs_of(rows[ok], top[ok])


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
    return _pairs_of(*map(np.array, zip(*out))) if out else np.zeros((0, 2), np.int64)


def _codes(pairs: np.ndarray, n: int) -> np.ndarray:
    return pairs[:, 0].astype(np.int64) * n + pairs[:, 1] if pairs.size else np.zeros(0, np.int64)


def _union(admitted: dict[str, np.ndarray], n: int, source_rows: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    codes = np.unique(np.concatenate([_codes(p, n) for p in admitted.values()]))
    src, dst = source_rows
    existing = _codes(_pairs_of(np.asarray(src, np.int64), np.asarray(dst, np.int64)), n)
    codes = codes[~np.isin(codes, existing)]
    a, b = codes // max(n, 1), codes % max(n, 1)
    keep = a != b
    return a[keep], b[keep]


def _member(a: np.ndarray, b: np.ndarray, pairs: np.ndarray, n: int) -> np.ndarray:
    return np.isin(a * n + b, _codes(pairs, n))


def _ranks(idx: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1-based rank of b in a's list and of a in b's list (0 when absent), without per-pair scans."""
    n, k = idx.shape
    rows = np.arange(n)[:, None]
    ok = (idx >= 0) & (idx != rows)
    keys = (np.broadcast_to(rows, idx.shape) * n + idx)[ok]
    ranks = np.broadcast_to(np.arange(1, k + 1), idx.shape)[ok]
    order = np.argsort(keys, kind="stable")
    keys, ranks = keys[order], ranks[order]

    def lookup(q: np.ndarray) -> np.ndarray:
        if keys.size == 0:
            return np.zeros(q.size, np.int64)
        pos = np.minimum(np.searchsorted(keys, q), keys.size - 1)
        return np.where(keys[pos] == q, ranks[pos], 0)

    return lookup(a * n + b), lookup(b * n + a)


def _similarity_features(g: GraphInputs, calibration: Calibration, a: np.ndarray, b: np.ndarray, m: int) -> dict:
    x = np.asarray(g.vectors, np.float32)
    cosine = np.einsum("nd,nd->n", x[a], x[b], dtype=np.float64) if a.size else np.zeros(0)
    types = [(t or "").strip().lower() for t in g.entities["entity_type"].to_list()]
    r_ab, r_ba = _ranks(np.asarray(g.neighbor_idx, np.int64).reshape(g.entities.height, -1), a, b)
    inv_ab, inv_ba = np.where(r_ab > 0, 1.0 / np.maximum(r_ab, 1), 0.0), np.where(r_ba > 0, 1.0 / np.maximum(r_ba, 1), 0.0)
    return {
        "cosine": cosine, "null_z": calibration.standing([types[i] for i in a], [types[j] for j in b], cosine),
        "rank_best_inv": np.maximum(inv_ab, inv_ba), "rank_worst_inv": np.minimum(inv_ab, inv_ba),
        "mutual_knn": ((r_ab >= 1) & (r_ab <= m) & (r_ba >= 1) & (r_ba <= m)).astype(np.float64),
        "rank_a_in_b": r_ba, "rank_b_in_a": r_ab,
    }


VERB_MENTION = pl.Struct({"source": pl.Int64, "target": pl.Int64, "verb": pl.Utf8, "text": pl.Utf8})


def _mention_features(observed: pl.DataFrame, verbs: list[Mention], idf: np.ndarray, a: np.ndarray, b: np.ndarray, n: int) -> dict:
    """Named anywhere in the other's observations (weighted by the name's IDF), and named after a verb (in
    scan order, at most 10 kept per pair: the first one types the edge)."""
    weight = np.zeros(a.size, np.float64)
    focus = np.zeros(a.size, np.float64)
    observers: list[list[int]] = [[] for _ in range(a.size)]
    stated: list[list[dict]] = [[] for _ in range(a.size)]
    code_of = {c: r for r, c in enumerate((a * n + b).tolist())}
    for obs, named, words in observed.select("observer", "named", "words").iter_rows():
        r = code_of.get(min(obs, named) * n + max(obs, named))
        if r is not None:
            weight[r] = max(weight[r], idf[named])
            focus[r] = max(focus[r], 1.0 / max(words, 1))
            if obs not in observers[r]:
                observers[r].append(obs)
    for v in verbs:
        r = code_of.get(min(v.source, v.target) * n + max(v.source, v.target))
        if r is not None and len(stated[r]) < 10:
            stated[r].append({"source": v.source, "target": v.target, "verb": v.relation, "text": v.text})
            weight[r] = max(weight[r], idf[v.target])
    return {"mention_idf": weight, "mention_focus": focus, "mention_verb": np.array([1.0 if s else 0.0 for s in stated]),
            "named_by": pl.Series(observers, dtype=pl.List(pl.Int64)), "verb_mentions": pl.Series(stated, dtype=pl.List(VERB_MENTION))}


def _name_features(names: list[str], keys: list[str], contained: np.ndarray, a: np.ndarray, b: np.ndarray, n: int) -> dict:
    stems = [name_stems(s) for s in names]
    stem_df = Counter(s for st in stems for s in st)
    stem_idf = {s: float(idf_weights({s: c}, n, [s])[0]) for s, c in stem_df.items()}
    shared = [sorted(stems[i] & stems[j]) for i, j in zip(a.tolist(), b.tolist())]
    return {
        "name_contains": _member(a, b, contained, n).astype(np.float64),
        "prefix_share": np.array([common_prefix_share(keys[i], keys[j]) for i, j in zip(a.tolist(), b.tolist())], np.float64),
        "shared_stem_idf": np.array([max((stem_idf[s] for s in st), default=0.0) for st in shared], np.float64),
        "shared_stems": pl.Series(shared, dtype=pl.List(pl.Utf8)),
    }


def _comention_features(stats: CoMentions, a: np.ndarray, b: np.ndarray) -> dict:
    got = pair_statistics(stats, a, b)
    return {"comention_log": np.log1p(got["conversations"].astype(np.float64)), "comention_pmi": got["pmi"],
            "comention_known": got["known"].astype(np.float64), "comention_conversations": got["conversations"],
            "comention_chunks": got["chunks"], "comention_best": pl.Series(got["best"], dtype=pl.List(pl.Utf8))}


def _structure_features(g: GraphInputs, a: np.ndarray, b: np.ndarray) -> dict:
    n = g.entities.height
    src, dst = (np.asarray(r, np.int64) for r in g.source_rows)
    hood = neighbourhood(adjacency(n, src, dst), a, b)
    types = [(t or "").strip().lower() for t in g.entities["entity_type"].to_list()]
    names = sorted(set(types))
    codes = np.array([names.index(t) for t in types], np.int64)
    lift = type_pair_lift(codes, src, dst)
    return {"common_neighbors_log": np.log1p(hood["common"]), "adamic_adar": hood["adamic_adar"],
            "source_degree_log": np.log1p(hood["degree_a"]) + np.log1p(hood["degree_b"]),
            "type_pair_lift": lift[codes[a], codes[b]], "same_type": (codes[a] == codes[b]).astype(np.float64),
            "common_neighbors": hood["common"]}
