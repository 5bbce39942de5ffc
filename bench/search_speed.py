"""Search latency over 100k stored chunk vectors, on the same warehouse in the same run:
- ours, warm: numpy over the memory-mapped search-matrix cache (what `sb-pipeline search` does while
  the warehouse is unchanged), best chunk per conversation;
- ours, cold: the same, reading the vectors out of DuckDB (no cache: the first search after a run);
- Session Buddy's way: DuckDB `array_cosine_similarity` ... ORDER BY ... LIMIT, in SQL.
Each figure includes opening and closing the warehouse. Prints milliseconds and the ratios.

    .venv/bin/python bench/search_speed.py [--chunks 100000] [--queries 20]

Vectors are random unit vectors (the arithmetic does not care what they mean); the warehouse is a
real DuckDB file built with the project's schema in a temp folder.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import polars as pl

from sb_pipeline.conversations.retrieval import Retriever
from sb_pipeline.warehouse import connect
from sb_pipeline.warehouse import conversations as store
from sb_pipeline.warehouse.search_matrix import load_search_matrix

MODEL = "bench-model"


def build(path: Path, chunks: int, per_conversation: int, rng: np.random.Generator) -> None:
    n_conv = chunks // per_conversation
    now = datetime.now(timezone.utc)
    conv_ids = [f"c{i:07d}" for i in range(n_conv)]
    with connect(path) as conn:
        conv = pl.DataFrame({"conversation_id": conv_ids, "content_hash": conv_ids, "project": [f"p{i % 8}" for i in range(n_conv)]})
        conn.register("conv", conv)
        conn.execute(
            "INSERT INTO conversations SELECT conversation_id, 'inbox', conversation_id, conversation_id, 'conversation', project, ?, "
            "'text', content_hash, 4, 0, NULL, ?, ? FROM conv", [now, now, now])
        ids = np.arange(chunks)
        chunk = pl.DataFrame({
            "chunk_id": [f"k{i:08d}" for i in ids], "conversation_id": [conv_ids[i // per_conversation] for i in ids],
            "ordinal": (ids % per_conversation).astype(np.int32), "text": ["chunk text"] * chunks,
            "text_hash": [f"h{i:08d}" for i in ids], "content_hash": ["x"] * chunks,
            "start_char": np.zeros(chunks, np.int32), "end_char": np.zeros(chunks, np.int32)})
        conn.register("chunk", chunk)
        conn.execute("INSERT INTO conversation_chunks SELECT * FROM chunk")
        vectors = rng.standard_normal((chunks, 384), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        store.insert_embeddings(conn, chunk["text_hash"].to_list(), vectors, MODEL, now)


def ours(path: Path, query: np.ndarray, limit: int, cache: Path | None) -> list[str]:
    with connect(path, read_only=True) as conn:
        matrix = load_search_matrix(conn, path, MODEL, cache)
        hits = Retriever(matrix, None, lambda texts: query[None, :]).search("q", limit=limit, mode="semantic")
        store.search_details(conn, [h.chunk_id for h in hits])
    return [h.conversation_id for h in hits]


def session_buddy_sql(path: Path, query: np.ndarray, limit: int) -> list[str]:
    with connect(path, read_only=True) as conn:
        rows = conn.execute(
            """SELECT k.conversation_id, max(array_cosine_similarity(e.embedding, ?::FLOAT[384])) AS score
               FROM conversation_chunks k JOIN conversation_embeddings e ON e.text_hash = k.text_hash AND e.model_id = ?
               GROUP BY k.conversation_id ORDER BY score DESC LIMIT ?""",
            [query.tolist(), MODEL, limit]).fetchall()
    return [r[0] for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--per-conversation", type=int, default=5)
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        t = time.perf_counter()
        build(path, args.chunks, args.per_conversation, rng)
        print(f"built {args.chunks} chunks in {time.perf_counter() - t:.1f} s")
        queries = rng.standard_normal((args.queries, 384), dtype=np.float32)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        cache = Path(tmp) / "cache"
        methods = {
            "ours, warm cache": lambda q: ours(path, q, 10, cache),
            "ours, no cache": lambda q: ours(path, q, 10, None),
            "session-buddy SQL": lambda q: session_buddy_sql(path, q, 10),
        }
        ours(path, queries[0], 10, cache)  # the first search after a run writes the cache
        timings: dict[str, list[float]] = {name: [] for name in methods}
        for q in queries:
            results = []
            for name, fn in methods.items():
                t = time.perf_counter()
                results.append(fn(q))
                timings[name].append((time.perf_counter() - t) * 1000)
            assert results[0] == results[1] == results[2], "all methods must return the same ranking"
        print(f"{'method':<20} {'median ms':>10} {'p90 ms':>10}")
        for name, values in timings.items():
            print(f"{name:<20} {statistics.median(values):>10.1f} {np.percentile(values, 90):>10.1f}")
        sql = statistics.median(timings["session-buddy SQL"])
        for name in ("ours, warm cache", "ours, no cache"):
            print(f"speed-up vs Session Buddy's SQL ({name}): {sql / statistics.median(timings[name]):.2f}x")
        print(f"over {args.chunks} chunks, {args.queries} queries")


if __name__ == "__main__":
    main()
