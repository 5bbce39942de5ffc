"""Search as a user calls it (`sb-pipeline search`, its batch form, the MCP server): the model, the search
matrix and the lexical index loaded once, then any number of queries, each answered with the conversations'
facts and a snippet.

The warehouse is opened read-only and briefly (to load the matrix and to fetch the hits' facts), never held
between queries. Before each query the session checks the warehouse's tokens and reloads what changed, so a
long-lived session (the MCP server) sees a run's new data without a restart. When the lexical index is
missing or behind the warehouse, hybrid search answers with the vectors alone and says so (`notice`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from sb_pipeline.conversations.retrieval import MODES, LexicalIndexUnavailable, Retriever
from sb_pipeline.conversations.search import snippet
from sb_pipeline.warehouse import connect, generations
from sb_pipeline.warehouse import conversations as store
from sb_pipeline.warehouse.lexical_index import open_current
from sb_pipeline.warehouse.search_matrix import load_search_matrix

STALE_INDEX = "the lexical index is missing or behind the warehouse (materialize conversation_lexical_index): semantic results only"


@dataclass
class Answer:
    query: str
    mode: str
    results: list[dict]
    notice: str | None = None

    def to_dict(self) -> dict:
        return {"query": self.query, "mode": self.mode, "results": self.results, **({"notice": self.notice} if self.notice else {})}


@dataclass
class SearchSession:
    warehouse: Path | str
    cache_dir: Path | None
    index_dir: Path
    load_model: Callable[[], object]  # -> an Embedder; called once, on the first query that needs it
    model_id: str | None = None  # the cache manifest's (cheap); lexical search then never loads the model
    wait_seconds: float = 5.0
    _model: object = None
    _retriever: Retriever | None = None
    _tokens: tuple = field(default_factory=tuple)

    @property
    def model(self):
        if self._model is None:
            self._model = self.load_model()
        return self._model

    def search(self, query: str, limit: int = 10, mode: str = "hybrid", project: str | None = None, kind: str | None = None,
               min_score: float | None = None, conversation_ids: Collection[str] | None = None) -> Answer:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if not query or not query.strip():
            raise ValueError("the query is empty")
        retriever = self._current()
        notice = None
        try:
            hits = retriever.search(query, limit=limit, mode=mode, project=project, kind=kind, min_score=min_score,
                                    conversation_ids=conversation_ids)
        except LexicalIndexUnavailable:
            if mode == "lexical":
                raise
            notice, mode = STALE_INDEX, "semantic"
            hits = retriever.search(query, limit=limit, mode=mode, project=project, kind=kind, min_score=min_score,
                                    conversation_ids=conversation_ids)
        with connect(self.warehouse, read_only=True, wait_seconds=self.wait_seconds) as conn:
            details = store.search_details(conn, [h.chunk_id for h in hits])
        return Answer(query, mode, [_result(h, details[h.chunk_id], query) for h in hits if h.chunk_id in details], notice)

    def _current(self) -> Retriever:
        """The retriever for the warehouse as it is now (reloaded when a run changed it)."""
        with connect(self.warehouse, read_only=True, wait_seconds=self.wait_seconds) as conn:
            tokens = (generations.current(conn, generations.SEARCH), generations.current(conn, generations.CHUNKS))
            if self._retriever is None or tokens != self._tokens:
                matrix = load_search_matrix(conn, self.warehouse, self.model_id or self.model.model_id, self.cache_dir)
                self._retriever = Retriever(matrix, open_current(self.index_dir, tokens[1]), lambda texts: self.model.embed(texts))
                self._tokens = tokens
        return self._retriever

    @property
    def embedded_chunks(self) -> int:
        return 0 if self._retriever is None else self._retriever.matrix.vectors.shape[0]


def _result(hit, d: dict, query: str) -> dict:
    started = d["started_at"]
    return {
        "conversation_id": hit.conversation_id, "natural_key": d["natural_key"], "source": d["source"],
        "source_ref": d["source_ref"], "project": d["project"], "kind": d["kind"],
        "started_at": started.isoformat() if started else None,
        "score": round(hit.score, 4),
        "semantic_score": None if hit.semantic_score is None else round(hit.semantic_score, 4),
        "lexical_score": round(hit.lexical_score, 4),
        "chunk": d["ordinal"], "snippet": snippet(d["text"], query),
    }
