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
    .venv/bin/python bench/discovery_scale.py --features [--sizes 10000 100000]   # the whole discovery step

`--features` runs `discovery.discover` as the asset does (exact top-10 lists, each entity's 5 nearest as
candidates plus names, containment and co-mentions, every feature, p_related, relation types, evidence JSON) on
a synthetic graph (`synthetic_graph`) with the vectors above, and reports its wall time and the child's peak RSS.
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


def synthetic_graph(n: int, seed: int = 0):
    """n entities as discovery sees them: names (families share a prefix, some names are everyday words),
    types, observations (a third name another entity, half of those after a verb), a source graph of n/3
    random edges and co-mentions from n conversations naming 2-4 entities each."""
    import polars as pl

    from sb_pipeline.knowledge_graph.comention import co_mentions

    rng = np.random.default_rng(seed)
    words = ["make", "core", "api", "patch", "config", "docs"]
    names = [words[i] if i < len(words) else f"fam{i % 997}-pkg{i}" + ("-tests" if i % 7 == 0 else "") for i in range(n)]
    types = np.array(["project", "library", "service", "test", "concept", "tool", "file", "person"])[rng.integers(0, 8, n)]
    other = rng.integers(0, n, n)
    verbs = np.array(["uses", "depends on", "calls", "bumped"])[rng.integers(0, 4, n)]
    observations = [[f"{names[i]} does things", f"{verbs[i]} {names[other[i]]} since last year"] if i % 3 == 0 else [f"{names[i]} does things"]
                    for i in range(n)]
    entities = pl.DataFrame({"entity_id": [f"e{i:07d}" for i in range(n)], "name": names, "entity_type": types.tolist(),
                             "observations": observations, "text_hash": [f"h{i}" for i in range(n)]},
                            schema={"entity_id": pl.Utf8, "name": pl.Utf8, "entity_type": pl.Utf8, "observations": pl.List(pl.Utf8),
                                    "text_hash": pl.Utf8})
    src, dst = rng.integers(0, n, n // 3), rng.integers(0, n, n // 3)
    width = rng.integers(2, 5, n)
    conv = np.repeat(np.arange(n), width)
    mentions = pl.DataFrame({"conversation_id": conv.astype(str), "chunk_id": conv.astype(str), "e": rng.integers(0, n, conv.size)}).unique()
    return entities, (src, dst), co_mentions(mentions, n, n)


def child_features(n: int, k: int, block: int) -> dict:
    """The whole discovery step at scale: exact top-10 lists, then candidates, every feature, p_related,
    relation types and the evidence JSON (discovery.discover), as the asset runs them."""
    from sb_pipeline.knowledge_graph.calibration import null_thresholds
    from sb_pipeline.knowledge_graph.discovery import discover
    from sb_pipeline.knowledge_graph.features import GraphInputs
    from sb_pipeline.knowledge_graph.model import load_model
    from sb_pipeline.knowledge_graph.neighbors import exact_topk

    x = random_unit(n)
    entities, source, comentions = synthetic_graph(n)
    model = load_model()
    before = maxrss()
    t0 = time.perf_counter()
    idx, sims = exact_topk(x, 10, block=block)
    t1 = time.perf_counter()
    calibration = null_thresholds(x, entities["entity_type"].to_list(), quantile=0.95)
    edges = discover(GraphInputs(entities, x, idx, sims, source, comentions), calibration, model, k)
    t2 = time.perf_counter()
    return {"seconds": t2 - t0, "topk_seconds": t1 - t0, "features_seconds": t2 - t1, "rss_delta": maxrss() - before,
            "peak_rss": maxrss(), "traced_peak": None, "candidates": edges.height, "published": int(edges["published"].sum())}


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
    ap.add_argument("--features", action="store_true", help="the whole discovery step (features, p_related) instead")
    ap.add_argument("--child", nargs=4, metavar=("METHOD", "N", "K", "BLOCK"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        method, n, k, block = args.child[0], *map(int, args.child[1:])
        print(json.dumps({"ours": child_ours, "sql": child_sql, "features": child_features}[method](n, k, block)))
        return
    if args.features:
        print(f"discovery with features (exact top-10, max {args.k} per entity, candidates, features, p_related, evidence)")
        print(f"{'n':>8} {'total s':>8} {'top-k s':>8} {'features s':>10} {'candidates':>10} {'published':>9} {'peak RSS MiB':>12}")
        for n in args.sizes:
            r = run_child("features", n, args.k, args.block)
            print(f"{n:>8} {r['seconds']:>8.1f} {r['topk_seconds']:>8.1f} {r['features_seconds']:>10.1f} {r['candidates']:>10} "
                  f"{r['published']:>9} {r['peak_rss'] / MiB:>12.0f}")
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
