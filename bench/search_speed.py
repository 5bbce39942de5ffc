"""Search latency over 100k stored chunk vectors: ours (numpy over the stored vectors, best chunk
per conversation) vs Session Buddy's way (DuckDB `array_cosine_similarity` ORDER BY ... LIMIT in SQL),
on the same warehouse in the same run. Prints per-query milliseconds and the ratio.

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

from sb_pipeline.conversations.search import rank_conversations
from sb_pipeline.warehouse import connect
from sb_pipeline.warehouse import conversations as store

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


def ours(path: Path, query: np.ndarray, limit: int) -> list[str]:
    with connect(path, read_only=True) as conn:
        chunk_ids, conv_ids, vectors = store.search_vectors(conn, MODEL)
        hits = rank_conversations(query, vectors, conv_ids, limit=limit)
        store.search_details(conn, [chunk_ids[h.chunk_row] for h in hits])
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
        timings: dict[str, list[float]] = {"ours (numpy)": [], "session-buddy SQL": []}
        for q in queries:
            for name, fn in (("ours (numpy)", ours), ("session-buddy SQL", session_buddy_sql)):
                t = time.perf_counter()
                result = fn(path, q, 10)
                timings[name].append((time.perf_counter() - t) * 1000)
            assert ours(path, q, 10) == session_buddy_sql(path, q, 10), "both methods must return the same ranking"
        print(f"{'method':<20} {'median ms':>10} {'p90 ms':>10}")
        for name, values in timings.items():
            print(f"{name:<20} {statistics.median(values):>10.1f} {np.percentile(values, 90):>10.1f}")
        ratio = statistics.median(timings["session-buddy SQL"]) / statistics.median(timings["ours (numpy)"])
        print(f"ratio (SQL / ours, median): {ratio:.2f}x over {args.chunks} chunks, {args.queries} queries")


if __name__ == "__main__":
    main()
