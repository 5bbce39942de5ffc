"""Co-mention counting over the 100k-conversation bench corpus: time and memory of the `entity_mentions` asset
(full scan, then incremental runs) and of the co-mention counts discovery reads from it.

Input: a warehouse made by `bench/ingest_scale.py --conversations 100000 --embed-conversations 0 --keep`
(555,780 chunks of 101,224 conversations), never written: it is copied into --workdir first. Entities: the
shipped sample graph (310 entities), read by the real `kg_entities` asset into the copy. Every stage is a real
`dagster.materialize` of the named assets in a fresh child process; wall is the materialize call, peak RSS the
child's `ru_maxrss` (DuckDB's heap included).

Stages:
1. `kg_entities` (the sample graph);
2. `entity_mentions`, first run: every chunk scanned for every name;
3. `entity_mentions` again, nothing new: nothing is rescanned;
4. 1,000 new conversations (copies of existing ones' chunks under new ids, inserted by this script), then
   `entity_mentions`: only their chunks are scanned;
5. 5 new entities in the knowledge graph (a copy of the sample graph with 5 rows added), then `kg_entities` +
   `entity_mentions`: the scanned chunks are searched for the 5 new names only, prefiltered in SQL;
6. `co_mentions` from the stored mentions (what `discovered_relationships` reads each run): SQL read + counting.

    .venv/bin/python bench/comention_scale.py [--warehouse PATH] [--workdir /work/bench-data/comention]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = Path("/work/bench-data/ingest100k/run-100000-fp32/warehouse.duckdb")
MiB = 1024 * 1024
NEW_NAMES = ["zephyr-gateway", "quokka", "ledger-sync", "acme-billing-v2", "orbital-cache"]


def child(stage: str, warehouse: Path, graph: Path, snapshots: Path) -> dict:
    import dagster as dg

    from sb_pipeline.defs.knowledge_graph.assets import kg_entities
    from sb_pipeline.defs.knowledge_graph.mentions import entity_mentions
    from sb_pipeline.defs.resources import KnowledgeGraphSourceResource, WarehouseResource

    resources = {"warehouse": WarehouseResource(database=str(warehouse)),
                 "knowledge_graph_source": KnowledgeGraphSourceResource(path=str(graph), snapshot_dir=str(snapshots))}
    assets = {"kg_entities": [kg_entities], "entity_mentions": [entity_mentions],
              "both": [kg_entities, entity_mentions]}.get(stage)
    t0 = time.perf_counter()
    if assets is not None:
        result = dg.materialize(assets, resources=resources, instance=dg.DagsterInstance.ephemeral())
        meta = {}
        for key in ("entity_mentions",):
            mats = [m for m in result.asset_materializations_for_node(key)] if stage != "kg_entities" else []
            meta = {k: v.value for k, v in mats[0].metadata.items()} if mats else {}
    else:  # co-mention counting as discovery reads it
        import duckdb

        from sb_pipeline.knowledge_graph.comention import co_mentions, entity_mentions as rows_of
        from sb_pipeline.knowledge_graph.names import name_key
        from sb_pipeline.warehouse import knowledge_graph as store
        from sb_pipeline.warehouse import mentions

        conn = duckdb.connect(str(warehouse), read_only=True)
        names = store.entity_names(conn)
        found, conversations = mentions.mentions(conn)
        conn.close()
        stats = co_mentions(rows_of(found, [name_key(n) for n in names]), conversations, len(names))
        meta = {"mention_rows": found.height, "conversations": conversations, "co_mentioned_pairs": stats.pairs.height,
                "entities_named": int((stats.per_entity > 0).sum())}
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "meta": meta}


def run_child(stage: str, warehouse: Path, graph: Path, snapshots: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", stage, str(warehouse), str(graph), str(snapshots)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def add_conversations(warehouse: Path, count: int) -> int:
    """`count` new conversations: existing conversations' chunks copied under new ids (the scan sees new chunks)."""
    import duckdb

    conn = duckdb.connect(str(warehouse))
    try:
        conn.execute("""INSERT INTO conversation_chunks
            SELECT 'bench-new-' || chunk_id, 'bench-new-' || conversation_id, ordinal, text, text_hash, content_hash, start_char, end_char
            FROM conversation_chunks WHERE conversation_id IN (
                SELECT DISTINCT conversation_id FROM conversation_chunks WHERE conversation_id NOT LIKE 'bench-new-%'
                ORDER BY conversation_id LIMIT ?)""", [count])
        return conn.execute("SELECT count(*) FROM conversation_chunks WHERE chunk_id LIKE 'bench-new-%'").fetchone()[0]
    finally:
        conn.close()


def graph_with_new_entities(src: Path, dst: Path) -> Path:
    import duckdb

    shutil.copyfile(src, dst)
    conn = duckdb.connect(str(dst))
    try:
        for i, name in enumerate(NEW_NAMES):
            conn.execute("INSERT INTO kg_entities (id, name, entity_type, observations) VALUES (?, ?, 'project', ['added for the bench'])",
                         [f"bench-new-entity-{i}", name])
    finally:
        conn.close()
    return dst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE)
    ap.add_argument("--workdir", type=Path, default=Path("/work/bench-data/comention"))
    ap.add_argument("--new-conversations", type=int, default=1000)
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        stage, *paths = args.child
        print(json.dumps(child(stage, *map(Path, paths))))
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    warehouse, snapshots = args.workdir / "warehouse.duckdb", args.workdir / "snapshots"
    shutil.copyfile(args.warehouse, warehouse)
    graph = ROOT / "data" / "samples" / "knowledge_graph.duckdb"
    rows = []
    rows.append(("1 kg_entities (310 entities)", run_child("kg_entities", warehouse, graph, snapshots)))
    rows.append(("2 entity_mentions, first run", run_child("entity_mentions", warehouse, graph, snapshots)))
    rows.append(("3 entity_mentions, nothing new", run_child("entity_mentions", warehouse, graph, snapshots)))
    added = add_conversations(warehouse, args.new_conversations)
    rows.append((f"4 +{args.new_conversations} conversations ({added} chunks)", run_child("entity_mentions", warehouse, graph, snapshots)))
    bigger = graph_with_new_entities(graph, args.workdir / "knowledge_graph.duckdb")
    rows.append((f"5 +{len(NEW_NAMES)} entities", run_child("both", warehouse, bigger, snapshots)))
    rows.append(("6 co-mention counts (read + count)", run_child("count", warehouse, bigger, snapshots)))
    print(f"{'stage':<40} {'wall s':>8} {'peak RSS MiB':>13}  what it did")
    for name, r in rows:
        m = r["meta"]
        did = ", ".join(f"{k} {m[k]:,}" for k in ("chunks_scanned_now", "chunks_rescanned_for_new_names", "new_names", "mention_rows",
                                                    "conversations_scanned", "names_found", "co_mentioned_pairs", "entities_named") if k in m)
        print(f"{name:<40} {r['seconds']:>8.1f} {r['peak_rss'] / MiB:>13.0f}  {did}")


if __name__ == "__main__":
    main()
