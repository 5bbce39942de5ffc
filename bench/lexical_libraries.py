"""BM25 library choice for hybrid search: tantivy (tantivy-py) against bm25s, on the same chunks in the same run.

What is measured, per library and per corpus size (a prefix of ~100k chunks and all ~555k chunks of the
100k-conversation corpus of bench/ingest_scale.py), each step in a fresh child process, one after the other
(never two at once on the 2 shared cores), so each peak RSS is that step's own: VmHWM of /proc/self/status, the
kernel's high-water mark of the process's memory, the libraries' native heaps included (not getrusage's ru_maxrss,
which across fork+exec also carries the parent's high-water mark; the parent imports neither library):
- tokenisation (once, shared by both, reported apart): `sb_pipeline.text.tokens.tokens(text)` over the chunk
  texts read from the warehouse (read-only, in batches, in the order conversation_id, ordinal), written one chunk a
  line, tokens joined by a space. Both libraries index exactly these tokens: tantivy through a text field with its
  `whitespace` tokenizer (checked token for token against the line on a sample), bm25s through `index()` on token
  ids (no bm25s tokenisation, no bm25s stopwords);
- build: from that token file to a persisted, searchable index (tantivy: add_document, commit, merges finished;
  bm25s: tokens -> ids, index(), save()), with the build's peak RSS and the index's size on disk;
- cold query: a new process opens the index from disk and runs the first query (OS page cache warm: the files were
  just written; dropping the caches of a shared machine is not ours to do);
- warm query latency p50/p95 over 200 queries with the index open (one untimed pass first), each call from the query
  string to the top-100 (chunk key, score) pairs, query tokenisation included, wall and CPU time; again with a project
  filter (the project of the chunk the query was drawn from: tantivy a zero-scored Must term on a `project` field,
  bm25s its `weight_mask`). The 2 cores are shared with other work, so the same queries are also run with all
  engines open in one process, each query by each engine in turn: those latencies are taken at the same moments;
- incremental update after 100 new conversations (their ~550 chunks), 100 replaced chunks (same chunk, new text)
  and 50 deleted chunks: tantivy deletes by the chunk-key term and adds documents, commits and reloads its reader
  (time to visible; merges left to run in the background are timed apart); bm25s has no incremental API, so it is a
  full rebuild from its cached token ids (kept beside the index at build time, their size reported) plus the delta's
  tokens, then save(). Seconds and peak RSS;
- sanity: for 50 queries, overlap@10 of the two libraries' results (strict by chunk, and with exact-copy chunks
  collapsed by text_hash), and the ratio of their scores on shared hits. Both are BM25 with k1=1.2, b=0.75 and
  Lucene's idf log(1 + (N - n + 0.5) / (n + 0.5)): tantivy's formula is fixed (k1, b are constants of the crate) and
  multiplies the term-frequency part by (k1 + 1); bm25s method="lucene" does not, so its scores should be tantivy's
  / 2.2. tantivy stores document lengths in one byte (Lucene's lossy fieldnorm); bm25s uses exact lengths, so near
  ties can swap. Checked again after the update.
Queries (200, seeded, drawn from the smaller prefix so every query has hits at both sizes): 180 of 2-6 tokens
(words and identifiers) picked from a random chunk's tokens, and 20 with a rare identifier (a commit hash or a
ticket id of that chunk), alone or with one or two words of the chunk; repeated query tokens count once.
Results are the chunk's 64-bit key (its chunk_id's first 16 hex digits as a signed int: unique here, checked), which
the hybrid search joins on: tantivy reads it from a fast field, bm25s from an array saved beside its index. No text
or chunk_id is stored in either index (tantivy's doc store would cost ~0.9 ms per 100 hits).
Options fixed for both: tantivy writer heap 128 MB, 1 indexing thread (bm25s is single-threaded; tantivy can use
more), text field indexed with frequencies but no positions (bm25s has none; phrase queries would need them);
bm25s numpy backend (what the project has installed) and, when numba is importable (--extra-path DIR, e.g. a
`pip install --target DIR numba` kept outside the venv), its numba backend timed on the same saved index as
`bm25s+numba`; for bm25s (numpy) the interleaved run also times its scoring and its top-k selection apart. bm25s gets
its token ids through a lazy sequence (one document's list at a time, from a flat int32 array), at build and update:
its documented input, a list of token lists, would hold all ~58M token strings of 555k chunks (several GB).
The 1-minute load average of the shared cores is recorded before and after each step.

    .venv/bin/python bench/ingest_scale.py --conversations 100000 --embed-conversations 0 \\
        --workdir /work/bench-data/ingest100k --keep              # the corpus, once (~6-8 min)
    .venv/bin/python bench/lexical_libraries.py \\
        --warehouse /work/bench-data/ingest100k/run-100000-fp32/warehouse.duckdb \\
        [--chunks 100000 --chunks 0] [--work /work/bench-data/lexical] [--extra-path DIR] \\
        [--out bench/results/lexical_libraries.json]
    .venv/bin/python bench/lexical_libraries.py --table bench/results/lexical_libraries.json   # print it again

`--chunks N` (repeatable; 0 = all): the base index is the first conversations (in conversation_id order) up to the
first conversation boundary at or after N chunks; for all, every conversation but the last 100, which are the
update's new ones. Prints a table per size (tantivy, bm25s, tantivy/bm25s) and writes the raw figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from array import array
from pathlib import Path
from types import SimpleNamespace

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

MiB = 1024 * 1024
GiB = 1024 * MiB
RSS_LIMIT = 2 * GiB
K1, B = 1.2, 0.75
TOP_K = 100
TANTIVY_HEAP = 128_000_000
N_QUERIES, N_RARE, N_SANITY = 200, 20, 50
NEW_CONVERSATIONS, REPLACED, DELETED = 100, 100, 50
TEXT_BATCH = 2_000
RARE = re.compile(r"^(?=.*\d)(?=.*[a-f])[0-9a-f]{7}$|^[a-z][a-z0-9-]*-\d{3,}$")  # commit hash, ticket id


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def maxrss() -> int:
    """This process's peak RSS: VmHWM, the kernel's high-water mark of its own memory (native heaps and touched
    mapped pages included). Not getrusage's ru_maxrss: across fork+exec that also carries the spawning parent's
    high-water mark (a child of a 500 MB parent reports >= 500 MB)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def current_rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def chunk_key(chunk_id: str) -> int:
    """The chunk's 64-bit key: the first 16 hex digits of its chunk_id (a sha256 prefix), as a signed int
    (tantivy-py 0.27 deletes by term on i64 fields; on u64 fields delete_documents_by_term silently matches nothing)."""
    return int.from_bytes(bytes.fromhex(chunk_id[:16]), "big", signed=True)


def query_tokens(text: str) -> list[str]:
    from sb_pipeline.text.tokens import tokens

    return list(dict.fromkeys(tokens(text)))  # a repeated query word counts once, for both libraries


def read_lines(path: Path, n: int):
    """The first n lines of the token file, each a list of tokens."""
    with open(path, encoding="utf-8", newline="\n") as f:
        for _, line in zip(range(n), f):
            yield line.split()


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def load_json(path: Path):
    return json.loads(path.read_text())


# ---------------------------------------------------------------------------------------------
# child: tokenise once (shared) and prepare sizes, deltas, queries
# ---------------------------------------------------------------------------------------------


def child_tokenise(warehouse: Path, work: Path, sizes: list[int], seed: int) -> dict:
    import duckdb
    import polars as pl

    from sb_pipeline.text.tokens import tokens

    tmp = work / "duckdb-tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(warehouse), read_only=True,
                          config={"memory_limit": "1GB", "threads": 2, "temp_directory": str(tmp)})
    order = "ORDER BY c.conversation_id, c.ordinal, c.chunk_id"
    meta = pl.from_arrow(conn.execute(
        "SELECT c.chunk_id, c.conversation_id, c.text_hash, coalesce(v.project, '') AS project, v.kind "
        f"FROM conversation_chunks c JOIN conversations v USING (conversation_id) {order}").to_arrow_table())
    n = meta.height
    chunk_ids = meta["chunk_id"].to_list()
    keys = np.array([chunk_key(c) for c in chunk_ids], dtype=np.int64)
    if len(np.unique(keys)) != n:
        raise SystemExit("chunk keys (first 16 hex digits of chunk_id) collide; use a longer key")
    projects = sorted(meta["project"].unique().to_list())
    kinds = sorted(meta["kind"].unique().to_list())
    project_code = meta["project"].replace_strict({p: i for i, p in enumerate(projects)}, return_dtype=pl.Int16).to_numpy()
    kind_code = meta["kind"].replace_strict({k: i for i, k in enumerate(kinds)}, return_dtype=pl.Int8).to_numpy()
    text_hash = np.array([h[:16] for h in meta["text_hash"].to_list()], dtype="S16")
    conv = meta["conversation_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, conv[1:] != conv[:-1]])  # first row of each conversation
    del meta, conv
    n_conv = len(starts)
    bounds = np.r_[starts, n]

    plan = {}
    for size in sizes:
        if size <= 0 or size >= n:
            label, ci = "all", n_conv - NEW_CONVERSATIONS
        else:
            label, ci = f"{size // 1000}k" if size % 1000 == 0 else str(size), int(np.searchsorted(bounds, size))
        base = int(bounds[ci])
        new_end = int(bounds[min(ci + NEW_CONVERSATIONS, n_conv)])
        rng = np.random.default_rng([seed, base])
        picked = rng.choice(base, REPLACED + DELETED, replace=False)
        donors = rng.choice(base, REPLACED, replace=False)
        plan[label] = {"requested": size, "base": base, "conversations": ci, "new_end": new_end,
                       "replaced": sorted(int(r) for r in picked[:REPLACED]), "deleted": sorted(int(r) for r in picked[REPLACED:]),
                       "donors": [int(d) for d in donors]}
    smallest = min(p["base"] for p in plan.values())
    qrng = random.Random(seed)
    query_rows = [qrng.randrange(smallest) for _ in range(N_QUERIES * 3)]  # spare rows: some chunks have too few tokens
    need_text = set()
    for p in plan.values():
        need_text.update(range(p["base"], p["new_end"]), p["replaced"], p["donors"])
    texts: dict[int, str] = {}
    row_tokens: dict[int, list[str]] = {}
    want_tokens = set(query_rows)

    boundaries = {p["base"]: label for label, p in plan.items()}
    cut = {}
    tok_seconds, n_tokens, n_chars = 0.0, 0, 0
    read_seconds = 0.0
    path = work / "tokens.txt"
    row = 0
    t_read = time.perf_counter()
    cur = conn.execute(f"SELECT c.chunk_id, c.text FROM conversation_chunks c {order}")
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        while True:
            batch = cur.fetchmany(TEXT_BATCH)
            read_seconds += time.perf_counter() - t_read
            if not batch:
                break
            for cid, text in batch:
                if row in boundaries:
                    cut[boundaries[row]] = {"docs": row, "seconds": tok_seconds, "tokens": n_tokens, "chars": n_chars}
                if cid != chunk_ids[row]:
                    raise SystemExit("text rows and metadata rows disagree in order")
                t = time.perf_counter()
                toks = tokens(text)
                tok_seconds += time.perf_counter() - t
                n_tokens += len(toks)
                n_chars += len(text)
                out.write(" ".join(toks))
                out.write("\n")
                if row in need_text:
                    texts[row] = text
                if row in want_tokens:
                    row_tokens[row] = toks
                row += 1
            t_read = time.perf_counter()
    conn.close()
    cut["total"] = {"docs": row, "seconds": tok_seconds, "tokens": n_tokens, "chars": n_chars}

    np.savez(work / "meta.npz", key=keys, text_hash=text_hash, project=project_code, kind=kind_code)
    for label, p in plan.items():
        rows = lambda rs, text_of: [[int(keys[r]), projects[project_code[r]], kinds[kind_code[r]], text_of(r)] for r in rs]
        donor = dict(zip(p["replaced"], p["donors"]))
        delta = {
            "new": rows(range(p["base"], p["new_end"]), lambda r: texts[r]),
            # an edited chunk: its text plus a passage of another chunk (new words, new length)
            "replaced": rows(p["replaced"], lambda r: texts[r] + "\n" + texts[donor[r]][:600]),
            "deleted": [int(keys[r]) for r in p["deleted"]],
        }
        (work / f"delta-{label}.json").write_text(json.dumps(delta))
        p["new_chunks"] = p["new_end"] - p["base"]
        del p["donors"]

    queries = make_queries(query_rows, row_tokens, project_code, projects, qrng)
    (work / "queries.json").write_text(json.dumps(queries))
    info = {"rows": n, "conversations": n_conv, "projects": projects, "kinds": kinds, "plan": plan,
            "tokenise": cut, "read_seconds": read_seconds, "peak_rss": maxrss(), "queries": len(queries)}
    (work / "prepared.json").write_text(json.dumps(info))
    return info


def make_queries(rows: list[int], row_tokens: dict[int, list[str]], project_code, projects, rng: random.Random) -> list[dict]:
    words, rare = [], []
    for r in rows:
        toks = [t for t in dict.fromkeys(row_tokens[r]) if len(t) >= 2]
        plain = [t for t in toks if not RARE.match(t)]
        ids = [t for t in toks if RARE.match(t)]
        project = projects[project_code[r]] or None
        if ids and len(rare) < N_RARE:
            q = [rng.choice(ids)] + rng.sample(plain, min(len(plain), rng.choice([0, 0, 1, 2])))
            rare.append({"text": " ".join(q), "kind": "rare", "row": r, "project": project})
        elif len(plain) >= 6 and len(words) < N_QUERIES - N_RARE:
            words.append({"text": " ".join(rng.sample(plain, rng.randint(2, 6))), "kind": "words", "row": r, "project": project})
    if len(words) < N_QUERIES - N_RARE or len(rare) < N_RARE:
        raise SystemExit(f"too few query sources: {len(words)} word queries, {len(rare)} rare")
    out = []
    for i in range(N_QUERIES):  # every 10th a rare identifier, so the first 50 (the sanity set) mix both
        out.append(rare.pop(0) if i % 10 == 9 else words.pop(0))
    return out


# ---------------------------------------------------------------------------------------------
# engines: open, search, build, update
# ---------------------------------------------------------------------------------------------


class Tantivy:
    name = "tantivy"

    @staticmethod
    def schema():
        import tantivy

        sb = tantivy.SchemaBuilder()
        sb.add_integer_field("key", indexed=True, fast=True)  # the chunk key: delete term and result id
        sb.add_text_field("tokens", tokenizer_name="whitespace", index_option="freq")
        sb.add_text_field("project", tokenizer_name="raw", index_option="basic")
        sb.add_text_field("kind", tokenizer_name="raw", index_option="basic")
        return sb.build()

    @staticmethod
    def doc(key: int, line: str, project: str, kind: str):
        import tantivy

        d = tantivy.Document(tokens=line, project=project, kind=kind)
        d.add_integer("key", key)
        return d

    def __init__(self, path: Path, backend: str | None = None):
        import tantivy

        self.t = tantivy
        self.index = tantivy.Index.open(str(path))
        self.schema_ = self.index.schema
        self.searcher = self.index.searcher()

    def search(self, text: str, project: str | None = None, k: int = TOP_K) -> list[tuple[int, float]]:
        T = self.t
        toks = query_tokens(text)
        if not toks:
            return []
        q = T.Query.boolean_query([(T.Occur.Should, T.Query.term_query(self.schema_, "tokens", t, index_option="freq")) for t in toks])
        if project is not None:
            only = T.Query.const_score_query(T.Query.term_query(self.schema_, "project", project, index_option="basic"), 0.0)
            q = T.Query.boolean_query([(T.Occur.Must, q), (T.Occur.Must, only)])
        hits = self.searcher.search(q, k, count=False).hits
        keys = self.searcher.fast_field_values("key", [a for _, a in hits])
        return [(int(key), float(s)) for (s, _), key in zip(hits, keys)]

    @classmethod
    def build(cls, work: Path, out: Path, base: int, prepared: dict) -> dict:
        import tantivy

        meta = np.load(work / "meta.npz")
        keys, proj, kind = meta["key"][:base].tolist(), meta["project"][:base].tolist(), meta["kind"][:base].tolist()
        projects, kinds = prepared["projects"], prepared["kinds"]
        # the whitespace tokenizer must give back exactly our tokens
        analyzer = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
        sample = [line for _, line in zip(range(2_000), read_lines(work / "tokens.txt", base))]
        identical = all(analyzer.analyze(" ".join(toks)) == toks for toks in sample)
        del sample
        base_rss = current_rss()
        t0 = time.perf_counter()
        index = tantivy.Index(cls.schema(), path=str(out))
        writer = index.writer(heap_size=TANTIVY_HEAP, num_threads=1)
        with open(work / "tokens.txt", encoding="utf-8", newline="\n") as f:
            for i, line in zip(range(base), f):
                writer.add_document(cls.doc(keys[i], line[:-1], projects[proj[i]], kinds[kind[i]]))
        t_add = time.perf_counter()
        writer.commit()
        t_commit = time.perf_counter()
        writer.wait_merging_threads()
        t_merge = time.perf_counter()
        index.reload()
        searcher = index.searcher()
        return {"seconds": t_merge - t0, "add_seconds": t_add - t0, "commit_seconds": t_commit - t_add,
                "merge_seconds": t_merge - t_commit, "docs": searcher.num_docs, "segments": searcher.num_segments,
                "tokens_identical_on_sample": identical, "index_bytes": dir_bytes(out), "base_rss": base_rss}

    @classmethod
    def update(cls, work: Path, out: Path, label: str) -> dict:
        import tantivy

        delta = load_json(work / f"delta-{label}.json")
        from sb_pipeline.text.tokens import tokens

        tokens("warm up")
        base_rss = current_rss()
        t0 = time.perf_counter()
        index = tantivy.Index.open(str(out))
        writer = index.writer(heap_size=TANTIVY_HEAP, num_threads=1)
        t_open = time.perf_counter()
        lines = {"new": [" ".join(tokens(r[3])) for r in delta["new"]], "replaced": [" ".join(tokens(r[3])) for r in delta["replaced"]]}
        t_tok = time.perf_counter()
        for key in delta["deleted"]:
            writer.delete_documents_by_term("key", key)
        for (key, project, kind, _), line in zip(delta["replaced"], lines["replaced"]):
            writer.delete_documents_by_term("key", key)
            writer.add_document(cls.doc(key, line, project, kind))
        for (key, project, kind, _), line in zip(delta["new"], lines["new"]):
            writer.add_document(cls.doc(key, line, project, kind))
        t_ops = time.perf_counter()
        writer.commit()
        t_commit = time.perf_counter()
        index.reload()
        searcher = index.searcher()
        t_visible = time.perf_counter()
        writer.wait_merging_threads()
        t_merge = time.perf_counter()
        return {"seconds": t_visible - t0, "open_seconds": t_open - t0, "tokenise_seconds": t_tok - t_open,
                "ops_seconds": t_ops - t_tok, "commit_seconds": t_commit - t_ops, "reload_seconds": t_visible - t_commit,
                "background_merge_seconds": t_merge - t_visible, "docs": searcher.num_docs, "segments": searcher.num_segments,
                "base_rss": base_rss, "index_bytes_after": dir_bytes(out)}


class DocIds:
    """bm25s's corpus of token ids, handed over one document's list at a time from a flat int32 array
    (bm25s only needs len() and iteration; it iterates three times)."""

    def __init__(self, flat: np.ndarray, offsets: np.ndarray):
        self.flat, self.offsets = flat, offsets.tolist()

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __iter__(self):
        flat, off = self.flat, self.offsets
        for i in range(len(off) - 1):
            yield flat[off[i]:off[i + 1]].tolist()


class BM25S:
    name = "bm25s"

    def __init__(self, path: Path, backend: str = "numpy"):
        import bm25s

        self.model = bm25s.BM25.load(str(path / "index"), load_corpus=False, mmap=False, backend=backend, show_progress=False)
        self.keys = np.load(path / "keys.npy")
        self.project = np.load(path / "project.npy")
        self.projects = {p: i for i, p in enumerate(load_json(path / "projects.json"))}

    def search(self, text: str, project: str | None = None, k: int = TOP_K) -> list[tuple[int, float]]:
        toks = query_tokens(text)
        if not toks:
            return []
        mask = None
        if project is not None:
            mask = (self.project == self.projects[project]).astype(np.float32)
        res = self.model.retrieve([toks], corpus=self.keys, k=k, show_progress=False, n_threads=0, weight_mask=mask)
        return [(int(key), float(s)) for key, s in zip(res.documents[0], res.scores[0]) if s > 0]

    @staticmethod
    def index_and_save(flat, offsets, vocab: dict, out: Path) -> tuple[float, float]:
        import bm25s

        t0 = time.perf_counter()
        model = bm25s.BM25(k1=K1, b=B, method="lucene", idf_method="lucene")
        model.index(SimpleNamespace(ids=DocIds(flat, offsets), vocab=vocab), create_empty_token=False, show_progress=False)
        t1 = time.perf_counter()
        model.save(str(out / "index"))
        return t1 - t0, time.perf_counter() - t1

    @staticmethod
    def save_cache(out: Path, flat, offsets) -> float:
        t0 = time.perf_counter()
        np.save(out / "cache" / "ids.npy", flat)
        np.save(out / "cache" / "offsets.npy", offsets)
        return time.perf_counter() - t0

    @classmethod
    def build(cls, work: Path, out: Path, base: int, prepared: dict) -> dict:
        meta = np.load(work / "meta.npz")
        (out / "cache").mkdir(parents=True, exist_ok=True)
        base_rss = current_rss()
        t0 = time.perf_counter()
        vocab: dict[str, int] = {}
        flat = array("i")
        offsets = array("q", [0])
        for toks in read_lines(work / "tokens.txt", base):
            flat.extend([vocab.setdefault(t, len(vocab)) for t in toks])
            offsets.append(len(flat))
        flat, offsets = np.frombuffer(flat, dtype=np.int32), np.frombuffer(offsets, dtype=np.int64)
        t_ids = time.perf_counter()
        index_s, save_s = cls.index_and_save(flat, offsets, vocab, out)
        t_keys = time.perf_counter()
        np.save(out / "keys.npy", meta["key"][:base])
        np.save(out / "project.npy", meta["project"][:base])
        (out / "projects.json").write_text(json.dumps(prepared["projects"]))
        t1 = time.perf_counter()
        cache_s = cls.save_cache(out, flat, offsets)
        return {"seconds": t1 - t0, "ids_seconds": t_ids - t0, "index_seconds": index_s, "save_seconds": save_s + (t1 - t_keys),
                "cache_seconds": cache_s, "docs": len(offsets) - 1, "vocab": len(vocab), "postings": int(flat.size),
                "index_bytes": dir_bytes(out) - dir_bytes(out / "cache"), "cache_bytes": dir_bytes(out / "cache"), "base_rss": base_rss}

    @classmethod
    def update(cls, work: Path, out: Path, label: str) -> dict:
        """No incremental API: drop the deleted and replaced chunks from the cached token ids, append the replaced
        and new chunks' tokens, rebuild the whole index, save it and the cache."""
        delta = load_json(work / f"delta-{label}.json")
        from sb_pipeline.text.tokens import tokens

        tokens("warm up")
        base_rss = current_rss()
        t0 = time.perf_counter()
        with open(out / "index" / "vocab.index.json") as f:
            vocab = json.load(f)
        flat = np.load(out / "cache" / "ids.npy")
        offsets = np.load(out / "cache" / "offsets.npy")
        keys = np.load(out / "keys.npy")
        project = np.load(out / "project.npy")
        projects = load_json(out / "projects.json")
        t_load = time.perf_counter()
        added = delta["replaced"] + delta["new"]
        added_ids = [[vocab.setdefault(t, len(vocab)) for t in tokens(r[3])] for r in added]
        t_tok = time.perf_counter()
        gone = np.isin(keys, np.array(delta["deleted"] + [r[0] for r in delta["replaced"]], dtype=np.int64))
        keep = np.flatnonzero(~gone)
        lengths = np.diff(offsets)[keep]
        # kept documents: contiguous runs of rows between the dropped ones
        runs = np.split(keep, np.flatnonzero(np.diff(keep) != 1) + 1)
        parts = [flat[offsets[r[0]]:offsets[r[-1] + 1]] for r in runs if len(r)]
        parts += [np.array(ids, dtype=np.int32) for ids in added_ids]
        new_flat = np.concatenate(parts)
        new_offsets = np.r_[0, np.cumsum(np.r_[lengths, [len(ids) for ids in added_ids]])].astype(np.int64)
        code = {p: i for i, p in enumerate(projects)}
        new_keys = np.r_[keys[keep], np.array([r[0] for r in added], dtype=np.int64)]
        new_project = np.r_[project[keep], np.array([code.setdefault(r[1], len(code)) for r in added], dtype=project.dtype)]
        del flat, parts
        t_delta = time.perf_counter()
        index_s, save_s = cls.index_and_save(new_flat, new_offsets, vocab, out)
        t_keys = time.perf_counter()
        np.save(out / "keys.npy", new_keys)
        np.save(out / "project.npy", new_project)
        (out / "projects.json").write_text(json.dumps(list(code)))
        t_saved = time.perf_counter()
        cache_s = cls.save_cache(out, new_flat, new_offsets)
        t1 = time.perf_counter()
        return {"seconds": t1 - t0, "load_cache_seconds": t_load - t0, "tokenise_seconds": t_tok - t_load,
                "delta_seconds": t_delta - t_tok, "index_seconds": index_s, "save_seconds": save_s + (t_saved - t_keys),
                "cache_seconds": cache_s, "docs": len(new_offsets) - 1, "vocab": len(vocab), "base_rss": base_rss,
                "index_bytes_after": dir_bytes(out) - dir_bytes(out / "cache")}


ENGINES = {"tantivy": Tantivy, "bm25s": BM25S}


# ---------------------------------------------------------------------------------------------
# children: build, query, update (each in its own process)
# ---------------------------------------------------------------------------------------------


def child_build(lib: str, work: Path, label: str) -> dict:
    prepared = load_json(work / "prepared.json")
    out = work / label / lib
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    cpu = time.process_time()
    r = ENGINES[lib].build(work, out, prepared["plan"][label]["base"], prepared)
    r["cpu_seconds"] = time.process_time() - cpu  # all threads: tantivy merges in background threads
    r["peak_rss"] = maxrss()
    return r


def child_query(lib: str, work: Path, label: str, backend: str, phase: str) -> dict:
    queries = load_json(work / "queries.json")
    engine_cls = ENGINES[lib]
    __import__(lib)  # the library's import is not part of opening the index
    query_tokens("warm up the tokeniser's regexes")
    base_rss = current_rss()
    t0 = time.perf_counter()
    engine = engine_cls(work / label / lib, backend)
    t_open = time.perf_counter()
    engine.search(queries[0]["text"])
    t_first = time.perf_counter()
    open_rss = current_rss()
    out: dict = {"open_seconds": t_open - t0, "first_query_seconds": t_first - t_open, "cold_seconds": t_first - t0,
                 "base_rss": base_rss, "rss_after_first_query": open_rss}
    if phase == "after_update":  # only the sanity set's results, to compare the updated indexes
        out["results"] = [engine.search(q["text"]) for q in queries[:N_SANITY]]
        out["peak_rss"] = maxrss()
        return out
    for q in queries:  # untimed warm-up pass
        engine.search(q["text"])
    lat, cpu, results = [], [], []
    for q in queries:
        c, t = time.process_time(), time.perf_counter()
        hits = engine.search(q["text"])
        lat.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        results.append(hits)
    for q in queries:
        engine.search(q["text"], project=q["project"])
    flat = []
    for q in queries:
        t = time.perf_counter()
        hits = engine.search(q["text"], project=q["project"])
        flat.append(time.perf_counter() - t)
    out.update({"warm_ms": summary_ms(lat), "warm_cpu_ms": summary_ms(cpu), "filtered_ms": summary_ms(flat),
                "warm_ms_by_kind": {kind: summary_ms([x for x, q in zip(lat, queries) if q["kind"] == kind]) for kind in ("words", "rare")},
                "hits_mean": statistics.mean(len(h) for h in results), "peak_rss": maxrss(), "results": results})
    return out


def child_interleaved(work: Path, label: str, numba: bool) -> dict:
    """The engines open side by side in one process, each query run by each in turn (two passes, the first
    untimed): their latencies are taken at the same moments, under the same load from the shared cores. For
    bm25s (numpy) the scoring and the top-k selection are also timed apart."""
    import bm25s.selection

    queries = load_json(work / "queries.json")
    engines = {"tantivy": Tantivy(work / label / "tantivy"), "bm25s": BM25S(work / label / "bm25s")}
    if numba:
        engines["bm25s+numba"] = BM25S(work / label / "bm25s", "numba")
    lat: dict[str, list[float]] = {name: [] for name in engines}
    parts: dict[str, list[float]] = {"scores": [], "topk": []}
    model = engines["bm25s"].model
    for timed in (False, True):
        for q in queries:
            for name, engine in engines.items():
                t = time.perf_counter()
                engine.search(q["text"])
                if timed:
                    lat[name].append(time.perf_counter() - t)
            if timed:
                toks = query_tokens(q["text"])
                t = time.perf_counter()
                scores = model.get_scores(toks)
                t1 = time.perf_counter()
                bm25s.selection.topk(scores, TOP_K, backend="numpy")
                parts["scores"].append(t1 - t)
                parts["topk"].append(time.perf_counter() - t1)
    return {"warm_ms": {name: summary_ms(v) for name, v in lat.items()},
            "bm25s_numpy_parts_ms": {name: summary_ms(v) for name, v in parts.items()}, "peak_rss": maxrss()}


def summary_ms(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"p50": pct(ms, 0.5), "p95": pct(ms, 0.95), "mean": statistics.mean(ms), "max": max(ms), "n": len(ms)}


def child_update(lib: str, work: Path, label: str) -> dict:
    cpu = time.process_time()
    r = ENGINES[lib].update(work, work / label / lib, label)
    r["cpu_seconds"] = time.process_time() - cpu
    r["peak_rss"] = maxrss()
    return r


def run_child(args: list[str], work: Path, extra_path: str | None = None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    env = dict(os.environ, DISABLE_TQDM="1")
    if extra_path:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (extra_path, env.get("PYTHONPATH")) if p)
    t0, load0 = time.perf_counter(), os.getloadavg()[0]
    with open(work / "children.log", "a") as err:
        err.write(f"\n--- {' '.join(args)}\n")
        err.flush()
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, text=True, cwd=REPO, env=env)
    if out.returncode != 0:
        raise SystemExit(f"child {args} failed (exit {out.returncode}); see {work / 'children.log'}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["process_seconds"] = time.perf_counter() - t0
    r["loadavg_1min"] = [load0, os.getloadavg()[0]]  # the shared cores' load (runnable tasks) before and after
    print(f"    {' '.join(args[:4]):<38} {r['process_seconds']:7.1f} s  peak RSS {r.get('peak_rss', 0) / MiB:,.0f} MiB", flush=True)
    return r


# ---------------------------------------------------------------------------------------------
# comparison and report
# ---------------------------------------------------------------------------------------------


def compare(a: list[list], b: list[list], text_hash: dict[int, bytes]) -> dict:
    """Overlap@10 of two libraries' results on the same queries; a is tantivy, b bm25s."""
    strict, by_text, ratios, at100, near = [], [], [], [], []
    for ha, hb in zip(a, b):
        ta, tb = [k for k, _ in ha[:10]], [k for k, _ in hb[:10]]
        denom = max(len(ta), len(tb))
        strict.append(len(set(ta) & set(tb)) / denom if denom else 1.0)
        xa, xb = {text_hash[k] for k in ta}, {text_hash[k] for k in tb}
        by_text.append(len(xa & xb) / max(len(xa), len(xb)) if xa or xb else 1.0)
        sa, sb = dict(ha), dict(hb)
        ratios += [sa[k] / sb[k] for k in set(ta) & set(tb) if sb[k] > 0]
        near.append(statistics.mean([near_top10(ta, tb, hb, sb), near_top10(tb, ta, ha, sa)]))
        fa, fb = {k for k, _ in ha}, {k for k, _ in hb}
        at100.append(len(fa & fb) / max(len(fa), len(fb)) if fa or fb else 1.0)
    return {"queries": len(strict), "overlap_at_10": statistics.mean(strict), "overlap_at_10_min": min(strict),
            "overlap_at_10_by_text": statistics.mean(by_text), "queries_identical_top10": sum(s == 1.0 for s in strict),
            "overlap_at_10_near_ties": statistics.mean(near), "overlap_at_100": statistics.mean(at100),
            "score_ratio_tantivy_over_bm25s": {"median": pct(ratios, 0.5), "p5": pct(ratios, 0.05), "p95": pct(ratios, 0.95),
                                               "n": len(ratios), "expected": 1 + K1}}


def near_top10(ta: list[int], tb: list[int], hb: list, sb: dict) -> float:
    """Share of one library's top-10 that the other ranks in its top-10, or within 1 % of its 10th score
    (a near tie that one-byte document lengths can swap)."""
    if not ta:
        return 1.0
    tenth = hb[min(9, len(hb) - 1)][1] if hb else 0.0
    return sum(k in tb or (k in sb and sb[k] >= 0.99 * tenth) for k in ta) / len(ta)


def fmt(v, unit: str) -> str:
    if v is None:
        return "-"
    if unit == "MiB":
        return f"{v / MiB:,.0f} MiB"
    if unit == "s":
        return f"{v:,.2f} s" if v < 100 else f"{v:,.0f} s"
    if unit == "ms":
        return f"{v:,.2f} ms" if v < 100 else f"{v:,.0f} ms"
    if unit == "n":
        return f"{v:,}"
    return f"{v:.3f}"


def table(label: str, s: dict, tokenise: dict) -> list[str]:
    t, b, n, i = s["tantivy"], s["bm25s"], s.get("bm25s_numba"), s["interleaved"]["warm_ms"]
    rows = [
        ("docs in the base index", t["build"]["docs"], b["build"]["docs"], None, "n"),
        ("build to a persisted index", t["build"]["seconds"], b["build"]["seconds"], None, "s"),
        ("  build CPU (all threads)", t["build"]["cpu_seconds"], b["build"]["cpu_seconds"], None, "s"),
        ("build peak RSS", t["build"]["peak_rss"], b["build"]["peak_rss"], None, "MiB"),
        ("index on disk", t["build"]["index_bytes"], b["build"]["index_bytes"], None, "MiB"),
        ("  + token cache needed to update", None, b["build"]["cache_bytes"], None, "MiB"),
        ("cold: open + first query", t["query"]["cold_seconds"] * 1000, b["query"]["cold_seconds"] * 1000,
         n and n["query"]["cold_seconds"] * 1000, "ms"),
        ("warm query p50 (top-100)", t["query"]["warm_ms"]["p50"], b["query"]["warm_ms"]["p50"], n and n["query"]["warm_ms"]["p50"], "ms"),
        ("warm query p95", t["query"]["warm_ms"]["p95"], b["query"]["warm_ms"]["p95"], n and n["query"]["warm_ms"]["p95"], "ms"),
        ("  CPU per query p50", t["query"]["warm_cpu_ms"]["p50"], b["query"]["warm_cpu_ms"]["p50"], n and n["query"]["warm_cpu_ms"]["p50"], "ms"),
        ("  interleaved in one process p50", i["tantivy"]["p50"], i["bm25s"]["p50"], i.get("bm25s+numba", {}).get("p50"), "ms"),
        ("  interleaved in one process p95", i["tantivy"]["p95"], i["bm25s"]["p95"], i.get("bm25s+numba", {}).get("p95"), "ms"),
        ("filtered by project p50", t["query"]["filtered_ms"]["p50"], b["query"]["filtered_ms"]["p50"], n and n["query"]["filtered_ms"]["p50"], "ms"),
        ("filtered by project p95", t["query"]["filtered_ms"]["p95"], b["query"]["filtered_ms"]["p95"], n and n["query"]["filtered_ms"]["p95"], "ms"),
        ("query process peak RSS", t["query"]["peak_rss"], b["query"]["peak_rss"], n and n["query"]["peak_rss"], "MiB"),
        ("update to visible (see plan)", t["update"]["seconds"], b["update"]["seconds"], None, "s"),
        ("update peak RSS", t["update"]["peak_rss"], b["update"]["peak_rss"], None, "MiB"),
    ]
    head = f"  {'figure':<36} {'tantivy':>12} {'bm25s':>12} {'tantivy/bm25s':>14} {'bm25s+numba':>12}"
    loads = [x for step in (*t.values(), *b.values(), *(n or {}).values(), s["interleaved"]) if isinstance(step, dict)
             for x in step.get("loadavg_1min", [])]
    plan = s["plan"]
    lines = [f"[{label}] {t['build']['docs']:,} chunks; tokenisation (shared, once): "
             f"{tokenise['seconds']:.1f} s for {tokenise['tokens']:,} tokens of {tokenise['chars'] / 1e6:,.0f} M chars; "
             f"load average of the 2 shared cores during these steps {min(loads):.1f}..{max(loads):.1f}",
             f"  update plan: +{plan['new_chunks']:,} chunks of {NEW_CONVERSATIONS} new conversations, {len(plan['replaced'])} chunks "
             f"replaced, {len(plan['deleted'])} deleted", head,
             "  " + "-" * (len(head) - 2)]
    for name, tv, bv, nv, unit in rows:
        ratio = "-" if tv is None or not bv else f"{tv / bv:.3f}" if tv / bv < 0.1 else f"{tv / bv:.2f}"
        lines.append(f"  {name:<36} {fmt(tv, unit):>12} {fmt(bv, unit):>12} {ratio:>14} {fmt(nv, unit) if nv is not None else '':>12}")
    parts = s["interleaved"]["bm25s_numpy_parts_ms"]
    lines.append(f"  bm25s (numpy) p50 split: scoring {parts['scores']['p50']:.2f} ms, top-k selection {parts['topk']['p50']:.2f} ms")
    c, u = s["sanity"], s["sanity_after_update"]
    r = c["score_ratio_tantivy_over_bm25s"]
    lines.append(f"  sanity, {c['queries']} queries: overlap@10 {c['overlap_at_10']:.3f} (min {c['overlap_at_10_min']:.1f}, "
                 f"{c['queries_identical_top10']} identical; {c['overlap_at_10_by_text']:.3f} with exact copies collapsed, "
                 f"{c['overlap_at_10_near_ties']:.3f} counting near ties), "
                 f"overlap@100 {c['overlap_at_100']:.3f}; score tantivy/bm25s median {r['median']:.3f} "
                 f"(p5 {r['p5']:.3f}, p95 {r['p95']:.3f}; k1+1 = {r['expected']:.1f}); after the update overlap@10 {u['overlap_at_10']:.3f}")
    over = [lib for lib in ("tantivy", "bm25s") if max(s[lib]["build"]["peak_rss"], s[lib]["query"]["peak_rss"], s[lib]["update"]["peak_rss"]) > RSS_LIMIT]
    lines.append(f"  peak RSS over {RSS_LIMIT / GiB:.0f} GiB: {', '.join(over) if over else 'neither'}")
    return lines


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1].startswith("--child-"):
        what, args = sys.argv[1], sys.argv[2:]
        if what == "--child-tokenise":
            r = child_tokenise(Path(args[0]), Path(args[1]), [int(x) for x in args[2].split(",")], int(args[3]))
        elif what == "--child-build":
            r = child_build(args[0], Path(args[1]), args[2])
        elif what == "--child-query":
            r = child_query(args[0], Path(args[1]), args[2], args[3], args[4])
        elif what == "--child-interleaved":
            r = child_interleaved(Path(args[0]), args[1], args[2] == "numba")
        else:
            r = child_update(args[0], Path(args[1]), args[2])
        print(json.dumps(r))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=Path("/work/bench-data/ingest100k/run-100000-fp32/warehouse.duckdb"))
    parser.add_argument("--chunks", type=int, action="append", help="base index sizes (repeatable; 0 = all); default 100000 and all")
    parser.add_argument("--work", type=Path, default=Path("/work/bench-data/lexical"), help="token file, indexes, deltas (not committed)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--extra-path", default=None, help="a directory with numba for the bm25s+numba query timing (optional)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "lexical_libraries.json")
    parser.add_argument("--table", type=Path, default=None, help="only print the tables of a results JSON written before")
    args = parser.parse_args()
    if args.table:
        for label, s in load_json(args.table)["sizes"].items():
            print("\n".join(table(label, s, s["tokenise"])) + "\n")
        return
    sizes = args.chunks or [100_000, 0]
    work = args.work.resolve()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    t_start = time.perf_counter()
    from importlib.metadata import version  # the libraries are not imported here: children inherit the parent's peak

    numba = subprocess.run([sys.executable, "-c", "import numba; print(numba.__version__)"], capture_output=True, text=True,
                           env=dict(os.environ, PYTHONPATH=args.extra_path or ""))
    numba_version = numba.stdout.strip() if numba.returncode == 0 else None
    print(f"lexical_libraries: tantivy {version('tantivy')}, bm25s {version('bm25s')}, numba {numba_version or 'absent'}; "
          f"{os.cpu_count()} cores; warehouse {args.warehouse}; work {work}", flush=True)
    print("  tokenising (once, shared) ...", flush=True)
    prepared = run_child(["--child-tokenise", str(args.warehouse.resolve()), str(work), ",".join(map(str, sizes)), str(args.seed)], work)
    meta = np.load(work / "meta.npz")
    text_hash = dict(zip(meta["key"].tolist(), meta["text_hash"].tolist()))
    results = {"sizes": {}}
    for label, plan in prepared["plan"].items():
        print(f"  [{label}] base {plan['base']:,} chunks of {plan['conversations']:,} conversations; update: "
              f"+{plan['new_chunks']:,} chunks of {NEW_CONVERSATIONS} new conversations, {REPLACED} replaced, {DELETED} deleted", flush=True)
        s = {"plan": plan, "tokenise": prepared["tokenise"][label]}
        for lib in ("tantivy", "bm25s"):
            s[lib] = {"build": run_child(["--child-build", lib, str(work), label], work)}
            s[lib]["query"] = run_child(["--child-query", lib, str(work), label, "numpy", "before_update"], work)
            if lib == "bm25s" and numba_version:
                s["bm25s_numba"] = {"query": run_child(["--child-query", lib, str(work), label, "numba", "before_update"], work, args.extra_path)}
        s["interleaved"] = run_child(["--child-interleaved", str(work), label, "numba" if numba_version else "numpy"], work, args.extra_path)
        for lib in ("tantivy", "bm25s"):
            s[lib]["update"] = run_child(["--child-update", lib, str(work), label], work)
            s[lib]["after_update"] = run_child(["--child-query", lib, str(work), label, "numpy", "after_update"], work)
        s["sanity"] = compare(s["tantivy"]["query"]["results"][:N_SANITY], s["bm25s"]["query"]["results"][:N_SANITY], text_hash)
        s["sanity_after_update"] = compare(s["tantivy"]["after_update"]["results"], s["bm25s"]["after_update"]["results"], text_hash)
        if "bm25s_numba" in s:
            same = compare(s["bm25s"]["query"]["results"], s["bm25s_numba"]["query"]["results"], text_hash)
            s["bm25s_numba"]["same_results_as_numpy"] = same["overlap_at_100"]
        for part in [s["tantivy"], s["bm25s"], s.get("bm25s_numba", {})]:
            for step in part.values():
                if isinstance(step, dict):
                    step.pop("results", None)
        results["sizes"][label] = s
    queries = load_json(work / "queries.json")
    results["meta"] = {
        "command": " ".join([".venv/bin/python", "bench/lexical_libraries.py", *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "cores": os.cpu_count(), "python": platform.python_version(),
        "tantivy": version("tantivy"), "bm25s": version("bm25s"), "numpy": version("numpy"), "numba": numba_version,
        "warehouse": str(args.warehouse), "rows": prepared["rows"], "conversations": prepared["conversations"],
        "bm25": {"k1": K1, "b": B, "tantivy": "Lucene idf, tf*(k1+1)/(tf+k1*(1-b+b*dl/avgdl)), dl quantised to a 1-byte fieldnorm; "
                 "k1, b fixed in the crate", "bm25s": "method='lucene': Lucene idf, tf/(tf+k1*(1-b+b*dl/avgdl)), exact dl"},
        "top_k": TOP_K, "tantivy_writer": {"heap_bytes": TANTIVY_HEAP, "threads": 1, "index_option": "freq"},
        "tokenise_total": prepared["tokenise"]["total"], "tokenise_peak_rss": prepared["peak_rss"],
        "warehouse_read_seconds": prepared["read_seconds"], "rss_limit": RSS_LIMIT,
        "wall_seconds": time.perf_counter() - t_start,
    }
    results["queries"] = [{k: q[k] for k in ("text", "kind", "project")} for q in queries]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print()
    for label, s in results["sizes"].items():
        print("\n".join(table(label, s, s["tokenise"])))
        print()
    print(f"raw figures: {args.out}; total {results['meta']['wall_seconds']:.0f} s")


if __name__ == "__main__":
    main()
