"""The lexical index's real `sync` at 100k chunks: a full build, then the incremental sync after 100 new
conversations, each in its own fresh process (time and peak RSS, VmHWM), beside a full rebuild of the same
warehouse (the cost an index without incremental adds and deletes would pay on every run).

The warehouse is a copy of bench/search_speed.py's "100k" bench warehouse (the first ~100k chunks of the
100k-conversation corpus of bench/ingest_scale.py); the 100 new conversations are the next 100 of that corpus,
written with the project's own functions (`upsert_conversation_batches`, `replace_chunks`, which renews the
chunks token, then `generations.ensure`), as a run's ingest and chunking would.

    .venv/bin/python bench/lexical_sync.py [--bench-data /work/bench-data] [--new 100] [--out bench/results/lexical_sync.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

MiB = 1 << 20


def vm_hwm() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


def child_sync(warehouse: Path, index: Path) -> dict:
    """One real sync, as the conversation_lexical_index asset runs it."""
    from sb_pipeline.warehouse import connect, generations
    from sb_pipeline.warehouse.lexical_index import sync

    with connect(warehouse, read_only=True) as conn:
        generation = generations.current(conn, generations.CHUNKS)
    started = time.perf_counter()
    result = sync(lambda: connect(warehouse, read_only=True), index, generation)
    return {"seconds": time.perf_counter() - started, "peak_rss": vm_hwm(), "docs": result.docs,
            "added": result.added, "deleted": result.deleted, "rebuilt": result.rebuilt}


def add_conversations(warehouse: Path, source: Path, n: int) -> dict:
    """The next `n` conversations of the source corpus, with their chunks, written as a run would."""
    from datetime import datetime, timezone

    from sb_pipeline.warehouse import connect, generations
    from sb_pipeline.warehouse import conversations as store

    cols = ", ".join(store.CONVERSATION_COLUMNS)
    with connect(warehouse, memory_limit="512MB") as conn:
        last = conn.execute("SELECT max(conversation_id) FROM conversations").fetchone()[0]
        conn.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
        rows = conn.sql(f"SELECT {cols} FROM src.conversations WHERE conversation_id > ? ORDER BY conversation_id LIMIT ?",
                        params=[last, n]).pl()
        ids = rows["conversation_id"]
        keys = rows.select("conversation_id", "content_hash")
        counts = store.upsert_conversation_batches(conn, keys, iter([rows]), datetime.now(timezone.utc))
        chunks = conn.sql("SELECT chunk_id, conversation_id, ordinal, text, text_hash, content_hash, start_char, end_char "
                          "FROM src.conversation_chunks WHERE conversation_id IN (SELECT unnest(?::VARCHAR[]))",
                          params=[ids.to_list()]).pl()
        store.replace_chunks(conn, ids.to_list(), chunks)
        conn.execute("DETACH src")
        generations.ensure(conn, generations.CHUNKS)
    return {"conversations": counts, "chunks": chunks.height}


def run_child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench-data", type=Path, default=Path("/work/bench-data"))
    parser.add_argument("--new", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("bench/results/lexical_sync.json"))
    parser.add_argument("--child", nargs=2, metavar=("WAREHOUSE", "INDEX"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_sync(Path(args.child[0]), Path(args.child[1]))))
        return
    base = args.bench_data / "search-speed" / "100k" / "warehouse.duckdb"
    source = args.bench_data / "ingest100k" / "run-100000-fp32" / "warehouse.duckdb"
    work = args.bench_data / "lexical-sync"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    warehouse = work / "warehouse.duckdb"
    shutil.copyfile(base, warehouse)
    out = {"warehouse": str(base), "build": run_child(str(warehouse), str(work / "index"))}
    out["added"] = add_conversations(warehouse, source, args.new)
    out["incremental"] = run_child(str(warehouse), str(work / "index"))
    out["rebuild"] = run_child(str(warehouse), str(work / "rebuilt"))
    args.out.write_text(json.dumps(out, indent=1))
    for name in ("build", "incremental", "rebuild"):
        r = out[name]
        print(f"{name:<12} {r['seconds']:7.2f} s  peak RSS {r['peak_rss'] / MiB:6.0f} MiB  docs {r['docs']:,} added {r['added']:,}")
    print(f"{args.new} new conversations ({out['added']['chunks']:,} chunks): incremental sync "
          f"{out['incremental']['seconds']:.2f} s vs a full rebuild {out['rebuild']['seconds']:.1f} s "
          f"({out['rebuild']['seconds'] / out['incremental']['seconds']:.0f}x)")


if __name__ == "__main__":
    main()
