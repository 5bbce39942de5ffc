"""Search latency on a real chunk corpus, hybrid, semantic and lexical, at 100k and ~555k chunks, in one run.

What is measured (the same data, the same 50 queries, every figure in its own fresh child process, one at a time:
never two at once on the 2 shared cores; the 1-minute load average before and after each child is recorded):
1. Data. Two bench warehouses built from the 100k-conversation corpus of bench/ingest_scale.py (its warehouse is
   only read, ATTACHed READ_ONLY): "100k", the first conversations in conversation_id order up to the first whole
   conversation at or after 100,000 chunks, and "all", every one of its 555,780 chunks. Each is written with the
   project's own functions, in batches, so memory stays bounded: `upsert_conversation_batches` (conversations),
   `replace_chunks` (chunks; renews both generation tokens), `insert_embeddings` (vectors; renews the search
   token), `generations.ensure` and then the real lexical `sync` (its build time is reported). The vectors are
   random unit vectors (seeded), one per distinct chunk text, stored under the real model id
   (`load_embedder().model_id`, the model built once under <work>/models), so `sb-pipeline search` finds them:
   cosine arithmetic and memory traffic do not care what the vectors mean, only the cosine values (hence the
   semantic ranking) are not meaningful. Built once under --work (default /work/bench-data/search-speed) and
   reused while built.json says the same source, model id and sizes; --rebuild starts again.
2. Queries. 50 drawn (seeded) from random chunks of the 100k prefix, so each has hits at both sizes: 45 of 2-6
   words and identifiers picked from a chunk's search tokens (sb_pipeline.text.tokens), every 10th a rare
   identifier (a commit hash or a ticket id of that chunk) alone or with one or two of its words. Embedded once
   with the real model (`load_embedder`); the searches get those vectors, so every figure but the whole
   command's excludes model load and query embedding (the embedding of one query alone is reported apart).
3. Per size and mode, in one process with the matrix and the index loaded ("warm"): `SearchSession.search` as the
   CLI, the batch form and the MCP server call it (warehouse token check, `Retriever.search`, hit details and
   snippets: two short read-only opens of the warehouse per query), p50 and p95 over the 50 queries, after one
   untimed query per mode; `Retriever.search` alone beside it. Peer, in the same loop: Session Buddy's search,
   DuckDB `array_cosine_similarity` ... GROUP BY conversation ORDER BY ... LIMIT 10 in SQL, opening and closing
   the warehouse each time as our session does; and apart, its SQL alone on an open connection (vs
   `Retriever.search` semantic). Our semantic ranking is checked to be the SQL's, query by query. Then the
   session's time outside the retriever, over the same queries: the token check (open, two reads, close), an
   open and close alone, the details on a fresh open and on an open connection, the snippets.
   "First after a run": the search token is renewed (one write transaction, as any run that changes vectors or
   chunks does; the chunks token is left alone, so the index stays current as after a run's index sync), then a
   fresh process runs the session's steps once: open, tokens, `load_search_matrix` (the stale cache means the
   vectors are read out of DuckDB and the cache rewritten), `open_current` (the index), `Retriever.search`, the
   details; each step timed (an instrumented copy of SearchSession._current + search calling the same
   functions). Median of --first-runs per mode. The OS page cache stays warm (the files were just written or
   read; dropping the caches of a shared machine is not ours to do).
4. A whole `sb-pipeline search "<query>"` (hybrid, the table output) at 100k, as a subprocess with SB_WAREHOUSE,
   SB_CACHE_DIR, SB_LEXICAL_INDEX and SB_MODEL_DIR pointing at the bench data: wall time, with the matrix cache
   current ("warm cache") and stale ("cold cache": search token renewed before each run). Where the time goes:
   an instrumented copy of the command's flow in a fresh process, with the same functions in the same order,
   run next to each CLI run: interpreter start (spawn to the first line of this file), imports (what the entry
   point and the search command import), session setup (.env, cached model id), warehouse open + tokens,
   matrix load, index open, model load (`load_embedder`), query embedding, the query, details + snippets,
   printing the table, and process exit (the child's end to the parent seeing it).
5. Peak RSS of a query process at ~555k chunks: VmHWM of /proc/self/status (the kernel's high-water mark of the
   process itself; mapped pages of the matrix cache count once touched) of the warm child (taken after an untimed
   pass of the session alone, before the SQL peer runs in it), the first-after-a-run children and the
   instrumented command (model loaded), warm and cold cache.
The README's earlier figure: semantic 48 ms warm at 100k (random chunks, 20 queries). The goal: hybrid p50
<= 150 ms warm at 100k chunks, excluding model load.

    .venv/bin/python bench/ingest_scale.py --conversations 100000 --embed-conversations 0 \\
        --workdir /work/bench-data/ingest100k --keep                 # the corpus, once (~6-8 min)
    .venv/bin/python bench/search_speed.py \\
        [--source /work/bench-data/ingest100k/run-100000-fp32/warehouse.duckdb] \\
        [--work /work/bench-data/search-speed] [--rebuild] [--first-runs 3] [--cli-runs 5] \\
        [--out bench/results/search_speed.json]
    .venv/bin/python bench/search_speed.py --table bench/results/search_speed.json    # print it again

Building both warehouses takes ~15-25 minutes the first time (mostly the lexical sync and copying text); the
measurements ~10-15 minutes. Prints the tables with the peer ratios and writes the raw figures as JSON.
"""

from __future__ import annotations

import time

STARTED = time.time()  # the first line this process runs after the interpreter's start (the CLI-flow child's clock)

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SOURCE = Path("/work/bench-data/ingest100k/run-100000-fp32/warehouse.duckdb")
WORK = Path("/work/bench-data/search-speed")
SIZES = {"100k": 100_000, "all": 0}  # 0: every chunk
MODES = ("hybrid", "semantic", "lexical")
N_QUERIES, RARE_EVERY = 50, 10
LIMIT = 10
CONVERSATION_BATCH = 2_000  # conversations read and upserted at once
CHUNK_BATCH = 5_000  # conversations whose chunks are written at once
VECTOR_BATCH = 20_000  # vectors inserted at once
MEMORY_LIMIT = "512MB"  # DuckDB's buffer pool on the writing connection, as the pipeline's stages use
SEED = 7
RARE = re.compile(r"^(?=.*\d)(?=.*[a-f])[0-9a-f]{7}$|^[a-z][a-z0-9-]*-\d{3,}$")  # commit hash, ticket id
MiB = 1 << 20
BUILD_VERSION = 1


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def vm_hwm() -> int:
    """This process's peak RSS in bytes: VmHWM (not ru_maxrss, which across fork+exec carries the parent's)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def vm_rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def pct(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if values else float("nan")


def summary(ms: list[float]) -> dict:
    return {"p50": pct(ms, 50), "p95": pct(ms, 95), "mean": sum(ms) / len(ms), "max": max(ms), "n": len(ms)}


def paths(work: Path, label: str) -> dict[str, Path]:
    folder = work / label
    return {"folder": folder, "warehouse": folder / "warehouse.duckdb", "index": folder / "warehouse.duckdb.lexical",
            "built": folder / "built.json", "cache": work / "cache", "models": work / "models"}


def env_for(work: Path, label: str) -> dict[str, str]:
    p = paths(work, label)
    return dict(os.environ, SB_WAREHOUSE=str(p["warehouse"]), SB_CACHE_DIR=str(p["cache"]),
                SB_LEXICAL_INDEX=str(p["index"]), SB_MODEL_DIR=str(p["models"]), SB_EMBEDDING_PROFILE="fp32",
                DISABLE_TQDM="1")


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def load_queries(work: Path):
    import numpy as np

    meta = json.loads((work / "queries.json").read_text())
    return meta, np.load(work / "query_vectors.npy")


class PrecomputedModel:
    """Stands for the Embedder inside a search: the queries' vectors, embedded once by the real model."""

    def __init__(self, model_id: str, texts: list[str], vectors) -> None:
        self.model_id = model_id
        self._by_text = dict(zip(texts, vectors))

    def embed(self, texts: list[str]):
        import numpy as np

        return np.stack([self._by_text[t] for t in texts])


def source_prefix(conn, chunks: int) -> str | None:
    """The last conversation_id of the first conversations (by id) holding >= `chunks` chunks (None: all)."""
    if chunks <= 0:
        return None
    row = conn.execute(
        """SELECT conversation_id FROM (
             SELECT conversation_id, sum(n) OVER (ORDER BY conversation_id) AS upto
             FROM (SELECT conversation_id, count(*) AS n FROM src.conversation_chunks GROUP BY 1))
           WHERE upto >= ? ORDER BY conversation_id LIMIT 1""", [chunks]).fetchall()
    return row[0][0] if row else None


def renew_search_token(warehouse: Path) -> None:
    """What a run that changes vectors (or chunks, then syncs the index) does to the search matrix cache."""
    from sb_pipeline.warehouse import connect, generations
    from sb_pipeline.warehouse.connection import transaction

    with connect(warehouse) as conn:
        transaction(conn, [(generations.renew(generations.SEARCH), [])])


# ---------------------------------------------------------------------------------------------
# children
# ---------------------------------------------------------------------------------------------


def child_queries(work: Path, source: Path) -> dict:
    """Draw the queries from the 100k prefix of the source, embed them with the real model, save both."""
    import duckdb
    import numpy as np

    from sb_pipeline.embedding import load_embedder
    from sb_pipeline.text.tokens import tokens

    conn = duckdb.connect(":memory:")
    conn.execute(f"ATTACH '{str(source).replace(chr(39), chr(39) * 2)}' AS src (READ_ONLY)")
    cut = source_prefix(conn, SIZES["100k"])
    ids = [r[0] for r in conn.execute(
        "SELECT chunk_id FROM src.conversation_chunks WHERE conversation_id <= ? ORDER BY conversation_id, ordinal",
        [cut]).fetchall()]
    rng = random.Random(SEED)
    picked = rng.sample(ids, N_QUERIES * 8)
    texts = dict(conn.execute("SELECT chunk_id, text FROM src.conversation_chunks WHERE chunk_id IN (SELECT unnest(?::VARCHAR[]))",
                              [picked]).fetchall())
    conn.close()
    words, rare = [], []
    for chunk_id in picked:
        toks = [t for t in dict.fromkeys(tokens(texts[chunk_id])) if len(t) >= 3 and not t.isdigit()]
        plain = [t for t in toks if not RARE.match(t)]
        ids_ = [t for t in toks if RARE.match(t)]
        if ids_ and len(rare) < N_QUERIES // RARE_EVERY:
            q = [rng.choice(ids_)] + rng.sample(plain, min(len(plain), rng.choice([0, 1, 2])))
            rare.append({"text": " ".join(q), "kind": "rare", "chunk_id": chunk_id})
        elif len(plain) >= 6 and len(words) < N_QUERIES - N_QUERIES // RARE_EVERY:
            words.append({"text": " ".join(rng.sample(plain, rng.randint(2, 6))), "kind": "words", "chunk_id": chunk_id})
    if len(rare) < N_QUERIES // RARE_EVERY or len(words) < N_QUERIES - N_QUERIES // RARE_EVERY:
        raise SystemExit(f"too few query sources: {len(words)} word queries, {len(rare)} rare")
    queries = [rare.pop(0) if i % RARE_EVERY == RARE_EVERY - 1 else words.pop(0) for i in range(N_QUERIES)]
    if len({q["text"] for q in queries}) != len(queries):
        raise SystemExit("two queries have the same text; change SEED")
    t = time.perf_counter()
    model = load_embedder(model_dir=work / "models")
    load_seconds = time.perf_counter() - t
    qtexts = [q["text"] for q in queries]
    model.embed(qtexts[:2])  # onnxruntime's first run allocates
    one = []
    for text in qtexts:  # one query at a time, as a search embeds it
        t = time.perf_counter()
        model.embed([text])
        one.append((time.perf_counter() - t) * 1000)
    vectors = np.asarray(model.embed(qtexts), dtype=np.float32)
    np.save(work / "query_vectors.npy", vectors)
    meta = {"model_id": model.model_id, "queries": queries, "model_load_seconds": load_seconds,
            "embed_one_ms": summary(one), "peak_rss": vm_hwm()}
    (work / "queries.json").write_text(json.dumps(meta, indent=1))
    return {k: v for k, v in meta.items() if k != "queries"}


def child_build(work: Path, source: Path, label: str, model_id: str) -> dict:
    """One bench warehouse and its lexical index, from the source, in batches."""
    from datetime import datetime, timezone

    import numpy as np
    import polars as pl

    from sb_pipeline.warehouse import connect, generations
    from sb_pipeline.warehouse import conversations as store
    from sb_pipeline.warehouse.lexical_index import sync

    p = paths(work, label)
    for stale in (p["warehouse"], p["warehouse"].with_name(p["warehouse"].name + ".wal"), p["built"]):
        stale.unlink(missing_ok=True)
    shutil.rmtree(p["index"], ignore_errors=True)
    p["folder"].mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    out: dict = {"label": label, "source": str(source), "model_id": model_id, "version": BUILD_VERSION}
    cols = ", ".join(store.CONVERSATION_COLUMNS)
    with connect(p["warehouse"], memory_limit=MEMORY_LIMIT) as conn:
        conn.execute(f"ATTACH '{str(source).replace(chr(39), chr(39) * 2)}' AS src (READ_ONLY)")
        cut = source_prefix(conn, SIZES[label])
        where, params = ("WHERE conversation_id <= ?", [cut]) if cut is not None else ("", [])
        keys = conn.sql(f"SELECT conversation_id, content_hash FROM src.conversations {where} ORDER BY conversation_id",
                        params=params).pl()
        ids = keys["conversation_id"]
        bounds = [ids[i] for i in range(0, ids.len(), CONVERSATION_BATCH)] + [None]

        def batches():
            for lo, hi in zip(bounds, bounds[1:]):
                yield conn.sql(f"SELECT {cols} FROM src.conversations WHERE conversation_id >= ? "
                               f"{'AND conversation_id < ?' if hi else ''} {'AND conversation_id <= ?' if cut else ''}",
                               params=[lo, *([hi] if hi else []), *([cut] if cut else [])]).pl()

        t = time.perf_counter()
        out["conversations"] = store.upsert_conversation_batches(conn, keys, batches(), now)
        out["conversations_seconds"] = time.perf_counter() - t

        t, n_chunks = time.perf_counter(), 0
        for start in range(0, ids.len(), CHUNK_BATCH):
            part = ids.slice(start, CHUNK_BATCH)
            chunks = conn.sql("SELECT chunk_id, conversation_id, ordinal, text, text_hash, content_hash, start_char, end_char "
                              "FROM src.conversation_chunks WHERE conversation_id >= ? AND conversation_id <= ?",
                              params=[part[0], part[-1]]).pl()
            store.replace_chunks(conn, part.to_list(), chunks)
            n_chunks += chunks.height
        out["chunks"], out["chunks_seconds"] = n_chunks, time.perf_counter() - t

        t = time.perf_counter()
        hashes = store.text_hashes_to_embed(conn, model_id)
        rng = np.random.default_rng(SEED)
        for start in range(0, len(hashes), VECTOR_BATCH):
            part = hashes[start:start + VECTOR_BATCH]
            vectors = rng.standard_normal((len(part), 384), dtype=np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            store.insert_embeddings(conn, part, vectors, model_id, now)
        out["vectors"], out["vectors_seconds"] = len(hashes), time.perf_counter() - t
        del hashes
        conn.execute("DETACH src")
        generation = generations.ensure(conn, generations.CHUNKS)
        out["conversation_count"] = store.conversation_count(conn)
        conn.execute("CHECKPOINT")
    out["build_rss"] = vm_rss()
    t = time.perf_counter()
    result = sync(lambda: connect(p["warehouse"], read_only=True), p["index"], generation)
    out["sync_seconds"] = time.perf_counter() - t
    out["sync"] = {"docs": result.docs, "added": result.added, "deleted": result.deleted, "rebuilt": result.rebuilt}
    out["warehouse_bytes"] = p["warehouse"].stat().st_size
    out["index_bytes"] = dir_bytes(p["index"])
    out["peak_rss"] = vm_hwm()
    p["built"].write_text(json.dumps(out, indent=1))
    return out


def child_warm(work: Path, label: str) -> dict:
    """Many queries in one process, the matrix and index loaded: our session, our retriever, Session Buddy's SQL."""
    from sb_pipeline.conversations.service import SearchSession
    from sb_pipeline.warehouse import connect

    p = paths(work, label)
    meta, vectors = load_queries(work)
    texts = [q["text"] for q in meta["queries"]]
    model = PrecomputedModel(meta["model_id"], texts, vectors)
    session = SearchSession(p["warehouse"], p["cache"], p["index"], load_model=lambda: model, model_id=meta["model_id"])
    base_rss = vm_rss()
    t = time.perf_counter()
    for mode in MODES:  # untimed: loads the matrix (from the cache; writes it if stale) and opens the index
        answer = session.search(texts[0], limit=LIMIT, mode=mode)
        assert answer.notice is None, answer.notice
    warmup_seconds = time.perf_counter() - t
    retriever = session._retriever
    assert retriever is not None and retriever.lexical is not None
    from_cache = retriever.matrix.from_cache
    for text in texts:  # untimed: one pass of the session alone, so its peak RSS is taken before the SQL peer runs here
        for mode in MODES:
            session.search(text, limit=LIMIT, mode=mode)
    peak_session = vm_hwm()

    sql = """SELECT k.conversation_id, max(array_cosine_similarity(e.embedding, ?::FLOAT[384])) AS score
             FROM conversation_chunks k JOIN conversation_embeddings e ON e.text_hash = k.text_hash AND e.model_id = ?
             GROUP BY k.conversation_id ORDER BY score DESC LIMIT ?"""
    sess = {m: [] for m in MODES}
    retr = {m: [] for m in MODES}
    sql_open, same, hits, hybrid_hits = [], 0, {m: [] for m in MODES}, []
    for i, text in enumerate(texts):
        for mode in MODES:
            t = time.perf_counter()
            answer = session.search(text, limit=LIMIT, mode=mode)
            sess[mode].append((time.perf_counter() - t) * 1000)
            hits[mode].append(len(answer.results))
            if mode == "semantic":
                ours = [r["conversation_id"] for r in answer.results]
        for mode in MODES:
            t = time.perf_counter()
            found = retriever.search(text, limit=LIMIT, mode=mode)
            retr[mode].append((time.perf_counter() - t) * 1000)
            if mode == "hybrid":
                hybrid_hits.append([h.chunk_id for h in found])
        t = time.perf_counter()
        with connect(p["warehouse"], read_only=True) as conn:
            rows = conn.execute(sql, [vectors[i].tolist(), meta["model_id"], LIMIT]).fetchall()
        sql_open.append((time.perf_counter() - t) * 1000)
        same += [r[0] for r in rows] == ours
    rss_after = vm_rss()
    sql_held = []
    with connect(p["warehouse"], read_only=True) as conn:  # held only now: an open database would speed up the session's opens
        conn.execute(sql, [vectors[0].tolist(), meta["model_id"], LIMIT]).fetchall()
        for i in range(len(texts)):
            t = time.perf_counter()
            conn.execute(sql, [vectors[i].tolist(), meta["model_id"], LIMIT]).fetchall()
            sql_held.append((time.perf_counter() - t) * 1000)
    # where a warm query's time goes outside the retriever: the session's two short opens of the warehouse
    # (the token check, then the hits' details), over the same queries' hybrid hits
    from sb_pipeline.conversations.service import _result
    from sb_pipeline.warehouse import conversations as store
    from sb_pipeline.warehouse import generations

    opens, checks, details_fresh, details_open, snippets = [], [], [], [], []
    for i, ids in enumerate(hybrid_hits):
        t = time.perf_counter()
        with connect(p["warehouse"], read_only=True):
            pass
        opens.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        with connect(p["warehouse"], read_only=True) as conn:
            (generations.current(conn, generations.SEARCH), generations.current(conn, generations.CHUNKS))
        checks.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        with connect(p["warehouse"], read_only=True) as conn:
            details = store.search_details(conn, ids)
        details_fresh.append((time.perf_counter() - t) * 1000)
        hits_ = retriever.search(texts[i], limit=LIMIT, mode="hybrid")
        t = time.perf_counter()
        [_result(h, details[h.chunk_id], texts[i]) for h in hits_ if h.chunk_id in details]
        snippets.append((time.perf_counter() - t) * 1000)
    with connect(p["warehouse"], read_only=True) as conn:
        store.search_details(conn, hybrid_hits[0])
        for ids in hybrid_hits:
            t = time.perf_counter()
            store.search_details(conn, ids)
            details_open.append((time.perf_counter() - t) * 1000)
    return {"label": label, "chunks": int(retriever.matrix.vectors.shape[0]), "lexical_docs": retriever.lexical.docs,
            "from_cache": from_cache, "warmup_seconds": warmup_seconds,
            "session_ms": {m: summary(v) for m, v in sess.items()}, "retriever_ms": {m: summary(v) for m, v in retr.items()},
            "session_ms_by_kind": {m: {k: summary([x for x, q in zip(v, meta["queries"]) if q["kind"] == k])
                                       for k in ("words", "rare")} for m, v in sess.items()},
            "sql_open_ms": summary(sql_open), "sql_held_ms": summary(sql_held), "open_close_ms": summary(opens),
            "token_check_ms": summary(checks), "details_fresh_open_ms": summary(details_fresh),
            "details_open_connection_ms": summary(details_open), "snippets_ms": summary(snippets),
            "semantic_same_as_sql": same, "queries": len(texts),
            "results_mean": {m: sum(v) / len(v) for m, v in hits.items()},
            "base_rss": base_rss, "rss_after": rss_after, "peak_rss_session": peak_session, "peak_rss": vm_hwm()}


def _timed_load(steps: dict):
    """Time `load_search_matrix`'s two inner steps (read out of DuckDB, cache write) by wrapping the module's functions."""
    from sb_pipeline.warehouse import search_matrix

    for name, key in (("_from_warehouse", "matrix_from_duckdb"), ("_write_cache", "matrix_cache_write")):
        inner = getattr(search_matrix, name)

        def wrapped(*a, _inner=inner, _key=key, **k):
            t = time.perf_counter()
            try:
                return _inner(*a, **k)
            finally:
                steps[_key] = steps.get(_key, 0.0) + time.perf_counter() - t

        setattr(search_matrix, name, wrapped)


def child_first(work: Path, label: str, mode: str, qi: int) -> dict:
    """The first query after a run (the search token renewed by the parent): SearchSession._current + search, step by step."""
    from sb_pipeline.conversations.retrieval import Retriever
    from sb_pipeline.conversations.service import _result
    from sb_pipeline.warehouse import connect, generations
    from sb_pipeline.warehouse import conversations as store
    from sb_pipeline.warehouse.lexical_index import open_current
    from sb_pipeline.warehouse.search_matrix import load_search_matrix

    p = paths(work, label)
    meta, vectors = load_queries(work)
    texts = [q["text"] for q in meta["queries"]]
    model = PrecomputedModel(meta["model_id"], texts, vectors)
    text = texts[qi]
    steps: dict[str, float] = {}
    _timed_load(steps)
    base_rss = vm_rss()
    t0 = t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        steps[name] = now - t
        t = now

    conn_cm = connect(p["warehouse"], read_only=True)
    conn = conn_cm.__enter__()
    tokens = (generations.current(conn, generations.SEARCH), generations.current(conn, generations.CHUNKS))
    lap("open_tokens")
    matrix = load_search_matrix(conn, p["warehouse"], meta["model_id"], p["cache"])
    lap("matrix")
    lexical = open_current(p["index"], tokens[1])
    lap("index_open")
    retriever = Retriever(matrix, lexical, lambda q: model.embed(q))
    lap("retriever_init")
    conn_cm.__exit__(None, None, None)
    lap("close")
    hits = retriever.search(text, limit=LIMIT, mode=mode)
    lap("query")
    with connect(p["warehouse"], read_only=True) as conn:
        details = store.search_details(conn, [h.chunk_id for h in hits])
    lap("details")
    results = [_result(h, details[h.chunk_id], text) for h in hits if h.chunk_id in details]
    lap("snippets")
    total = time.perf_counter() - t0
    assert lexical is not None and not matrix.from_cache and results
    return {"label": label, "mode": mode, "query": qi, "seconds": total, "steps": steps, "from_cache": matrix.from_cache,
            "results": len(results), "base_rss": base_rss, "peak_rss": vm_hwm()}


def child_cli(work: Path, label: str, qi: int, spawned: float) -> dict:
    """`sb-pipeline search QUERY` (hybrid, table output), its steps timed with the same functions in the same order."""
    marks: dict[str, float] = {"spawned": spawned, "started": STARTED}
    t = time.time()
    from sb_pipeline.cli import app  # noqa: F401  (what the console entry point imports: every command module)
    from sb_pipeline.conversations.retrieval import MODES as _modes, LexicalIndexUnavailable  # noqa: F401  (search())
    from sb_pipeline.warehouse import WarehouseBusyError, WarehouseMissingError  # noqa: F401
    from sb_pipeline.conversations.service import Answer, SearchSession, _result  # noqa: F401  (_session())
    from sb_pipeline.embedding import load_embedder
    from sb_pipeline.embedding.model_store import cached_model_id
    from sb_pipeline import settings
    from sb_pipeline.cli.conversations import _print_answer
    from sb_pipeline.conversations.retrieval import Retriever
    from sb_pipeline.warehouse import connect, generations
    from sb_pipeline.warehouse import conversations as store
    from sb_pipeline.warehouse.lexical_index import open_current
    from sb_pipeline.warehouse.search_matrix import load_search_matrix
    steps: dict[str, float] = {"imports": time.time() - t}
    _timed_load(steps)
    meta = json.loads((work / "queries.json").read_text())
    text = meta["queries"][qi]["text"]
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        steps[name] = now - t
        t = now

    settings.load_dotenv_files()  # the app's callback
    profile = settings.embedding_profile()
    warehouse, cache, index = settings.warehouse_path(), settings.cache_dir(), settings.lexical_index_dir()
    model_id = cached_model_id(settings.model_dir(), profile)
    lap("setup")
    with connect(warehouse, read_only=True, wait_seconds=5.0) as conn:
        tokens = (generations.current(conn, generations.SEARCH), generations.current(conn, generations.CHUNKS))
        lap("open_tokens")
        matrix = load_search_matrix(conn, warehouse, model_id, cache)
        lap("matrix")
        lexical = open_current(index, tokens[1])
        lap("index_open")
    lap("close")
    model = load_embedder(profile=profile)
    lap("model_load")
    vector = model.embed([text])
    lap("query_embedding")
    retriever = Retriever(matrix, lexical, lambda q: vector)
    hits = retriever.search(text, limit=LIMIT, mode="hybrid")
    lap("query")
    with connect(warehouse, read_only=True, wait_seconds=5.0) as conn:
        details = store.search_details(conn, [h.chunk_id for h in hits])
    answer = Answer(text, "hybrid", [_result(h, details[h.chunk_id], text) for h in hits if h.chunk_id in details])
    lap("details")
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()) as printed:
        _print_answer(answer, None, type("S", (), {"embedded_chunks": matrix.vectors.shape[0]})())
    lap("print")
    assert model.model_id == model_id and lexical is not None and answer.results and "conversations for" in printed.getvalue()
    marks["ended"] = time.time()
    return {"label": label, "query": qi, "marks": marks, "steps": steps, "from_cache": matrix.from_cache,
            "results": len(answer.results), "peak_rss": vm_hwm()}


# ---------------------------------------------------------------------------------------------
# the parent
# ---------------------------------------------------------------------------------------------


def run_child(args: list[str], work: Path, env: dict | None = None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    load0 = os.getloadavg()[0]
    spawned = time.time()
    if args[0] == "cli":
        cmd += ["--spawned", repr(spawned)]
    with open(work / "children.log", "a") as err:
        err.write(f"\n--- {' '.join(args)}\n")
        err.flush()
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, text=True, cwd=REPO, env=env or os.environ)
    ended = time.time()
    if out.returncode != 0:
        raise SystemExit(f"child {args} failed (exit {out.returncode}); see {work / 'children.log'}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["process_seconds"] = ended - spawned
    if args[0] == "cli":
        r["marks"]["exited"] = ended
    r["loadavg_1min"] = [load0, os.getloadavg()[0]]
    print(f"    {' '.join(args):<34} {r['process_seconds']:7.1f} s  peak RSS {r.get('peak_rss', 0) / MiB:,.0f} MiB  "
          f"load {load0:.1f}", flush=True)
    return r


def run_cli(work: Path, label: str, qi: int) -> dict:
    meta = json.loads((work / "queries.json").read_text())
    exe = Path(sys.executable).parent / "sb-pipeline"
    load0 = os.getloadavg()[0]
    t = time.perf_counter()
    out = subprocess.run([str(exe), "search", meta["queries"][qi]["text"]], env=env_for(work, label), cwd=REPO,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    if out.returncode != 0 or "conversations for" not in out.stdout or "semantic results only" in out.stdout:
        raise SystemExit(f"sb-pipeline search failed (exit {out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    print(f"    sb-pipeline search (q{qi})            {wall:7.2f} s  load {load0:.1f}", flush=True)
    return {"query": qi, "seconds": wall, "loadavg_1min": [load0, os.getloadavg()[0]]}


def breakdown(r: dict) -> dict:
    """Seconds per step of an instrumented command run, start and exit from the clocks around it."""
    m, s = r["marks"], r["steps"]
    out = {"start": m["started"] - m["spawned"], "imports": s["imports"], "setup": s["setup"],
           "open_tokens": s["open_tokens"] + s["close"], "matrix": s["matrix"], "index_open": s["index_open"],
           "model_load": s["model_load"], "query_embedding": s["query_embedding"], "query": s["query"],
           "details": s["details"], "print": s["print"]}
    out["exit"] = m["exited"] - m["ended"]
    out["unaccounted"] = (m["exited"] - m["spawned"]) - sum(out.values())  # this file's own stdlib imports, argv
    return out


def median_dict(rows: list[dict]) -> dict:
    import statistics

    return {k: statistics.median(r[k] for r in rows) for k in rows[0]}


def built_ok(work: Path, label: str, source: Path, model_id: str) -> dict | None:
    p = paths(work, label)
    try:
        b = json.loads(p["built"].read_text())
    except (OSError, ValueError):
        return None
    ok = (b.get("source") == str(source) and b.get("model_id") == model_id and b.get("version") == BUILD_VERSION
          and p["warehouse"].is_file() and p["index"].is_dir())
    return b if ok else None


def measure(args) -> dict:
    work, source = Path(args.work), Path(args.source)
    work.mkdir(parents=True, exist_ok=True)
    res: dict = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
                 "source": str(source), "work": str(work), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    print("queries: drawing and embedding with the real model")
    q = run_child(["queries", str(work), str(source)], work, env_for(work, "100k"))
    res["queries"] = q
    meta = json.loads((work / "queries.json").read_text())
    res["queries"]["list"] = meta["queries"]
    model_id = meta["model_id"]
    res["sizes"] = {}
    for label in SIZES:
        b = None if args.rebuild else built_ok(work, label, source, model_id)
        if b is None:
            print(f"build {label}: copying conversations and chunks, random vectors, lexical sync")
            b = run_child(["build", str(work), str(source), label, model_id], work)
            b["reused"] = False
        else:
            print(f"build {label}: reusing {paths(work, label)['warehouse']}")
            b["reused"] = True
        res["sizes"][label] = {"build": b}
    for label in SIZES:
        s = res["sizes"][label]
        wh = paths(work, label)["warehouse"]
        print(f"{label}: first query after a run (search token renewed before each)")
        s["first"] = {m: [] for m in MODES}
        for r in range(args.first_runs):
            for mi, mode in enumerate(MODES):
                renew_search_token(wh)
                s["first"][mode].append(run_child(["first", str(work), label, mode, str(1 + r * len(MODES) + mi)], work))
        # after them the cache is current, so the warm child's peak RSS is a warm process's own
        print(f"{label}: warm (50 queries x 3 modes, and Session Buddy's SQL)")
        s["warm"] = run_child(["warm", str(work), label], work)
    print("the whole command at 100k: sb-pipeline search, and the instrumented flow next to it")
    cli: dict = {"warm": {"cli": [], "flow": []}, "cold": {"cli": [], "flow": []}}
    wh = paths(work, "100k")["warehouse"]
    env = env_for(work, "100k")
    run_cli(work, "100k", 0)  # the cache is current from here on (and the model's files are in the page cache)
    for r in range(args.cli_runs):
        qi = 10 + r
        cli["warm"]["cli"].append(run_cli(work, "100k", qi))
        cli["warm"]["flow"].append(run_child(["cli", str(work), "100k", str(qi)], work, env))
        renew_search_token(wh)
        cli["cold"]["cli"].append(run_cli(work, "100k", qi + 20))
        renew_search_token(wh)
        cli["cold"]["flow"].append(run_child(["cli", str(work), "100k", str(qi + 20)], work, env))
    res["cli_100k"] = cli
    print("peak RSS of the command's flow at all chunks, warm and cold cache")
    env_all = env_for(work, "all")
    res["cli_all"] = {"warm": run_child(["cli", str(work), "all", "30"], work, env_all)}
    renew_search_token(paths(work, "all")["warehouse"])
    res["cli_all"]["cold"] = run_child(["cli", str(work), "all", "31"], work, env_all)
    res["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    return res


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------


def loads(rows: list[dict]) -> str:
    values = [v for r in rows for v in r.get("loadavg_1min", [])]
    return f"{min(values):.1f}-{max(values):.1f}" if values else "-"


def report(res: dict) -> list[str]:
    import statistics

    lines = []
    say = lines.append
    q = res["queries"]
    say(f"{res['machine']['cpus']} shared cores; {len(q['list'])} queries ({sum(x['kind'] == 'rare' for x in q['list'])} rare "
        f"identifiers); model {q['model_id']}: load {q['model_load_seconds']:.2f} s, one query's embedding "
        f"p50 {q['embed_one_ms']['p50']:.1f} ms (not in the warm and first figures)")
    say("")
    say("Bench warehouses (random unit vectors under the real model id; lexical index by the real sync)")
    say(f"{'size':<5} {'chunks':>8} {'convs':>7} {'vectors':>8} {'copy s':>7} {'vectors s':>9} {'sync s':>7} "
        f"{'index MiB':>9} {'wh MiB':>7} {'peak RSS':>9}")
    for label, s in res["sizes"].items():
        b = s["build"]
        say(f"{label:<5} {b['chunks']:>8,} {b['conversation_count']:>7,} {b['vectors']:>8,} "
            f"{b['conversations_seconds'] + b['chunks_seconds']:>7.1f} {b['vectors_seconds']:>9.1f} {b['sync_seconds']:>7.1f} "
            f"{b['index_bytes'] / MiB:>9.0f} {b['warehouse_bytes'] / MiB:>7.0f} {b['peak_rss'] / MiB:>8.0f}M"
            + ("  (reused)" if b.get("reused") else ""))
    say("")
    say("Search latency, ms (warm: SearchSession.search, matrix and index loaded, p50/p95 of 50 queries; retriever: "
        "Retriever.search alone; first: the first query after a run, median of the runs)")
    say(f"{'size':<5} {'mode':<9} {'warm p50':>9} {'warm p95':>9} {'retr p50':>9} {'first':>8} {'first/warm':>10} {'load':>8}")
    for label, s in res["sizes"].items():
        w = s["warm"]
        for mode in MODES:
            first = statistics.median(r["seconds"] for r in s["first"][mode]) * 1000
            ws = w["session_ms"][mode]
            say(f"{label:<5} {mode:<9} {ws['p50']:>9.1f} {ws['p95']:>9.1f} {w['retriever_ms'][mode]['p50']:>9.1f} "
                f"{first:>8.0f} {first / ws['p50']:>9.1f}x {loads([w, *s['first'][mode]]):>8}")
        sq, sh = w["sql_open_ms"], w["sql_held_ms"]
        say(f"{label:<5} {'SB SQL':<9} {sq['p50']:>9.1f} {sq['p95']:>9.1f} {sh['p50']:>9.1f}   (Session Buddy: "
            f"array_cosine_similarity ... ORDER BY ... LIMIT; 'retr' column = on an open connection)")
        say(f"      peer ratio, semantic: SQL / ours = {sq['p50'] / w['session_ms']['semantic']['p50']:.1f}x (with the "
            f"opens), {sh['p50'] / w['retriever_ms']['semantic']['p50']:.1f}x (SQL alone vs Retriever.search); same "
            f"ranking on {w['semantic_same_as_sql']}/{w['queries']} queries")
        say(f"      a warm query outside the retriever (p50): token check (open, 2 reads, close) "
            f"{w['token_check_ms']['p50']:.1f} ms, of which open+close {w['open_close_ms']['p50']:.1f}; details on a "
            f"fresh open {w['details_fresh_open_ms']['p50']:.1f} ms (on an open connection "
            f"{w['details_open_connection_ms']['p50']:.1f}); snippets {w['snippets_ms']['p50']:.1f} ms")
    say("")
    say("First query after a run, where the time goes (ms, median of the runs)")
    keys = ["open_tokens", "matrix_from_duckdb", "matrix_cache_write", "index_open", "query", "details", "snippets"]
    say(f"{'size':<5} {'mode':<9} " + " ".join(f"{k.replace('matrix_', ''):>12}" for k in keys) + f" {'total':>8} {'peak RSS':>9}")
    for label, s in res["sizes"].items():
        for mode in MODES:
            runs = s["first"][mode]
            med = {k: statistics.median(r["steps"].get(k, 0.0) + (r["steps"]["close"] + r["steps"]["retriever_init"]
                                                                   if k == "open_tokens" else 0.0) for r in runs) * 1000
                   for k in keys}
            say(f"{label:<5} {mode:<9} " + " ".join(f"{med[k]:>12.0f}" for k in keys)
                + f" {statistics.median(r['seconds'] for r in runs) * 1000:>8.0f} {max(r['peak_rss'] for r in runs) / MiB:>8.0f}M")
    say("")
    cli = res["cli_100k"]
    say("The whole command at 100k: sb-pipeline search QUERY (hybrid, table output), seconds, median of the runs")
    for state in ("warm", "cold"):
        walls = [r["seconds"] for r in cli[state]["cli"]]
        flows = [breakdown(r) for r in cli[state]["flow"]]
        med = median_dict(flows)
        flow_wall = statistics.median(r["process_seconds"] for r in cli[state]["flow"])
        say(f"  {state} cache: sb-pipeline {statistics.median(walls):.2f} s (min {min(walls):.2f}, max {max(walls):.2f}); "
            f"instrumented flow {flow_wall:.2f} s; load {loads(cli[state]['cli'] + cli[state]['flow'])}")
        say("    " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in med.items()))
    say("")
    say("Peak RSS (VmHWM) of a query process at all chunks")
    w = res["sizes"]["all"]["warm"]
    say(f"  warm session, 150 queries, no model (matrix mapped from the cache: {'yes' if w['from_cache'] else 'NO'}): "
        f"{w['peak_rss_session'] / MiB:,.0f} MiB (after imports {w['base_rss'] / MiB:,.0f} MiB; with the SQL peer run "
        f"in the same process afterwards {w['peak_rss'] / MiB:,.0f} MiB)")
    for mode in MODES:
        say(f"  first after a run, {mode}: {max(r['peak_rss'] for r in res['sizes']['all']['first'][mode]) / MiB:,.0f} MiB")
    for state in ("warm", "cold"):
        r = res["cli_all"][state]
        say(f"  the command's flow with the model, {state} cache: {r['peak_rss'] / MiB:,.0f} MiB "
            f"({r['process_seconds']:.2f} s; matrix {r['steps']['matrix'] * 1000:.0f} ms)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(SOURCE))
    parser.add_argument("--work", default=str(WORK))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--first-runs", type=int, default=3)
    parser.add_argument("--cli-runs", type=int, default=5)
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "search_speed.json"))
    parser.add_argument("--table", help="print the tables of a saved result and stop")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--spawned", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, rest = args.child[0], args.child[1:]
        work = Path(rest[0])
        if kind == "queries":
            r = child_queries(work, Path(rest[1]))
        elif kind == "build":
            r = child_build(work, Path(rest[1]), rest[2], rest[3])
        elif kind == "warm":
            r = child_warm(work, rest[1])
        elif kind == "first":
            r = child_first(work, rest[1], rest[2], int(rest[3]))
        elif kind == "cli":
            r = child_cli(work, rest[1], int(rest[2]), args.spawned)
        else:
            raise SystemExit(f"unknown child {kind}")
        sys.stdout.write("\n" + json.dumps(r) + "\n")
        return
    if args.table:
        print("\n".join(report(json.loads(Path(args.table).read_text()))))
        return
    res = measure(args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1, default=str) + "\n")
    print()
    print("\n".join(report(res)))
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()
