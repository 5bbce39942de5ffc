"""How well search finds the right conversation, measured on labelled queries: Recall@k and MRR per mode.

A labelled query names its relevant conversations (by source and the source's own key, so the label is
independent of any warehouse). A query's rank is the position of the first relevant conversation in the
results (None beyond the results). Recall@k = share of queries with a rank <= k; MRR = mean of 1/rank.

`shipped_probes` builds the retrieval of the shipped samples entirely in memory (read, prepared, chunked,
embedded with the current model, a lexical index in memory) and their labelled probes, so the
`retrieval_quality` check re-measures the search method itself on every run, whatever the user's warehouse
holds: a model, chunking or tokeniser change that hurts retrieval shows the day it lands.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from sb_pipeline.conversations.chunking import chunk_frame
from sb_pipeline.conversations.ingest import spool_sources
from sb_pipeline.conversations.prepare import conversation_id
from sb_pipeline.constants import EMBEDDING_DIM
from sb_pipeline.conversations.retrieval import FUSION, MODES, Fusion, Retriever
from sb_pipeline.sources import inbox, reflection_db, transcripts
from sb_pipeline.warehouse.lexical_index import in_memory
from sb_pipeline.warehouse.search_matrix import SearchMatrix

KS = (1, 5, 10)


@dataclass(frozen=True)
class LabelledQuery:
    query: str
    relevant: frozenset[str]  # conversation ids
    project: str | None = None
    category: str = ""


def first_relevant_rank(results: Sequence[str], relevant: frozenset[str]) -> int | None:
    return next((i + 1 for i, cid in enumerate(results) if cid in relevant), None)


def scores(ranks: Iterable[int | None]) -> dict[str, float]:
    """R@1, R@5, R@10 and MRR of the given first-relevant ranks (None: not found)."""
    ranks = list(ranks)
    n = len(ranks) or 1
    out = {f"recall_at_{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in KS}
    out["mrr"] = sum(1.0 / r for r in ranks if r is not None) / n
    return {k: round(v, 4) for k, v in out.items()}


def ranks_of(retriever: Retriever, queries: Sequence[LabelledQuery], mode: str, limit: int = 10,
             use_project: bool = False) -> list[int | None]:
    return [first_relevant_rank([h.conversation_id for h in retriever.search(q.query, limit=limit, mode=mode,
                                                                            project=q.project if use_project else None)],
                                q.relevant) for q in queries]


def evaluate(retriever: Retriever, queries: Sequence[LabelledQuery], modes: Sequence[str] = MODES) -> dict[str, dict[str, float]]:
    return {mode: scores(ranks_of(retriever, queries, mode)) for mode in modes}


def labelled_queries(lines: Iterable[dict]) -> list[LabelledQuery]:
    """From `{"query", "relevant": [{"source", "natural_key"}], "project"?, "category"?}` objects."""
    return [LabelledQuery(item["query"], frozenset(conversation_id(r["source"], r["natural_key"]) for r in item["relevant"]),
                          item.get("project"), item.get("category", "")) for item in lines]


def in_memory_retriever(conversations: pl.DataFrame, tokenizer, embed: Callable[[list[str]], np.ndarray],
                        fusion: Fusion | None = None) -> Retriever:
    """A retriever over `conversations` (conversation_id, content, content_hash, project, kind) held in memory."""
    chunks = chunk_frame(conversations, tokenizer).join(conversations.select("conversation_id", "project", "kind"),
                                                        on="conversation_id", how="left")
    texts = chunks["text"].to_list()
    vectors = embed(texts) if texts else np.zeros((0, EMBEDDING_DIM), np.float32)
    matrix = SearchMatrix(chunks.select("chunk_id", "conversation_id", "project", "kind"), np.asarray(vectors, np.float32))
    return Retriever(matrix, in_memory(chunks.select("chunk_id", "conversation_id", "text", "project", "kind")), embed,
                     fusion or FUSION)


def read_corpus(root: Path) -> pl.DataFrame:
    """The conversations of a folder laid out like the samples (reflection.duckdb, transcripts/, inbox/), as the
    pipeline keeps them (prepared, copies collapsed), in memory."""
    with tempfile.TemporaryDirectory(prefix="probes-") as tmp:
        reads = [*reflection_db.iter_reflection_db(root / "reflection.duckdb", Path(tmp) / "snapshots"),
                 *transcripts.iter_transcripts(root / "transcripts"), *inbox.iter_inbox(root / "inbox")]
        spool_dir = Path(tmp) / "spool"
        spool_dir.mkdir()
        return spool_sources(reads, spool_dir).kept_rows()


def shipped_probes(samples: Path, tokenizer, embed: Callable[[list[str]], np.ndarray]) -> tuple[Retriever, list[LabelledQuery]]:
    """The shipped samples' retrieval, in memory, and their labelled probes (MANIFEST.json `probes`)."""
    kept = read_corpus(samples)
    retriever = in_memory_retriever(kept, tokenizer, embed)
    by_ref = dict(zip(kept["source_ref"].to_list(), kept["conversation_id"].to_list()))
    manifest = json.loads((samples / "MANIFEST.json").read_text())
    probes = [LabelledQuery(p["query"], frozenset({by_ref[p["expected_ref"]]}), category="probe") for p in manifest["probes"]]
    return retriever, probes


SLICE_PROJECTS = ("ledger-core", "chat-gateway", "ml-features")  # the development set's three largest query sets


def development_slice(dev: Path, tokenizer, embed: Callable[[list[str]], np.ndarray],
                      projects: Sequence[str] = SLICE_PROJECTS) -> tuple[Retriever, list[LabelledQuery]]:
    """A slice of the labelled development set (bench/labelled/retrieval_dev): the conversations of `projects`
    (with their distractors: stand-up notes, abandoned attempts, the same error elsewhere in the project) and
    every query whose relevant conversations are all in it. Hard enough that a regression moves the figures."""
    kept = read_corpus(dev).filter(pl.col("project").is_in(list(projects)))
    inside = set(kept["conversation_id"].to_list())
    lines = [json.loads(line) for line in (dev / "queries.jsonl").read_text().splitlines() if line.strip()]
    queries = [q for q in labelled_queries(lines) if q.relevant <= inside]
    return in_memory_retriever(kept, tokenizer, embed), queries
