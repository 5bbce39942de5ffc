"""Load: N generated conversations through ingest, chunking and embedding, with the real assets.

Why: the conversation flow must take a heavy user's whole history (100k conversations) in bounded
memory (peak RSS <= 2 GiB), and we want its wall time and throughput at that size.

What runs: `dagster.materialize` of the real assets (`raw_conversations`, `conversation_chunks`,
`conversation_embeddings`, with their asset checks) and the project's resources, exactly as
`sb_pipeline_tests/test_pipeline.py::run_flow` does, on sources generated into a temp folder.
Each stage is its own `materialize` call in a fresh child process (the assets read their inputs
from the warehouse, never from memory, so this is the multiprocess executor's behaviour), so:
- wall: the `materialize` call (step + its checks + Dagster's overhead), not the process start;
- peak RSS: the child's `getrusage(RUSAGE_SELF).ru_maxrss` (the kernel's high-water mark, exact,
  DuckDB's and onnxruntime's C++ heaps included) plus RUSAGE_CHILDREN (none expected: the
  in-process executor spawns no step process); "base" is the RSS after imports, before the run;
- texts/s: ingest = conversations read per second; chunking = chunks written per second;
  embedding = distinct chunk texts embedded per second of the stage's wall time.
Peer (same run, same machine): the bare embedder (`load_embedder().embed`, same profile, 2
threads, batch 16) on a fixed random sample of the same chunk texts, in its own child process,
once just before and once just after the embedding stage. The ratio pipeline/bare says what the
asset costs on top of the model (DB reads, writes, grouping). The 2 shared cores drift over a
long stage, so besides the whole-stage ratio (against the mean of both peer runs) each end of the
stage (two embedding groups, timed by the asset's "progress" log lines) is compared with the
peer run next to it.
No peer for ingest and chunking: no other implementation of them exists here to compare with.

Generated sources (deterministic: item i depends only on --seed and i, so a smaller N is a prefix
of a larger one), written by this script into the temp folder:
- 35 % Claude Code sessions: `transcripts/-home-dev-projects-<p>/<uuid>.jsonl`, the format of
  data/samples/transcripts (see sb_pipeline/sources/transcripts.py): user prompts, assistant
  messages as one line per block sharing message.id (thinking 50 %, text, tool_use), a
  tool_result user line (100..1,500 chars, not kept) after every tool call, a summary line
  (title) in 30 %, a file-history snapshot and a system line in 5 %;
- 30 % inbox items: `inbox/batch-NNNN.jsonl`, 5,000 lines a file, `{id, project, timestamp, content}`;
- 35 % Session Buddy rows in one `reflection.duckdb` with the schema of scripts/make_samples.py
  (/work/shared/reference/session_buddy_data.md §1.2): V1 conversations 25 % / reflections 15 %,
  E1 default_conversations 15 % / default_reflections 15 % (half insights), E3 conversations_v2
  20 % / reflections_v2 10 %; a third of V1/E1 rows carry a stored vector (ignored by the reader).
Text: sentences drawn from the shipped samples' own conversations (1,500+ distinct sentences of
developer English, none with a secret), each item with its own ticket/commit reference.
Length mix (kept characters; log-uniform inside a class):
    class       chars            reflection_db  inbox  transcript  overall
    short       60..400          65 %           60 %   -           ~41 %
    medium      400..3,000       35 %           35 %   28 %        ~32 %
    long        3,000..30,000    -              5 %    60 %        ~23 %
    very long   30,000..120,000  -              -      12 %        ~4 %
A session over 50,000 characters is split by the reader into parts (more rows than sessions).
Noise, as on real machines: 0.3 % malformed inbox lines and 0.3 % too-short notes (rejected),
0.5 % exact copies of an earlier item in another source (skipped as duplicates).
The realised distribution (stored char_count percentiles per source) is printed after ingest.

    .venv/bin/python bench/ingest_scale.py [--conversations 100000] [--embed-conversations M]
        [--model-profile fp32|int8] [--peer-sample 2048] [--workdir DIR] [--keep]

`--embed-conversations M` (< N): the embedding stage (and the peer) runs on a second corpus of the
first M items (ingested and chunked again, in its own warehouse), ingest and chunking are measured
at N, and the time to embed all N is projected from the rate measured on M; 0 skips embedding.
Use it when embedding N would take hours: with this length mix a conversation makes ~5.4 chunks,
mostly full 256-token windows, which the embedder reads at ~25-30/s on 2 cores. So
`--conversations 2000` takes ~10 minutes (ingest 3 s, chunking 5 s, embedding 11k texts ~7 min,
the peer twice ~1.5 min); `--conversations 2000 --embed-conversations 0` takes ~15 s.
The corpus is reused from --workdir when it matches (N, --seed, generator version).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")

MiB = 1024 * 1024
GiB = 1024 * MiB
RSS_LIMIT = 2 * GiB
GENERATOR_VERSION = 2
SOURCES = {"reflection_db": 0.45, "inbox": 0.35, "transcript": 0.20}
CLASSES = {"short": (60, 400), "medium": (400, 3_000), "long": (3_000, 30_000), "very_long": (30_000, 120_000)}
MIX = {
    "reflection_db": {"short": 0.65, "medium": 0.35},
    "inbox": {"short": 0.60, "medium": 0.35, "long": 0.05},
    "transcript": {"medium": 0.30, "long": 0.58, "very_long": 0.12},
}
TABLES = {  # reflection_db items by table (era)
    "conversations": 0.25, "reflections": 0.15, "default_conversations": 0.15,
    "default_reflections": 0.15, "conversations_v2": 0.20, "reflections_v2": 0.10,
}
PROJECTS = [
    "acme-api", "chat-gateway", "infra-live", "logtail-rs", "storefront-web", "session-buddy", "crackerjack",
    "data-platform", "billing-service", "mobile-app", "search-indexer", "auth-proxy", "etl-jobs", "docs-site",
    "ml-features", "payments-core", "notify-worker", "admin-console", "cli-tools", "k8s-charts",
]
BRANCHES = ["main", "fix/flaky-tests", "feat/search", "perf/queries", "chore/deps", "refactor/storage"]
INSIGHT_TYPES = ["pattern", "architecture", "debugging", "performance", "security"]
INBOX_FILE_LINES = 5_000
EPOCH = datetime(2026, 11, 20, tzinfo=timezone.utc)


# ---------------------------------------------------------------------------------------------
# the generated corpus
# ---------------------------------------------------------------------------------------------


def sentence_pool() -> list[str]:
    """Distinct sentences of the shipped samples' conversations, read with the project's own readers;
    any sentence a redaction rule touches is left out (the samples plant fake keys)."""
    from sb_pipeline.records import redact
    from sb_pipeline.sources.inbox import read_inbox
    from sb_pipeline.sources.reflection_db import read_reflection_db
    from sb_pipeline.sources.transcripts import read_transcripts

    samples = REPO / "data" / "samples"
    with tempfile.TemporaryDirectory() as snap:
        reads = [read_inbox(samples / "inbox"), read_transcripts(samples / "transcripts"),
                 read_reflection_db(samples / "reflection.duckdb", Path(snap))]
    pool = set()
    for read in reads:
        for text in read.records["content"].to_list():
            for s in re.split(r"(?<=[.!?])\s+|\n+", text):
                s = " ".join(s.split())
                if 20 <= len(s) <= 400 and "\ufffd" not in s and redact(s).count == 0 and not s.startswith(("User:", "Assistant:")):
                    pool.add(s)
    return sorted(pool)


class Writer:
    """Writes item after item into the three sources; bounded memory (reflection rows in batches)."""

    def __init__(self, root: Path, pool: list[str], seed: int):
        self.root, self.pool, self.seed = root, pool, seed
        (root / "transcripts").mkdir(parents=True)
        (root / "inbox").mkdir()
        self.inbox_file = None
        self.inbox_lines = 0
        self.inbox_files = 0
        self.db_rows: dict[str, list[dict]] = {t: [] for t in TABLES}
        import duckdb

        from scripts.make_samples import DDL  # the samples' Session Buddy schema (V1, E1, E3 eras)

        self.db = duckdb.connect(str(root / "reflection.duckdb"))
        self.db.execute(DDL)
        self.recent: list[str] = []  # contents an exact copy can be taken from
        self.counts: dict[str, dict[str, int]] = {s: {} for s in SOURCES}
        self.noise = {"malformed": 0, "too_short": 0, "copies": 0}

    # ---- text -------------------------------------------------------------------------------
    def text(self, rng: random.Random, lo: int, hi: int) -> str:
        target = int(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        parts: list[str] = []
        size = 0
        while size < target:
            s = rng.choice(self.pool)
            if rng.random() < 0.15:
                s = f"{s} (see {rng.choice(PROJECTS)}#{rng.randint(1, 99999)}, commit {rng.getrandbits(28):07x})"
            parts.append(s)
            size += len(s) + 1
            if rng.random() < 0.2:
                parts.append("\n")
        text = " ".join(parts).replace(" \n ", "\n")
        return text[:hi].strip()

    def ticket(self, rng: random.Random) -> str:
        return f"[{rng.choice(PROJECTS)}-{rng.randint(1, 999999)}] "

    # ---- items ------------------------------------------------------------------------------
    def add(self, i: int) -> None:
        rng = random.Random(f"{self.seed}:{i}")
        source = rng.choices(list(SOURCES), weights=list(SOURCES.values()))[0]
        mix = MIX[source]
        klass = rng.choices(list(mix), weights=list(mix.values()))[0]
        lo, hi = CLASSES[klass]
        self.counts[source][klass] = self.counts[source].get(klass, 0) + 1
        when = EPOCH - timedelta(seconds=rng.uniform(0, 2 * 365 * 86400))
        project = rng.choice(PROJECTS)
        if source == "transcript":
            self.session(rng, i, lo, hi, when, project)
            return
        text = self.ticket(rng) + self.text(rng, lo, hi)
        roll = rng.random()
        if roll < 0.005 and self.recent:
            text = rng.choice(self.recent)  # an exact copy of an earlier item, usually from another source
            self.noise["copies"] += 1
        elif klass == "short" and len(self.recent) < 200:
            self.recent.append(text)
        elif klass == "short" and rng.random() < 0.01:
            self.recent[rng.randrange(200)] = text
        if source == "inbox":
            self.inbox(rng, i, text, when, project)
        else:
            self.reflection(rng, i, text, when, project)

    def inbox(self, rng, i, text, when, project) -> None:
        if self.inbox_file is None or self.inbox_lines >= INBOX_FILE_LINES:
            if self.inbox_file:
                self.inbox_file.close()
            self.inbox_files += 1
            self.inbox_file = open(self.root / "inbox" / f"batch-{self.inbox_files:04d}.jsonl", "w", encoding="utf-8")
            self.inbox_lines = 0
        roll = rng.random()
        if roll < 0.003:
            line = json.dumps({"id": f"item-{i}", "content": text})[: rng.randint(10, 60)]  # truncated write
            self.noise["malformed"] += 1
        else:
            if roll < 0.006:
                text = rng.choice(["ok", "todo: check", "wip", "see above", "fixed it"])
                self.noise["too_short"] += 1
            line = json.dumps({"id": f"item-{i}", "project": project, "timestamp": when.isoformat().replace("+00:00", "Z"),
                               "content": text}, ensure_ascii=False)
        self.inbox_file.write(line + "\n")
        self.inbox_lines += 1

    def reflection(self, rng, i, text, when, project) -> None:
        table = rng.choices(list(TABLES), weights=list(TABLES.values()))[0]
        naive = when.replace(tzinfo=None)
        vector = rng.random() < 1 / 3 and table in ("conversations", "reflections", "default_conversations", "default_reflections")
        meta = json.dumps({"project": project, "is_manual": rng.random() < 0.3})
        row = {"id": uuid.UUID(int=rng.getrandbits(128), version=4).hex, "content": text, "project": project,
               "timestamp": naive, "metadata": meta, "vector": vector}
        if table == "default_reflections":
            row["insight_type"] = rng.choice(INSIGHT_TYPES) if rng.random() < 0.5 else None
        if table == "reflections_v2":
            row["insight_type"] = rng.choice(INSIGHT_TYPES) if rng.random() < 0.3 else None
        rows = self.db_rows[table]
        rows.append(row)
        if len(rows) >= 5_000:
            self.flush(table)

    def flush(self, table: str) -> None:
        import numpy as np
        import polars as pl

        rows = self.db_rows[table]
        if not rows:
            return
        rng = np.random.default_rng(len(rows) + sum(len(r["id"]) for r in rows))
        vec = rng.standard_normal((len(rows), 384), dtype=np.float32)
        vec /= np.linalg.norm(vec, axis=1, keepdims=True)
        frame = pl.DataFrame({
            "id": [r["id"] for r in rows], "content": [r["content"] for r in rows], "project": [r["project"] for r in rows],
            "ts": [r["timestamp"] for r in rows], "metadata": [r["metadata"] for r in rows],
            "insight_type": [r.get("insight_type") for r in rows],
            "embedding": [v.tolist() if r["vector"] else None for v, r in zip(vec, rows)],
        }, schema_overrides={"embedding": pl.Array(pl.Float32, 384), "insight_type": pl.Utf8})
        self.db.register("batch", frame)
        sql = {
            "conversations": "INSERT INTO conversations SELECT id, content, embedding, project, ts, metadata FROM batch",
            "reflections": "INSERT INTO reflections SELECT id, content, embedding, project, ['checkpoint'], ts, metadata FROM batch",
            "default_conversations": "INSERT INTO default_conversations SELECT id, content, metadata, ts, ts, embedding, NULL, NULL FROM batch",
            "default_reflections": "INSERT INTO default_reflections (id, content, tags, metadata, created_at, updated_at, embedding, "
                                   "insight_type) SELECT id, content, [], metadata, ts, ts, embedding, insight_type FROM batch",
            "conversations_v2": "INSERT INTO conversations_v2 (id, content, category, project, timestamp, session_id, metadata, "
                                "source_type) SELECT id, content, 'claude_turn', project, ts, id, metadata, 'claude_code' FROM batch",
            "reflections_v2": "INSERT INTO reflections_v2 (id, content, category, project, timestamp, created_at, metadata, "
                              "insight_type) SELECT id, content, 'context', project, ts, ts, metadata, insight_type FROM batch",
        }[table]
        self.db.execute(sql)
        self.db.unregister("batch")
        rows.clear()

    def session(self, rng, i, lo, hi, when, project) -> None:
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        folder = self.root / "transcripts" / f"-home-dev-projects-{project}"
        folder.mkdir(exist_ok=True)
        target = int(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        common = {"isSidechain": False, "userType": "external", "cwd": f"/home/dev/projects/{project}", "sessionId": sid,
                  "version": "2.1.3", "gitBranch": rng.choice(BRANCHES)}
        lines: list[str] = []
        t = when
        parent = None

        def emit(obj: dict) -> None:
            nonlocal t, parent
            t += timedelta(seconds=rng.uniform(1, 40))
            uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            lines.append(json.dumps({"parentUuid": parent, **common, **obj, "uuid": uid,
                                     "timestamp": t.isoformat(timespec="milliseconds").replace("+00:00", "Z")}, ensure_ascii=False))
            parent = uid

        if rng.random() < 0.3:
            lines.append(json.dumps({"type": "summary", "summary": self.text(rng, 30, 90), "leafUuid": str(uuid.uuid4())}))
        if rng.random() < 0.05:
            lines.append(json.dumps({"type": "file-history-snapshot", "messageId": sid, "snapshot": {"trackedFileBackups": {}}}))
            emit({"type": "system", "subtype": "compact_boundary", "content": "Conversation compacted", "level": "info"})
        kept = 0
        first = True
        while kept < target:
            prompt = (self.ticket(rng) if first else "") + self.text(rng, 40, min(1_200, max(60, target - kept)))
            first = False
            emit({"type": "user", "message": {"role": "user", "content": prompt}})
            kept += len(prompt) + 8
            msg = {"id": f"msg_{rng.getrandbits(64):016x}", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5"}
            if rng.random() < 0.5:
                emit({"type": "assistant", "message": {**msg, "content": [{"type": "thinking", "thinking": self.text(rng, 60, 400),
                                                                           "signature": f"{rng.getrandbits(256):064x}"}]}})
            answer = self.text(rng, 80, min(2_500, max(120, target - kept)))
            emit({"type": "assistant", "message": {**msg, "content": [{"type": "text", "text": answer}]}})
            kept += len(answer) + 13
            for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
                tool = self.tool(rng)
                tid = f"toolu_{rng.getrandbits(64):016x}"
                emit({"type": "assistant", "message": {**msg, "content": [{"type": "tool_use", "id": tid, **tool}]}})
                kept += 40 + len(next(iter(tool["input"].values())))
                emit({"type": "user", "message": {"role": "user", "content": [
                    {"tool_use_id": tid, "type": "tool_result", "content": self.text(rng, 100, 1_500), "is_error": False}]}})
        (folder / f"{sid}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def tool(self, rng: random.Random) -> dict:
        word = re.sub(r"[^a-z]", "", rng.choice(self.pool).split()[0].lower()) or "module"
        path = f"src/{rng.choice(PROJECTS).replace('-', '_')}/{word}.py"
        return rng.choice([
            {"name": "Bash", "input": {"command": rng.choice([f"pytest -x tests/test_{word}.py", "git diff --stat", f"rg -n '{word}' src/",
                                                                "make lint", f"python -m {word} --help"]), "description": "Run command"}},
            {"name": "Read", "input": {"file_path": f"/home/dev/projects/{path}"}},
            {"name": "Edit", "input": {"file_path": f"/home/dev/projects/{path}", "old_string": "x", "new_string": "y"}},
            {"name": "Grep", "input": {"pattern": word, "output_mode": "content", "-n": True}},
        ])

    def close(self) -> None:
        for table in TABLES:
            self.flush(table)
        self.db.execute("CHECKPOINT")
        self.db.close()
        if self.inbox_file:
            self.inbox_file.close()


def generate(root: Path, n: int, seed: int) -> dict:
    """Write n items under root (reused when a previous run left the same corpus there)."""
    stamp = root / "corpus.json"
    if stamp.is_file():
        info = json.loads(stamp.read_text())
        if (info["n"], info["seed"], info["version"]) == (n, seed, GENERATOR_VERSION):
            info["reused"] = True
            return info
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    t0 = time.perf_counter()
    writer = Writer(root, sentence_pool(), seed)
    for i in range(n):
        writer.add(i)
    writer.close()
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    info = {"n": n, "seed": seed, "version": GENERATOR_VERSION, "counts": writer.counts, "noise": writer.noise,
            "bytes": size, "seconds": round(time.perf_counter() - t0, 1), "pool": len(writer.pool)}
    stamp.write_text(json.dumps(info, indent=1))
    info["reused"] = False
    return info


# ---------------------------------------------------------------------------------------------
# stages, each in a child process
# ---------------------------------------------------------------------------------------------


def maxrss() -> tuple[int, int]:
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,  # Linux: KiB
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)


def current_rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def child_stage(stage: str, corpus: Path, work: Path, profile: str) -> dict:
    import dagster as dg

    from sb_pipeline.defs.conversations.assets import conversation_chunks, conversation_embeddings, raw_conversations
    from sb_pipeline.defs.conversations.checks import conversation_ids_unique, embedding_coverage_complete
    from sb_pipeline.defs.resources import ConversationSourcesResource, EmbedderResource, WarehouseResource
    from sb_pipeline.defs.progress import parse_progress

    flow = [raw_conversations, conversation_chunks, conversation_embeddings, conversation_ids_unique, embedding_coverage_complete]
    asset = {"ingest": "raw_conversations", "chunking": "conversation_chunks", "embedding": "conversation_embeddings"}[stage]
    resources = {
        "warehouse": WarehouseResource(database=str(work / "warehouse.duckdb")),
        "conversation_sources": ConversationSourcesResource(
            reflection_db=str(corpus / "reflection.duckdb"), transcripts_dir=str(corpus / "transcripts"),
            inbox_dir=str(corpus / "inbox"), snapshot_dir=str(work / "snapshots")),
        "embedder": EmbedderResource(model_dir=str(REPO / "data" / "models"), profile=profile),
    }
    base = current_rss()
    instance = dg.DagsterInstance.ephemeral()
    t0 = time.perf_counter()
    result = dg.materialize(flow, selection=[asset], resources=resources, instance=instance)
    wall = time.perf_counter() - t0
    progress = []  # (timestamp, texts embedded so far) of each "progress" log line of the asset
    for entry in instance.all_logs(result.run_id):
        line = parse_progress(entry.user_message)
        if line is not None and line.done:
            progress.append((entry.timestamp, line.done))
    (mat,) = result.asset_materializations_for_node(asset)
    meta = {k: v.value for k, v in mat.metadata.items() if not isinstance(v.value, str) or len(v.value) < 200}
    checks = {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data.passed
              for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    step = next(e.event_specific_data.duration_ms / 1000 for e in result.all_events if e.event_type_value == "STEP_SUCCESS")
    rss_self, rss_children = maxrss()
    return {"stage": stage, "success": result.success, "wall": wall, "step": step, "base_rss": base,
            "peak_rss": rss_self, "children_peak_rss": rss_children, "meta": meta, "checks": checks, "progress": progress}


def window_rate(progress: list[tuple[float, int]], end: bool, groups: int = 2) -> float | None:
    """Texts/s over `groups` consecutive embedding groups at the start (from the end of the first group on:
    the first one also pays for the model load) or at the end of the stage; None if there are too few groups."""
    if len(progress) < groups + 1:
        return None
    (t0, a0), (t1, a1) = (progress[-groups - 1], progress[-1]) if end else (progress[0], progress[groups])
    return (a1 - a0) / (t1 - t0) if t1 > t0 else None


def child_peer(work: Path, profile: str, sample: int) -> dict:
    from sb_pipeline.embedding import load_embedder
    from sb_pipeline.warehouse import connect

    with connect(work / "warehouse.duckdb", read_only=True) as conn:
        texts = [r[0] for r in conn.execute(
            "SELECT any_value(text) FROM conversation_chunks GROUP BY text_hash ORDER BY md5(text_hash) LIMIT ?", [sample]).fetchall()]
    emb = load_embedder(model_dir=REPO / "data" / "models", profile=profile)  # the resource's defaults: 2 threads, batch 16
    emb.embed(texts[:32])  # warm-up
    t0 = time.perf_counter()
    emb.embed(texts)
    seconds = time.perf_counter() - t0
    return {"texts": len(texts), "seconds": seconds, "rate": len(texts) / seconds, "peak_rss": maxrss()[0]}


def run_child(args: list[str], log: Path) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    with open(log, "a") as err:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, text=True, cwd=REPO)
    if out.returncode != 0:
        raise SystemExit(f"child {args} failed (exit {out.returncode}); see {log}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------


def mib(n: float) -> str:
    return f"{n / MiB:,.0f} MiB"


def distribution(work: Path) -> list[str]:
    from sb_pipeline.warehouse import connect

    with connect(work / "warehouse.duckdb", read_only=True) as conn:
        rows = conn.execute(
            """SELECT coalesce(source, 'all'), count(*), sum(char_count), min(char_count),
                      quantile_disc(char_count, 0.5), quantile_disc(char_count, 0.9), quantile_disc(char_count, 0.99),
                      max(char_count)
               FROM conversations GROUP BY ROLLUP (source) ORDER BY source NULLS LAST""").fetchall()
        bands = conn.execute(
            """SELECT CASE WHEN char_count < 400 THEN 'a <400' WHEN char_count < 3000 THEN 'b 400..3k'
                           WHEN char_count < 30000 THEN 'c 3k..30k' ELSE 'd >=30k' END, count(*)
               FROM conversations GROUP BY 1 ORDER BY 1""").fetchall()
    total = sum(n for _, n in bands)
    out = [f"  {'source':<14}{'rows':>9}{'chars':>14}{'min':>7}{'p50':>8}{'p90':>8}{'p99':>8}{'max':>8}"]
    for src, n, chars, lo, p50, p90, p99, hi in rows:
        out.append(f"  {src:<14}{n:>9,}{chars:>14,}{lo:>7,}{p50:>8,}{p90:>8,}{p99:>8,}{hi:>8,}")
    out.append("  stored rows by length: " + ", ".join(f"{b[2:]} {n:,} ({100 * n / total:.1f} %)" for b, n in bands))
    return out


def distinct_texts(work: Path) -> int:
    from sb_pipeline.warehouse import connect

    with connect(work / "warehouse.duckdb", read_only=True) as conn:
        return conn.execute("SELECT count(DISTINCT text_hash) FROM conversation_chunks").fetchall()[0][0]


def print_stage(r: dict, unit: str, count: int) -> None:
    rate = count / r["wall"] if r["wall"] else 0.0
    flag = "ok" if r["peak_rss"] <= RSS_LIMIT else "OVER 2 GiB"
    print(f"  {r['stage']:<10} wall {r['wall']:8.1f} s (step {r['step']:.1f} s)  {count:>9,} {unit:<13} {rate:9.1f}/s  "
          f"peak RSS {mib(r['peak_rss'])} ({flag}; base {mib(r['base_rss'])}, step children {mib(r['children_peak_rss'])})")


def run_corpus(label: str, n: int, args, stages: list[str]) -> dict:
    corpus = args.workdir / f"corpus-{n}"
    work = args.workdir / f"run-{n}-{args.model_profile}"
    info = generate(corpus, n, args.seed)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    log = work / "stages.log"
    counts = {s: sum(c.values()) for s, c in info["counts"].items()}
    print(f"\n[{label}] {n:,} generated items in {corpus} ({info['bytes'] / MiB:,.0f} MiB on disk, "
          f"{'reused' if info['reused'] else 'written in %s s' % info['seconds']}): "
          + ", ".join(f"{s} {c:,}" for s, c in counts.items()) + f"; noise {info['noise']}")
    print("  generated by class: " + "; ".join(f"{s}: " + ", ".join(f"{k} {v:,}" for k, v in sorted(c.items())) for s, c in info["counts"].items()))
    results = {}
    for stage in stages:
        if stage == "embedding":
            results["peer_before"] = run_child(["--child-peer", str(work), args.model_profile, str(args.peer_sample)], log)
        r = results[stage] = run_child(["--child", stage, str(corpus), str(work), args.model_profile], log)
        if not r["success"]:
            raise SystemExit(f"{stage} failed; see {log}")
        m = r["meta"]
        if stage == "ingest":
            print_stage(r, "conversations", m["read"])
            print(f"             new {m['new']:,}, skipped duplicates {m['skipped_duplicates']:,}, rejected {m['rejected']:,} "
                  f"{m['rejected_by_reason']}, checks {r['checks']}")
            print("\n".join(distribution(work)))
        elif stage == "chunking":
            print_stage(r, "chunks", m["chunks_written"])
            results["distinct_texts"] = distinct_texts(work)
            print(f"             {m['conversations_chunked']:,} conversations chunked, "
                  f"{m['chunks_written'] / max(m['conversations_chunked'], 1):.2f} chunks each, "
                  f"{results['distinct_texts']:,} distinct texts to embed")
        else:
            results["peer_after"] = run_child(["--child-peer", str(work), args.model_profile, str(args.peer_sample)], log)
            print_stage(r, "texts", m["embedded"])
            pipeline = m["embedded"] / r["wall"]
            peers = [results["peer_before"]["rate"], results["peer_after"]["rate"]]
            bare = sum(peers) / 2
            print(f"             asset's own texts/s {m['texts_per_second']}, model {m['model_id']}, coverage "
                  f"{m['chunk_coverage_pct']} %, checks {r['checks']}")
            print(f"  peer: bare embedder on {results['peer_before']['texts']:,} of the same texts: "
                  f"{peers[0]:.1f} texts/s just before, {peers[1]:.1f} just after (mean {bare:.1f}); "
                  f"pipeline/bare = {pipeline / bare:.2f}x over the whole stage")
            first, last = window_rate(r["progress"], end=False), window_rate(r["progress"], end=True)
            if first and last:  # the shared cores drift over a long stage: compare each end with the peer run next to it
                print(f"        pipeline's first groups {first:.1f} texts/s vs bare just before: {first / peers[0]:.2f}x; "
                      f"last groups {last:.1f} texts/s vs bare just after: {last / peers[1]:.2f}x")
    return results


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        stage, corpus, work, profile = sys.argv[2:6]
        print(json.dumps(child_stage(stage, Path(corpus), Path(work), profile), default=str))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--child-peer":
        work, profile, sample = sys.argv[2:5]
        print(json.dumps(child_peer(Path(work), profile, int(sample))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000, help="generated items (ingest and chunking)")
    parser.add_argument("--embed-conversations", type=int, default=None,
                        help="items for the embedding stage (default: all; 0: no embedding)")
    parser.add_argument("--model-profile", default="fp32", choices=["fp32", "int8"])
    parser.add_argument("--peer-sample", type=int, default=2048, help="chunk texts the bare embedder is timed on")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None, help="where the corpus and warehouse go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (a corpus there is reused by the next run)")
    args = parser.parse_args()
    temp = args.workdir is None
    args.workdir = Path(tempfile.mkdtemp(prefix="sb-ingest-scale-")) if temp else args.workdir.resolve()
    m = args.conversations if args.embed_conversations is None else args.embed_conversations
    t0 = time.perf_counter()
    print(f"ingest_scale: {args.conversations:,} conversations, embedding on {m:,}, profile {args.model_profile}, "
          f"{os.cpu_count()} cores, work dir {args.workdir}")
    try:
        if m == 0:
            run_corpus("ingest + chunking", args.conversations, args, ["ingest", "chunking"])
        elif m >= args.conversations:
            run_corpus("full flow", args.conversations, args, ["ingest", "chunking", "embedding"])
        else:
            big = run_corpus("ingest + chunking", args.conversations, args, ["ingest", "chunking"])
            small = run_corpus("embedding", m, args, ["ingest", "chunking", "embedding"])
            rate = small["embedding"]["meta"]["embedded"] / small["embedding"]["wall"]
            seconds = big["distinct_texts"] / rate
            print(f"\nprojected embedding of all {args.conversations:,} conversations' {big['distinct_texts']:,} distinct texts "
                  f"at the {rate:.1f} texts/s measured on {m:,}: {seconds / 3600:.1f} h")
    finally:
        if temp and not args.keep:
            shutil.rmtree(args.workdir, ignore_errors=True)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s; peak RSS limit {mib(RSS_LIMIT)}")


if __name__ == "__main__":
    main()
