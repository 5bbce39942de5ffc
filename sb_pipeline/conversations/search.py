"""What a search result shows of its chunk: the part that shares the most words with the query.

(The ranking itself is in retrieval.py: exact cosine over every stored vector, BM25, and their fusion.)
"""

from __future__ import annotations

import re

SNIPPET_CHARS = 240
_WORD = re.compile(r"[a-z0-9_]{3,}")


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
