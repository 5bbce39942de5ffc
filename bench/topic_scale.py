"""Topics at scale: the real conversation_topics asset on 20k and 100k conversations, seconds and peak RSS.

    .venv/bin/python bench/topic_scale.py --source /work/bench-data/ingest100k/run-100000-fp32/warehouse.duckdb

The source is the ingest benchmark's warehouse (bench/ingest_scale.py: 101,224 conversations, 555,780 chunks, no
vectors); it is copied, never written. Embedding 555k chunks takes ~6.6 hours here, so the chunk vectors are
SYNTHETIC, derived cheaply so that they have topic structure: each conversation gets a latent topic (one of 120,
Zipf-like sizes, from a hash of its id) and each chunk vector is that topic's centre plus noise (cosine to the
centre ~0.6), stored under the current model id. Timings are therefore of the pipeline's own work (streaming the
vectors out of DuckDB, the length-weighted conversation vectors, the kNN graph, Leiden, labelling a sample of
chunks, writing), not of a real embedding's geometry. The 20k run keeps the first 20,000 conversations (by id).
Each run is the asset in a process of its own (`--run`), its peak RSS read from /proc (VmHWM): a full grouping,
then the incremental path (a run with nothing new). At 20k the graph's
recall against the exact kNN graph is measured too (the cell search only starts above 12,000 conversations).
Figures in bench/results/topic_scale.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path("/tmp/topic_scale")
LATENT = 120
DIM = 384


def _model_id() -> str:
    from sb_pipeline.embedding.model_store import cached_model_id

    return cached_model_id(ROOT / "data" / "models", "fp32")


def prepare(source: Path, n: int) -> Path:
    """A copy of the source warehouse with its first `n` conversations and synthetic vectors for their chunks."""
    import duckdb
    import polars as pl

    folder = WORK / f"run-{n}"
    target = folder / "warehouse.duckdb"
    if target.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    conn = duckdb.connect(str(target))
    try:
        conn.execute("""DELETE FROM conversations WHERE conversation_id NOT IN
                        (SELECT conversation_id FROM conversations ORDER BY conversation_id LIMIT ?)""", [n])
        conn.execute("DELETE FROM conversation_chunks WHERE conversation_id NOT IN (SELECT conversation_id FROM conversations)")
        chunks = conn.sql("SELECT any_value(conversation_id) AS conversation_id, text_hash FROM conversation_chunks GROUP BY text_hash").pl()
        rng = np.random.default_rng(7)
        centres = rng.standard_normal((LATENT, DIM)).astype(np.float32)
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
        sizes = 1.0 / np.arange(1, LATENT + 1) ** 0.8
        cuts = np.cumsum(sizes / sizes.sum())
        hashed = chunks["conversation_id"].hash(seed=1).to_numpy() / np.float64(2**64)
        latent = np.searchsorted(cuts, hashed)
        for start in range(0, chunks.height, 100_000):
            part = slice(start, start + 100_000)
            noise = rng.standard_normal((len(latent[part]), DIM)).astype(np.float32) * 0.055
            vectors = centres[latent[part]] + noise
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            frame = pl.DataFrame({"text_hash": chunks["text_hash"][part], "embedding": vectors})
            conn.register("synthetic", frame)
            conn.execute("INSERT INTO conversation_embeddings SELECT text_hash, ?, embedding, now() FROM synthetic", [_model_id()])
            conn.unregister("synthetic")
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    return folder


def run(folder: Path, full: bool) -> dict:
    """The asset in this process (called in a subprocess): its metadata, wall time and VmHWM. `full`: a full
    grouping (as on the first run); else the incremental path (nothing new: every conversation already placed)."""
    from sb_pipeline_tests.defs_runner import materialize, metadata, sb_env

    started = time.perf_counter()
    with sb_env(folder):
        result = materialize(["conversation_topics"], run_config={"ops": {"conversation_topics": {"config": {"full_regroup": full}}}})
    wall = time.perf_counter() - started
    hwm = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM"))
    meta = metadata(result, "conversation_topics")
    return {"wall_seconds": round(wall, 1), "peak_rss_mib": round(hwm / 1024), **{k: meta[k] for k in (
        "conversations", "topics", "largest_share", "seconds_grouping", "seconds", "npmi", "mode")}}


def graph_recall(folder: Path) -> float:
    """Recall of the cell kNN graph against the exact one, on this warehouse's conversation vectors."""
    from sb_pipeline.conversations import topic_groups
    from sb_pipeline.conversations.topics import conversation_vectors
    from sb_pipeline.warehouse import connect
    from sb_pipeline.warehouse import topics as store

    with connect(folder / "warehouse.duckdb", read_only=True) as conn:
        x = conversation_vectors(store.chunk_vector_batches(conn, _model_id())).vectors
    k = topic_groups.GroupingParameters().neighbors
    n = x.shape[0]
    exact, _ = topic_groups._top_k(x, np.arange(n), np.arange(n), k)
    cells, _ = topic_groups._cell_knn(x, k)
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(exact, cells)]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", type=Path, default=Path("/work/bench-data/ingest100k/run-100000-fp32/warehouse.duckdb"))
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--run", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--incremental", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run(args.run, full=not args.incremental)))
        return
    results = {}
    for n in (int(s) for s in args.sizes.split(",")):
        folder = prepare(args.source, n)
        out = subprocess.run([sys.executable, __file__, "--run", str(folder)], capture_output=True, text=True, check=True)
        results[str(n)] = json.loads(out.stdout.strip().splitlines()[-1])
        out = subprocess.run([sys.executable, __file__, "--run", str(folder), "--incremental"], capture_output=True, text=True, check=True)
        results[str(n)]["incremental"] = json.loads(out.stdout.strip().splitlines()[-1])
        if n <= 20_000:
            results[str(n)]["knn_graph_recall_vs_exact"] = round(graph_recall(folder), 4)
        print(n, results[str(n)], flush=True)
    (ROOT / "bench" / "results" / "topic_scale.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
