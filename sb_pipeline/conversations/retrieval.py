"""Hybrid retrieval: BM25 over chunk words and cosine over chunk vectors, fused per chunk, best chunk per
conversation. The one implementation behind `sb-pipeline search` (single and batch), the MCP server, the
`retrieval_quality` check and the benchmarks.

Why fuse: vectors find a paraphrase ("why did the mails go out twice?" -> a visibility-timeout story) and
miss exact strings; BM25 finds `ECONNRESET`, `pytest-xdist` or a file name and misses paraphrases. Each
chunk gets both scores: its cosine (exact, over every stored vector) and its BM25 (the lexical index's best
`depth` chunks; a chunk outside them scores 0). They are fused by a method chosen by cross-validation on the
labelled development set (bench/retrieval_quality.py, `FUSION` below):
- `wsum`: weight x cosine + (1 - weight) x BM25 / the query's best BM25, both in [0, 1] for a relevant chunk;
- `rrf`: reciprocal-rank fusion, 1 / (k + rank) summed over the two rankings.
A conversation's score in hybrid mode is its best chunk's plus 0.6 x its second best's (passage
aggregation: the conversation that resolved a problem discusses it in several places, a note that only
restates it in one; measured +9.5 points of MRR on the development set, held out). Lexical and semantic modes rank by
the best chunk alone, as plain BM25 and Session Buddy's search do.

Modes: `hybrid` (the default), `semantic` (cosine only: Session Buddy's search), `lexical` (BM25 only).
`min_score` applies to the mode's own score: a cosine (semantic), a BM25 score (lexical), or the fused score
(hybrid: 0-1 for the best chunk, plus up to 0.6 for the second).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np
import polars as pl

from sb_pipeline.text.tokens import tokens
from sb_pipeline.warehouse.lexical_index import LexicalIndex
from sb_pipeline.warehouse.search_matrix import SearchMatrix

MODES = ("hybrid", "semantic", "lexical")


@dataclass(frozen=True)
class Fusion:
    """How the two rankings are combined (neutral defaults; FUSION below is the chosen configuration)."""

    method: str = "wsum"  # wsum | rrf
    weight: float = 0.5  # wsum: the cosine's share
    rrf_k: int = 60  # rrf: rank offset
    depth: int = 300  # chunks taken from each ranking before fusing
    identifier_boost: float = 1.0  # BM25 weight of query words that are identifiers (a digit or one of _ . / - :)
    fold_plurals: bool = False
    second_chunk: float = 0.0  # a conversation's score = best chunk + this x its second best (evidence in several places)


# Chosen by 5-fold cross-validation on the labelled development set and then fitted on all of it
# (bench/retrieval_quality.py, bench/results/retrieval_quality.json): every fold chose the weighted sum with
# cosine weight 0.5-0.6 and a second-chunk weight of 0.4-0.6; identifier boosts and plural folding did not pay.
FUSION = Fusion(method="wsum", weight=0.6, second_chunk=0.6)


@dataclass(frozen=True)
class Hit:
    conversation_id: str
    chunk_id: str
    score: float  # the mode's score: fused, cosine or BM25
    semantic_score: float | None  # the best chunk's cosine (None: the chunk has no vector yet)
    lexical_score: float  # its BM25 (0: none of the query's words, or not among the `depth` best)


class Retriever:
    """A query's three rankings over one loaded search matrix and lexical index (both loaded once)."""

    def __init__(self, matrix: SearchMatrix, lexical: LexicalIndex | None, embed: Callable[[list[str]], np.ndarray],
                 fusion: Fusion = FUSION) -> None:
        self.matrix, self.lexical, self.embed, self.fusion = matrix, lexical, embed, fusion
        self._rows = matrix.ids.select("chunk_id", "conversation_id").with_row_index("row")

    def search(self, query: str, limit: int = 10, mode: str = "hybrid", project: str | None = None,
               kind: str | None = None, min_score: float | None = None,
               conversation_ids: Collection[str] | None = None) -> list[Hit]:
        """`conversation_ids`, when given, restricts the ranking to those conversations (e.g. a project's sessions
        in a time range: the sessions around a quality change)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if mode != "semantic" and self.lexical is None:
            raise LexicalIndexUnavailable("the lexical index is missing or behind the warehouse: materialize "
                                          "conversation_lexical_index (make run), or search with --mode semantic")
        only = None if conversation_ids is None else list(conversation_ids)
        cosine = self._cosine(query, project, kind, only) if mode != "lexical" else None
        lexical = self._bm25(query, project, kind, limit, only) if mode != "semantic" else pl.DataFrame(schema=_LEX)
        chunks = self._candidates(cosine, lexical, mode, limit)
        return _best_per_conversation(chunks, limit, min_score, self.fusion.second_chunk if mode == "hybrid" else 0.0)

    def _cosine(self, query: str, project: str | None, kind: str | None, only: list[str] | None = None) -> np.ndarray:
        scores = np.asarray(self.matrix.vectors @ self.embed([query])[0].astype(np.float32), dtype=np.float32)
        if project is not None or kind is not None:
            scores[~self.matrix.mask(project, kind)] = -np.inf
        if only is not None:
            scores[~self._rows["conversation_id"].is_in(only).to_numpy()] = -np.inf
        return scores

    def _bm25(self, query: str, project: str | None, kind: str | None, limit: int, only: list[str] | None = None) -> pl.DataFrame:
        """The best chunks by BM25: `depth` of them, more while they belong to fewer than `limit` conversations."""
        words = tokens(query, fold_plurals=self.fusion.fold_plurals)
        boosts = {w: self.fusion.identifier_boost for w in words if _is_identifier(w)} if self.fusion.identifier_boost != 1 else None
        depth = self.fusion.depth
        while True:
            hits = self.lexical.search(words, depth, project=project, kind=kind, boosts=boosts)
            exhausted = hits.height < depth
            if only is not None:
                hits = hits.filter(pl.col("conversation_id").is_in(only))
            if exhausted or hits["conversation_id"].n_unique() >= limit:
                return hits
            depth *= 8

    def _semantic_rows(self, cosine: np.ndarray, limit: int) -> np.ndarray:
        """The best rows by cosine: `depth` of them, more while they belong to fewer than `limit` conversations
        (one long session's many similar chunks must not hide the others)."""
        depth = self.fusion.depth
        while True:
            rows = _top(cosine, depth)
            finite = rows[np.isfinite(cosine[rows])]
            if len(rows) >= len(cosine) or self._rows["conversation_id"].gather(finite).n_unique() >= limit:
                return finite
            depth *= 8

    def _candidates(self, cosine: np.ndarray | None, lexical: pl.DataFrame, mode: str, limit: int) -> pl.DataFrame:
        """chunk_id, conversation_id, semantic_score, lexical_score, score for every candidate chunk."""
        lexical = lexical.select("chunk_id", "conversation_id", pl.col("lexical_score").cast(pl.Float64))
        if cosine is None:
            frame = lexical.with_columns(semantic_score=pl.lit(None, pl.Float64))
        else:
            rows = self._semantic_rows(cosine, limit)  # -inf (filtered out by project or kind) already dropped
            semantic = (self._rows.gather(rows).with_columns(semantic_score=pl.Series(cosine[rows], dtype=pl.Float64),
                                                             lexical_score=pl.lit(0.0))
                        .filter(~pl.col("chunk_id").is_in(lexical["chunk_id"].implode())))
            found = lexical.join(self._rows.select("chunk_id", "row"), on="chunk_id", how="left", maintain_order="left")
            cos = np.where(found["row"].is_null().to_numpy(), np.nan, cosine[found["row"].fill_null(0).to_numpy()])
            found = found.with_columns(semantic_score=pl.Series(cos, dtype=pl.Float64).fill_nan(None))
            columns = ["chunk_id", "conversation_id", "semantic_score", "lexical_score"]
            frame = pl.concat([found.select(columns), semantic.select(columns)])
        return frame.with_columns(score=fuse(frame, mode, self.fusion))


class LexicalIndexUnavailable(RuntimeError):
    """Hybrid or lexical search without a current lexical index."""


_LEX = {"chunk_id": pl.Utf8, "conversation_id": pl.Utf8, "lexical_score": pl.Float32}


def fuse(chunks: pl.DataFrame, mode: str, fusion: Fusion) -> pl.Series:
    """Each candidate chunk's score in `mode`."""
    sem = chunks["semantic_score"].fill_null(float("-inf")) if chunks.height else chunks["semantic_score"]
    lex = chunks["lexical_score"]
    if mode == "semantic":
        return sem
    if mode == "lexical":
        return lex
    if fusion.method == "rrf":
        sem_rank = sem.rank("ordinal", descending=True)
        lex_rank = lex.rank("ordinal", descending=True)
        return (1.0 / (fusion.rrf_k + sem_rank) + (lex > 0).cast(pl.Float64) / (fusion.rrf_k + lex_rank)).alias("score")
    top = lex.max() if chunks.height else 0.0
    lex_n = lex / top if top and top > 0 else lex * 0.0
    sem_n = chunks["semantic_score"].fill_null(0.0).clip(lower_bound=0.0)
    return (fusion.weight * sem_n + (1.0 - fusion.weight) * lex_n).alias("score")


def _best_per_conversation(chunks: pl.DataFrame, limit: int, min_score: float | None, second: float = 0.0) -> list[Hit]:
    chunks = chunks.filter(pl.col("score").is_finite())
    ranked = chunks.sort(["score", "lexical_score", "chunk_id"], descending=[True, True, False])
    best = ranked.unique("conversation_id", keep="first", maintain_order=True)
    if second:
        runner_up = (ranked.filter(pl.col("conversation_id").is_first_distinct().not_())
                     .unique("conversation_id", keep="first").select("conversation_id", pl.col("score").alias("_second")))
        best = (best.join(runner_up, on="conversation_id", how="left")
                .with_columns(score=pl.col("score") + second * pl.col("_second").fill_null(0.0)).drop("_second")
                .sort(["score", "lexical_score", "chunk_id"], descending=[True, True, False]))
    if min_score is not None:
        best = best.filter(pl.col("score") >= min_score)
    return [Hit(r["conversation_id"], r["chunk_id"], r["score"], r["semantic_score"], r["lexical_score"])
            for r in best.head(limit).iter_rows(named=True)]


def _top(scores: np.ndarray, depth: int) -> np.ndarray:
    if scores.shape[0] <= depth:
        return np.argsort(-scores, kind="stable")
    top = np.argpartition(-scores, depth - 1)[:depth]
    return top[np.argsort(-scores[top], kind="stable")]


def _is_identifier(word: str) -> bool:
    """A query word a person would type exactly: with a digit or a joiner (`e501`, `pytest-xdist`, `os.environ`)."""
    return any(ch.isdigit() or ch in "_./-:\\" for ch in word)
