"""Semantic search: rank conversations by their best chunk.

Vectors are unit-length, so cosine is a dot product: one matrix-vector product over every stored
chunk vector (100k x 384 float32 is ~150 MB and ~10 ms of arithmetic), then the best chunk per
conversation. No ANN index: exact scores, and nothing to rebuild when the model changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

SNIPPET_CHARS = 240
_WORD = re.compile(r"[a-z0-9_]{3,}")


@dataclass(frozen=True)
class Ranked:
    conversation_id: str
    chunk_row: int  # row of the best chunk in the matrix that was searched
    score: float


def rank_conversations(query: np.ndarray, vectors: np.ndarray, conversation_ids, limit: int = 10,
                       min_score: float = 0.0) -> list[Ranked]:
    """Top `limit` conversations by best-chunk cosine, at least `min_score`, best first.

    `conversation_ids[i]` names the conversation of row i (a list, numpy or polars sequence).
    Only the best few hundred rows are sorted; the full sort runs only when many of the best
    chunks belong to a handful of conversations.
    """
    n = len(conversation_ids)
    if n == 0 or limit <= 0:
        return []
    scores = vectors @ query.astype(np.float32)
    candidates = min(n, max(limit * 50, 500))
    while True:
        top = np.argpartition(-scores, candidates - 1)[:candidates] if candidates < n else np.arange(n)
        order = top[np.argsort(-scores[top], kind="stable")]
        out: list[Ranked] = []
        seen: set[str] = set()
        for row in order:
            score = float(scores[row])
            if score < min_score:
                return out
            cid = conversation_ids[int(row)]
            if cid not in seen:
                seen.add(cid)
                out.append(Ranked(str(cid), int(row), score))
                if len(out) >= limit:
                    return out
        if candidates >= n:
            return out
        candidates = min(n, candidates * 8)


def snippet(text: str, query: str, width: int = SNIPPET_CHARS) -> str:
    """The part of a chunk that shares the most words with the query, on one line."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    terms = set(_WORD.findall(query.lower()))
    lowered = flat.lower()
    best_start, best_hits = 0, -1
    step = max(width // 4, 1)
    for start in range(0, max(len(flat) - width, 0) + 1, step):
        window = lowered[start : start + width]
        hits = sum(window.count(t) for t in terms)
        if hits > best_hits:
            best_start, best_hits = start, hits
    piece = flat[best_start : best_start + width]
    return ("…" if best_start > 0 else "") + piece + ("…" if best_start + width < len(flat) else "")
