"""Exact top-k neighbours at knowledge-graph scale: ours (`exact_topk`) vs Session Buddy's SQL shape.

- ours: `sb_pipeline.knowledge_graph.neighbors.exact_topk`, all rows, at 10k / 50k / 100k entities;
- seed: DuckDB all-pairs CROSS JOIN with `array_cosine_similarity` over FLOAT[384], each entity's top k
  via `max_by(b.id, sim, k) ... GROUP BY a.id`. That is the fastest shape of the seed's query we
  found: the ROW_NUMBER() window form took 14 s at 1k and 137 s at 3k vs 1.0 s / 8.9 s for max_by.
  Run at 10k only (O(n^2): ~100 s there), for the ratio; its lists are checked against ours.

Every measurement runs in a fresh child process, so memory figures do not leak between runs:
- seconds: wall time of the neighbour computation only (vectors already in memory / in the table);
- rss_delta: `resource.getrusage(RUSAGE_SELF).ru_maxrss` after minus before the computation, i.e. the
  peak resident memory the computation added on top of the loaded vectors (sees DuckDB's C++ heap);
- traced_peak (ours only): `tracemalloc` peak over the computation (numpy registers its buffers).
Vectors: random unit float32 (n, 384) (the arithmetic does not care what they mean), seed 0.
BLAS threads: whatever numpy's OpenBLAS uses (2 on the 2-core dev machine); DuckDB `threads=2`.

    .venv/bin/python bench/discovery_scale.py [--sizes 10000 50000 100000] [--k 5] [--block 1024]
        [--sql-size 10000] [--no-sql]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np

MiB = 1024 * 1024


def random_unit(n: int, dim: int = 384, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.empty((n, dim), np.float32)
    for s in range(0, n, 8192):  # in slices: no float64 (n, 384) temporary
        part = rng.standard_normal((min(8192, n - s), dim), dtype=np.float32)
        x[s : s + part.shape[0]] = part / np.linalg.norm(part, axis=1, keepdims=True)
    return x


def maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def child_ours(n: int, k: int, block: int) -> dict:
    from sb_pipeline.knowledge_graph.neighbors import exact_topk

    x = random_unit(n)
    before = maxrss()
    tracemalloc.start()
    t0 = time.perf_counter()
    idx, _ = exact_topk(x, k, block=block)
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"seconds": seconds, "rss_delta": maxrss() - before, "traced_peak": peak, "check": int(idx[0, 0])}


def child_sql(n: int, k: int, block: int) -> dict:
    import duckdb
    import polars as pl

    from sb_pipeline.knowledge_graph.neighbors import exact_topk

    x = random_unit(n)
    con = duckdb.connect()
    con.execute("SET threads=2")
    con.register("df", pl.DataFrame({"id": np.arange(n, dtype=np.int64), "v": x}))
    con.execute("CREATE TABLE e AS SELECT id, v::FLOAT[384] AS v FROM df")
    con.unregister("df")
    before = maxrss()
    t0 = time.perf_counter()
    rows = con.execute(
        "SELECT a.id, max_by(b.id, array_cosine_similarity(a.v, b.v), ?) AS nb "
        "FROM e a, e b WHERE a.id <> b.id GROUP BY a.id ORDER BY a.id",
        [k],
    ).fetchall()
    seconds = time.perf_counter() - t0
    rss = maxrss() - before
    ours, _ = exact_topk(x, k, block=block)
    same = sum(list(nb) == ours[i].tolist() for i, nb in rows)
    return {"seconds": seconds, "rss_delta": rss, "traced_peak": None, "same_lists": same, "rows": len(rows)}


def run_child(method: str, n: int, k: int, block: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", method, str(n), str(k), str(block)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--block", type=int, default=1024)
    ap.add_argument("--sql-size", type=int, default=10_000)
    ap.add_argument("--no-sql", action="store_true")
    ap.add_argument("--child", nargs=4, metavar=("METHOD", "N", "K", "BLOCK"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        method, n, k, block = args.child[0], *map(int, args.child[1:])
        print(json.dumps((child_ours if method == "ours" else child_sql)(n, k, block)))
        return

    results = [("exact_topk (numpy)", n, run_child("ours", n, args.k, args.block)) for n in args.sizes]
    if not args.no_sql:
        results.append(("DuckDB cross join (seed)", args.sql_size, run_child("sql", args.sql_size, args.k, args.block)))
    print(f"exact top-{args.k}, 384-d random unit vectors, block={args.block}")
    print(f"{'method':<26} {'n':>8} {'seconds':>9} {'rss_delta MiB':>14} {'traced_peak MiB':>16}")
    for name, n, r in results:
        traced = f"{r['traced_peak'] / MiB:.0f}" if r["traced_peak"] is not None else "-"
        print(f"{name:<26} {n:>8} {r['seconds']:>9.2f} {r['rss_delta'] / MiB:>14.0f} {traced:>16}")
    ours = {n: r for name, n, r in results if name.startswith("exact")}
    sql = [r for name, _, r in results if name.startswith("DuckDB")]
    if sql and args.sql_size in ours:
        s = sql[0]
        print(f"ratio at {args.sql_size}: DuckDB / exact_topk = {s['seconds'] / ours[args.sql_size]['seconds']:.0f}x; "
              f"identical top-{args.k} lists: {s['same_lists']}/{s['rows']}")


if __name__ == "__main__":
    main()
