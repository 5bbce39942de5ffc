"""Rebuild the committed sample data under data/samples/ from scratch.

    .venv/bin/python scripts/make_samples.py

Writes reflection.duckdb (Session Buddy's database, V1 + E1 + E3 schema eras in one file),
transcripts/<project-slug>/<session-uuid>.jsonl (Claude Code), inbox/*.jsonl (the drop format),
MANIFEST.json (ground truth for tests) and README.md. Everything is derived from fixed seeds
and fixed timestamps, so the JSONL files, MANIFEST.json and README.md are byte-identical on
every run; only the DuckDB file's bytes may differ. The texts live in scripts/sample_corpus/.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import re
import shutil
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample_corpus import fake_secrets  # noqa: E402
from sample_corpus import inbox as inbox_corpus  # noqa: E402
from sample_corpus import reflection as refl  # noqa: E402
from sample_corpus import transcripts as tr  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
REFERENCE_DATE = "2026-11-20"
MIN_CHARS, MAX_CHARS = 50, 50_000
CC_VERSION = "2.1.3"
MODEL = "claude-sonnet-4-5"
SUBAGENT_MODEL = "claude-haiku-4-5"
SB64_PREFIX = "__SB64__"
DB_BLOCK_SIZE = 16384

SECRET_KINDS = {
    "ANTHROPIC_KEY": "anthropic_api_key",
    "AWS_KEY_ID": "aws_access_key_id",
    "AWS_KEY_ID_2": "aws_access_key_id",
    "GITHUB_TOKEN": "github_pat",
    "GITHUB_TOKEN_2": "github_pat",
    "POSTGRES_URL": "postgres_url_with_password",
    "OPENAI_EXPORT_LINE": "openai_export_line",
    "OPENAI_EXPORT_LINE_2": "openai_export_line",
    "OPENAI_KEY": "openai_api_key",
    "OPENAI_KEY_2": "openai_api_key",
}
# The part of each secret that must not survive redaction.
SECRET_SENSITIVE = {
    "POSTGRES_URL": fake_secrets.POSTGRES_PASSWORD,
    "OPENAI_EXPORT_LINE": fake_secrets.OPENAI_KEY,
    "OPENAI_EXPORT_LINE_2": fake_secrets.OPENAI_KEY_2,
}


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def fill(text: str) -> str:
    """Replace @@NAME@@ placeholders with the fake secrets."""
    for name in SECRET_KINDS:
        text = text.replace(f"@@{name}@@", getattr(fake_secrets, name))
    left = re.search(r"@@[A-Z0-9_]+@@", text)
    assert left is None, left.group(0)
    return text


def secret_entries(names: list[str] | None, text: str) -> list[dict]:
    out = []
    for name in names or []:
        value = getattr(fake_secrets, name)
        assert value in text, (name, text[:80])
        entry = {"kind": SECRET_KINDS[name], "value": value, "must_not_survive": SECRET_SENSITIVE.get(name, value)}
        if name == "POSTGRES_URL":
            entry["password"] = fake_secrets.POSTGRES_PASSWORD
        out.append(entry)
    return out


def sb64(text: str) -> str:
    return SB64_PREFIX + base64.b64encode(text.encode("utf-8", errors="surrogatepass")).decode("ascii")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def preview(text: str, n: int = 90) -> str:
    text = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return " ".join(text.split())[:n]


def naive(ts: str) -> datetime:
    return datetime.strptime(ts, "%Y-%m-%d %H:%M:%S")


def unit_vector(rng: random.Random, dim: int = 384) -> list[float]:
    v = [rng.gauss(0.0, 1.0) for _ in range(dim)]
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid(ts: datetime, rng: random.Random) -> str:
    ms = int(ts.replace(tzinfo=timezone.utc).timestamp() * 1000)
    value = (ms << 80) | rng.getrandbits(80)
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def b62(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(B62) for _ in range(n))


def kind_check(text: str) -> str | None:
    """The expected fate by length alone (None = long enough)."""
    stripped = text.strip()
    if not stripped:
        return "rejected:empty_content"
    if len(stripped) < MIN_CHARS:
        return "rejected:too_short"
    if len(stripped) > MAX_CHARS:
        return "rejected:too_long"
    return None


# ---------------------------------------------------------------------------------------------
# reflection.duckdb
# ---------------------------------------------------------------------------------------------

DDL = """
CREATE TABLE conversations (id VARCHAR PRIMARY KEY, content TEXT NOT NULL, embedding FLOAT[384], project VARCHAR,
    timestamp TIMESTAMP, metadata JSON);
CREATE TABLE reflections (id VARCHAR PRIMARY KEY, content TEXT NOT NULL, embedding FLOAT[384], project VARCHAR,
    tags VARCHAR[], timestamp TIMESTAMP, metadata JSON);
CREATE TABLE reflection_tags (reflection_id VARCHAR, tag VARCHAR, PRIMARY KEY (reflection_id, tag));
CREATE TABLE access_log_v2 (reflection_id VARCHAR PRIMARY KEY, access_timestamp TIMESTAMP, access_count INTEGER DEFAULT 0);
CREATE TABLE default_conversations (id VARCHAR PRIMARY KEY, content TEXT NOT NULL, metadata JSON,
    created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, embedding FLOAT[384], fingerprint BLOB, subcategory TEXT);
CREATE TABLE default_reflections (id VARCHAR PRIMARY KEY, conversation_id VARCHAR, content TEXT NOT NULL, tags VARCHAR[],
    metadata JSON, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, embedding FLOAT[384],
    insight_type VARCHAR DEFAULT 'general', usage_count INTEGER DEFAULT 0, last_used_at TIMESTAMP,
    confidence_score REAL DEFAULT 0.5, fingerprint BLOB, subcategory TEXT);
CREATE TABLE conversations_v2 (id TEXT PRIMARY KEY, content TEXT NOT NULL, embedding FLOAT[384], category TEXT NOT NULL,
    subcategory TEXT, importance_score REAL DEFAULT 0.5, memory_tier TEXT DEFAULT 'long_term', access_count INTEGER DEFAULT 0,
    last_accessed TIMESTAMP, project TEXT, namespace TEXT DEFAULT 'default', timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    session_id TEXT, user_id TEXT DEFAULT 'default', searchable_content TEXT, reasoning TEXT, metadata VARCHAR,
    source_type TEXT, turn_parent_id TEXT, causal_parent_id TEXT, fingerprint BLOB);
CREATE TABLE reflections_v2 (id TEXT PRIMARY KEY, content TEXT NOT NULL, embedding FLOAT[384], category TEXT NOT NULL,
    importance_score REAL DEFAULT 0.5, memory_tier TEXT DEFAULT 'long_term', tags TEXT[], related_entities TEXT[],
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP, project TEXT, namespace TEXT DEFAULT 'default',
    access_count INTEGER DEFAULT 0, last_accessed TIMESTAMP, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP, fingerprint BLOB, subcategory TEXT, metadata JSON, source_session_id TEXT,
    source_artifact_uri TEXT, insight_type TEXT, usage_count INTEGER DEFAULT 0, last_used_at TIMESTAMP, confidence_score REAL);
CREATE TABLE query_cache_l2 (cache_key TEXT PRIMARY KEY, normalized_query TEXT NOT NULL, project TEXT, result_ids TEXT[],
    hit_count INTEGER DEFAULT 1, created_at TIMESTAMP, last_accessed TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    ttl_seconds INTEGER DEFAULT 604800);
CREATE TABLE memory_access_log (id TEXT PRIMARY KEY, memory_id TEXT, access_type TEXT, query_text TEXT, timestamp TIMESTAMP);
"""

CONVERSATION_TABLES = ["conversations", "default_conversations", "conversations_v2"]
REFLECTION_TABLES = ["reflections", "default_reflections", "reflections_v2"]
IGNORED_TABLES = ["reflection_tags", "access_log_v2", "query_cache_l2", "memory_access_log"]


def build_reflection_db(path: Path) -> tuple[list[dict], dict[str, dict]]:
    """Create the database; return manifest items and a map key -> item."""
    rng = random.Random("reflection-db")
    con = duckdb.connect()
    # 16 KiB blocks instead of the default 256 KiB keep the committed file small (DuckDB >= 1.2 reads it).
    con.execute(f"ATTACH '{path}' AS reflection (BLOCK_SIZE {DB_BLOCK_SIZE})")
    con.execute("USE reflection")
    con.execute(DDL)
    items: list[dict] = []
    by_key: dict[str, dict] = {}
    first_by_hash: dict[str, str] = {}

    def record(key, table, rid, era, kind, project, ts, text, stored, secrets=None, **extra):
        fate = kind_check(text)
        h = sha256_text(text)
        dup_of = None
        if fate is None:
            if h in first_by_hash:
                dup_of = first_by_hash[h]
                fate = f"duplicate_of:{dup_of}"
            else:
                first_by_hash[h] = f"{table}:{rid}"
                fate = "kept"
        item = {
            "ref": f"{table}:{rid}",
            "key": key,
            "table": table,
            "id": rid,
            "era": era,
            "kind": kind,
            "project": project,
            "timestamp": ts.replace(" ", "T"),
            "fate": fate,
            "chars": len(text),
            "sha256": h,
            "sb64": stored.startswith(SB64_PREFIX),
            "secrets": secret_entries(secrets, text),
            "preview": preview(text),
        }
        if dup_of:
            item["duplicate_of"] = {"source": "reflection_db", "ref": dup_of}
        item.update(extra)
        items.append(item)
        by_key[key] = item
        return item

    # ---- V1 conversations ------------------------------------------------------------------
    for i, row in enumerate(refl.V1_CONVERSATIONS):
        text = fill(row["text"])
        stored = sb64(text) if row.get("sb64") else text
        rid = hashlib.md5(f"{stored}_{row['ts']}".encode("utf-8")).hexdigest()
        project = row["project"]
        if project is None:
            metadata = None
        elif row.get("checkpoint"):
            metadata = json.dumps({"project": project, "checkpoint_type": "checkpoint", "is_manual": False,
                                   "quality_score": row["quality"], "timestamp": row["ts"].replace(" ", "T")})
        elif i % 3 == 0:
            metadata = None
        else:
            metadata = json.dumps({"project": project, "is_manual": i % 2 == 0, "timestamp": row["ts"].replace(" ", "T")})
        embedding = unit_vector(rng) if i % 3 == 1 else None
        con.execute("INSERT INTO conversations VALUES (?, ?, ?, ?, ?, ?)",
                    [rid, stored, embedding, project, naive(row["ts"]), metadata])
        notes = []
        if row.get("checkpoint"):
            notes.append("Session Buddy checkpoint summary")
        if row.get("sb64"):
            notes.append("stored as __SB64__ + base64; decodes to plain UTF-8 text with emoji")
        if project is None:
            notes.append("project NULL and metadata NULL")
        extra = {"notes": notes} if notes else {}
        if row.get("long"):
            extra["long"] = True
        record(row["key"], "conversations", rid, "v1", "conversation", project, row["ts"], text, stored,
               row.get("secrets"), **extra)

    # ---- V1 reflections --------------------------------------------------------------------
    for i, row in enumerate(refl.V1_REFLECTIONS):
        text = fill(row["text"])
        rid = hashlib.md5(f"{text}_{row['ts']}".encode("utf-8")).hexdigest()
        metadata = json.dumps({"project": row["project"], "tags": row["tags"], "type": "reflection"})
        embedding = unit_vector(rng) if i % 2 == 0 else None
        con.execute("INSERT INTO reflections VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [rid, text, embedding, row["project"], row["tags"], naive(row["ts"]), metadata])
        record(row["key"], "reflections", rid, "v1", "reflection", row["project"], row["ts"], text, text)

    # ---- E1 default_conversations ----------------------------------------------------------
    e1_conv_ids: dict[str, str] = {}
    for i, row in enumerate(refl.E1_CONVERSATIONS):
        text = fill(row["text"])
        stored = sb64(text) if row.get("sb64") else text
        rid = hashlib.sha256(stored.encode("utf-8")).hexdigest()[:16]
        e1_conv_ids[row["key"]] = rid
        metadata = json.dumps({"project": row["project"], "source": "session-buddy", "adapter": "duckdb"})
        created = naive(row["ts"])
        updated = created + timedelta(minutes=rng.randint(0, 90))
        embedding = unit_vector(rng) if i % 3 == 2 else None
        fingerprint = hashlib.blake2b(stored.encode("utf-8"), digest_size=16).digest() if i % 2 == 0 else None
        subcategory = ["debugging", None, "howto", None][i % 4]
        con.execute("INSERT INTO default_conversations VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [rid, stored, metadata, created, updated, embedding, fingerprint, subcategory])
        notes = []
        if row.get("lone_surrogate"):
            notes.append("stored as __SB64__ + base64 of surrogatepass UTF-8; the decoded text contains a lone "
                          "surrogate U+D83D, which a reader must replace (U+FFFD) to get valid UTF-8")
        if row["key"] == "e1_duckdb_lock_copy":
            notes.append("same content as the V1 conversations row (copied by the adapter migration later)")
        extra = {"notes": notes} if notes else {}
        if row.get("lone_surrogate"):
            extra["lone_surrogate"] = True
        record(row["key"], "default_conversations", rid, "e1", "conversation", row["project"], row["ts"], text, stored,
               row.get("secrets"), **extra)

    # ---- E1 default_reflections ------------------------------------------------------------
    for i, row in enumerate(refl.E1_REFLECTIONS):
        text = fill(row["text"])
        rid = uuid4(rng)
        created = naive(row["ts"])
        kind = "insight" if row["insight_type"] else "reflection"
        metadata = json.dumps({"project": row["project"], "source": "reflect_on_past" if kind == "reflection" else "insight_extractor"})
        con.execute(
            "INSERT INTO default_reflections (id, conversation_id, content, tags, metadata, created_at, updated_at, embedding,"
            " insight_type, usage_count, last_used_at, confidence_score, fingerprint, subcategory)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [rid, e1_conv_ids[row["conversation"]], text, row["tags"], metadata, created, created,
             unit_vector(rng) if i == 0 else None, row["insight_type"], i, created + timedelta(days=3) if i % 2 else None,
             row.get("confidence", 0.5), None, None])
        record(row["key"], "default_reflections", rid, "e1", kind, row["project"], row["ts"], text, text,
               insight_type=row["insight_type"])

    # ---- E3 conversations_v2 ---------------------------------------------------------------
    prev_turn: dict[str, str] = {}
    e3_ids: list[str] = []
    for i, row in enumerate(refl.E3_CONVERSATIONS):
        text = fill(row["text"])
        ts = naive(row["ts"])
        rid = ulid(ts, rng)
        e3_ids.append(rid)
        session_id = uuid4(rng) if row["category"] == "claude_turn" else None
        turn_parent = prev_turn.get(row["project"]) if row["category"] == "claude_turn" else None
        if row["category"] == "claude_turn":
            prev_turn[row["project"]] = rid
        metadata = json.dumps({"project": row["project"], "extracted_by": "session-buddy/0.14", "tokens": len(text) // 4})
        tier = "long_term" if row["importance"] >= 0.7 else "working"
        con.execute(
            "INSERT INTO conversations_v2 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [rid, text, unit_vector(rng) if i % 4 == 0 else None, row["category"],
             ["debugging", None, "security", None, "tooling"][i % 5], row["importance"], tier, i % 5,
             ts + timedelta(days=1) if i % 5 else None, row["project"], "default", ts, session_id, "default",
             " ".join(text.lower().split()) if i % 2 == 0 else None,
             "Stored because the session resolved a recurring problem." if row["category"] == "claude_turn" else None,
             metadata, row["source_type"], turn_parent, None,
             hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest() if i % 3 == 0 else None])
        record(row["key"], "conversations_v2", rid, "e3", "conversation", row["project"], row["ts"], text, text,
               row.get("secrets"), category=row["category"])

    # ---- E3 reflections_v2 -----------------------------------------------------------------
    for i, row in enumerate(refl.E3_REFLECTIONS):
        text = fill(row["text"])
        ts = naive(row["ts"])
        rid = ulid(ts, rng)
        kind = "insight" if row["insight_type"] else "reflection"
        con.execute(
            "INSERT INTO reflections_v2 (id, content, embedding, category, importance_score, memory_tier, tags, related_entities,"
            " timestamp, project, namespace, access_count, last_accessed, created_at, updated_at, fingerprint, subcategory,"
            " metadata, source_session_id, source_artifact_uri, insight_type, usage_count, last_used_at, confidence_score)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [rid, text, unit_vector(rng) if i % 2 else None, row["category"], 0.6 + 0.1 * (i % 3), "long_term",
             row["tags"], row["related"], ts, row["project"], "default", i, None, ts, ts, None, None,
             json.dumps({"project": row["project"]}), uuid4(rng), None, row["insight_type"], i,
             None, row["confidence"]])
        record(row["key"], "reflections_v2", rid, "e3", kind, row["project"], row["ts"], text, text,
               insight_type=row["insight_type"])

    # ---- auxiliary tables a reader must ignore ---------------------------------------------
    for query, project, ids, day in [
        ("terraform state lock dynamodb", "infra-live", e3_ids[:1], "2026-11-10 09:00:00"),
        ("oauth refresh invalid_grant", "acme-api", [e3_ids[8]], "2026-11-13 11:30:00"),
    ]:
        created = naive(day)
        con.execute("INSERT INTO query_cache_l2 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [hashlib.sha256(f"{project}|{query}".encode()).hexdigest(), query, project, ids, 3,
                     created, created + timedelta(hours=5), 604800])
    for j, (memory_id, access_type, query, day) in enumerate([
        (e3_ids[0], "search", "terraform lock", "2026-11-10 09:00:00"),
        (e3_ids[1], "retrieve", None, "2026-11-10 09:05:00"),
        (e3_ids[8], "search", "oauth refresh invalid_grant", "2026-11-13 11:30:00"),
        (e3_ids[7], "retrieve", None, "2026-11-14 08:12:00"),
    ]):
        con.execute("INSERT INTO memory_access_log VALUES (?, ?, ?, ?, ?)",
                    [ulid(naive(day), rng), memory_id, access_type, query, naive(day)])

    con.execute("CHECKPOINT reflection")
    con.execute("USE memory")
    con.execute("DETACH reflection")
    con.close()
    return items, by_key


# ---------------------------------------------------------------------------------------------
# transcripts
# ---------------------------------------------------------------------------------------------


def cc_ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def json_line(obj: dict) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_escape_bytes(raw: bytes) -> bytes:
    """Escape bytes for a JSON string body while keeping invalid UTF-8 bytes raw."""
    out = bytearray()
    for b in raw:
        if b == 0x22:
            out += b'\\"'
        elif b == 0x5C:
            out += b"\\\\"
        elif b == 0x0A:
            out += b"\\n"
        elif b < 0x20:
            out += b"\\u%04x" % b
        else:
            out.append(b)
    return bytes(out)


INVALID_PLACEHOLDER = "@@INVALID_UTF8_BYTES@@"


class SessionWriter:
    """Expand one session's steps into Claude Code JSONL lines."""

    def __init__(self, spec: dict, session_id: str, rng: random.Random, parent: str | None = None,
                 clock: datetime | None = None):
        self.spec = spec
        self.sid = session_id
        self.rng = rng
        self.cwd = f"/home/dev/projects/{spec['project']}"
        self.parent = parent
        self.clock = clock or datetime.strptime(spec["start"], "%Y-%m-%dT%H:%M:%S.%fZ")
        self.lines: list[bytes] = []
        self.user_turns = 0
        self.assistant_turns = 0
        self.text_chars = 0
        self.first_user_text: str | None = None
        self.first_ts: str | None = None
        self.last_ts: str | None = None
        self.invalid_utf8_line: int | None = None  # 0-based index into self.lines

    # -- envelope ----------------------------------------------------------------------------
    def tick(self, lo: float, hi: float) -> str:
        self.clock += timedelta(milliseconds=int(self.rng.uniform(lo, hi) * 1000))
        return cc_ts(self.clock)

    def envelope(self, kind: str, ts: str, uid: str, parent: str | None, sidechain: bool = False) -> dict:
        env = {"parentUuid": parent, "isSidechain": sidechain, "userType": "external", "cwd": self.cwd,
               "sessionId": self.sid, "version": CC_VERSION, "gitBranch": self.spec["branch"]}
        if sidechain:
            env["agentId"] = self.agent_id
        env["type"] = kind
        env["_uuid"] = uid
        env["_ts"] = ts
        return env

    @staticmethod
    def finish(env: dict, **rest) -> dict:
        uid, ts = env.pop("_uuid"), env.pop("_ts")
        env.update({k: v for k, v in rest.items() if k not in ("uuid", "timestamp", "tail")})
        env["uuid"] = uid
        env["timestamp"] = ts
        env.update(rest.get("tail", {}))
        return env

    def emit(self, obj: dict, raw: bytes | None = None) -> None:
        self.lines.append(raw if raw is not None else json_line(obj))
        if obj.get("type") in ("user", "assistant", "system") and not obj.get("isSidechain"):
            self.first_ts = self.first_ts or obj["timestamp"]
            self.last_ts = obj["timestamp"]

    # -- steps ---------------------------------------------------------------------------------
    def run(self, steps: list, sidechain: bool = False) -> None:
        for kind, data in steps:
            getattr(self, f"step_{kind}")(data, sidechain)

    def step_snapshot(self, data, sidechain):
        mid = uuid4(self.rng)
        ts = cc_ts(self.clock)
        self.emit({"type": "file-history-snapshot", "messageId": mid,
                   "snapshot": {"messageId": mid, "trackedFileBackups": {}, "timestamp": ts}, "isSnapshotUpdate": False})

    def step_meta(self, data, sidechain):
        uid = uuid4(self.rng)
        env = self.envelope("user", self.tick(1, 4), uid, self.parent)
        self.emit(self.finish(env, message={"role": "user", "content": data["text"]}, isMeta=True))
        self.parent = uid

    def step_system(self, data, sidechain):
        uid = uuid4(self.rng)
        env = self.envelope("system", self.tick(0.2, 1), uid, self.parent)
        self.emit(self.finish(env, subtype=data["subtype"], content=data["content"], isMeta=False,
                              tail={"level": data["level"]}))
        self.parent = uid

    def step_user(self, data, sidechain):
        text = fill(data["text"])
        uid = uuid4(self.rng)
        env = self.envelope("user", self.tick(15, 180), uid, self.parent, sidechain)
        content = [{"type": "text", "text": text}] if data["blocks"] else text
        self.emit(self.finish(env, message={"role": "user", "content": content}))
        self.parent = uid
        if not sidechain:
            self.user_turns += 1
            self.text_chars += len(text)
            self.first_user_text = self.first_user_text or text

    def step_assistant(self, data, sidechain):
        msg_id = "msg_01" + b62(self.rng, 22)
        req_id = "req_011C" + b62(self.rng, 20)
        usage = {"input_tokens": self.rng.randint(3, 12), "cache_creation_input_tokens": self.rng.randint(200, 4000),
                 "cache_read_input_tokens": self.rng.randint(12000, 60000), "output_tokens": self.rng.randint(80, 1600),
                 "service_tier": "standard"}
        blocks = []
        if data["think"]:
            blocks.append({"type": "thinking", "thinking": data["think"],
                           "signature": base64.b64encode(self.rng.randbytes(96)).decode("ascii")})
        if data["text"]:
            blocks.append({"type": "text", "text": fill(data["text"])})
        tool_ids = []
        for tool in data["tools"]:
            tid = "toolu_01" + b62(self.rng, 22)
            tool_ids.append(tid)
            blocks.append({"type": "tool_use", "id": tid, "name": tool["name"], "input": tool["input"]})
        model = SUBAGENT_MODEL if sidechain else MODEL
        for n, block in enumerate(blocks):
            uid = uuid4(self.rng)
            env = self.envelope("assistant", self.tick(1.5, 9), uid, self.parent, sidechain)
            last = n == len(blocks) - 1
            stop = ("tool_use" if data["tools"] else "end_turn") if last else None
            message = {"id": msg_id, "type": "message", "role": "assistant", "model": model, "content": [block],
                       "stop_reason": stop, "stop_sequence": None, "usage": usage}
            self.emit(self.finish(env, message=message, requestId=req_id))
            self.parent = uid
            if block["type"] == "text" and not sidechain:
                self.assistant_turns += 1
                self.text_chars += len(block["text"])
        for tid, tool in zip(tool_ids, data["tools"]):
            if tool["sidechain"]:
                self.write_sidechain(tool["sidechain"])
            self.write_tool_result(tid, tool, sidechain)

    def write_sidechain(self, steps: list) -> None:
        saved_parent = self.parent
        self.agent_id = b62(self.rng, 8).lower()
        self.parent = None
        self.run(steps, sidechain=True)
        self.parent = saved_parent

    def write_tool_result(self, tid: str, tool: dict, sidechain: bool) -> None:
        output = fill(tool["output"])
        uid = uuid4(self.rng)
        env = self.envelope("user", self.tick(0.5, 6), uid, self.parent, sidechain)
        name, inp = tool["name"], tool["input"]
        if tool["invalid_utf8"] is not None:
            output = INVALID_PLACEHOLDER
        if name == "Bash":
            result = {"stdout": output, "stderr": "", "interrupted": False, "isImage": False}
        elif name == "Read":
            n = output.count("\n") + 1
            result = {"type": "text", "file": {"filePath": inp["file_path"], "content": output, "numLines": n,
                                               "startLine": 1, "totalLines": n}}
        elif name == "Edit":
            result = {"filePath": inp["file_path"], "oldString": inp["old_string"], "newString": inp["new_string"],
                      "originalFile": None, "structuredPatch": [], "userModified": False, "replaceAll": False}
        elif name == "Write":
            result = {"type": "create", "filePath": inp["file_path"], "content": inp["content"], "structuredPatch": []}
        elif name == "Grep":
            result = {"mode": "content", "numFiles": len({line.split(":")[0] for line in output.splitlines()}),
                      "filenames": [], "content": output, "numLines": len(output.splitlines())}
        elif name == "Task":
            result = {"status": "completed", "prompt": inp["prompt"], "content": [{"type": "text", "text": output}],
                      "totalDurationMs": self.rng.randint(8000, 40000), "totalTokens": self.rng.randint(9000, 30000),
                      "totalToolUseCount": 1}
        else:
            result = {"output": output}
        content = "Error: " + output if tool["is_error"] and name != "Bash" else output
        block = {"tool_use_id": tid, "type": "tool_result", "content": content, "is_error": tool["is_error"]}
        obj = self.finish(env, message={"role": "user", "content": [block]}, tail={"toolUseResult": result})
        raw = None
        if tool["invalid_utf8"] is not None:
            raw = json_line(obj).replace(INVALID_PLACEHOLDER.encode(), json_escape_bytes(tool["invalid_utf8"]))
            try:
                raw.decode("utf-8")
                raise AssertionError("planted line must not be valid UTF-8")
            except UnicodeDecodeError:
                pass
            self.invalid_utf8_line = len(self.lines)
        self.emit(obj, raw)
        self.parent = uid

    def truncated_line(self, text: str) -> bytes:
        """An assistant text line cut in the middle, as when Claude Code is killed mid-write."""
        uid = uuid4(self.rng)
        env = self.envelope("assistant", self.tick(1.5, 9), uid, self.parent)
        message = {"id": "msg_01" + b62(self.rng, 22), "type": "message", "role": "assistant", "model": MODEL,
                   "content": [{"type": "text", "text": text}], "stop_reason": None, "stop_sequence": None,
                   "usage": {"input_tokens": 4, "cache_creation_input_tokens": 310, "cache_read_input_tokens": 41877,
                             "output_tokens": 96, "service_tier": "standard"}}
        full = json_line(self.finish(env, message=message, requestId="req_011C" + b62(self.rng, 20)))
        cut = full[: int(len(full) * 0.62)]
        try:
            json.loads(cut)
            raise AssertionError("truncated line must not parse")
        except json.JSONDecodeError:
            pass
        return cut


def build_transcripts(root: Path) -> tuple[list[dict], list[dict]]:
    items: list[dict] = []
    grouping: list[dict] = []
    writers: dict[str, SessionWriter] = {}
    files: dict[str, list[bytes]] = {}
    info: dict[str, dict] = {}

    for spec in tr.SESSIONS:
        rng = random.Random(f"transcript:{spec['key']}")
        session_id = uuid4(rng)
        slug = f"/home/dev/projects/{spec['project']}".replace("/", "-")
        rel = f"{slug}/{session_id}.jsonl"
        header = [json_line({"type": "summary", "summary": s, "leafUuid": uuid4(rng)}) for s in spec["summaries"]]
        copied: list[bytes] = []
        parent = None
        resumed_from = spec.get("resumes")
        if resumed_from:
            base = writers[resumed_from]
            # Claude Code copies the earlier session's conversation (same uuids, same sessionId) into the new file.
            copied = [line for line in base.lines if b'"type":"file-history-snapshot"' not in line]
            last = json.loads(copied[-1])
            parent = last["uuid"]
        w = SessionWriter(spec, session_id, rng, parent=parent)
        w.run(spec["steps"])
        writers[spec["key"]] = w
        body = header + copied + w.lines
        rejects = []
        if w.invalid_utf8_line is not None:
            lineno = len(header) + len(copied) + w.invalid_utf8_line + 1
            rejects.append({"line": lineno, "reason": "invalid_utf8",
                            "note": "tool_result of `tail -c` on a log with raw websocket bytes; rest of the file is kept"})
        data = b"\n".join(body) + b"\n"
        if spec.get("truncated_tail"):
            data += w.truncated_line(spec["truncated_text"])  # no trailing newline
            rejects.append({"line": len(body) + 1, "reason": "malformed_json",
                            "note": "last line cut mid-JSON (process killed); its text is not a turn"})
        files[rel] = [data]
        info[spec["key"]] = {"rel": rel, "session_id": session_id, "lines": len(body) + (1 if spec.get("truncated_tail") else 0),
                             "copied": len(copied), "header": len(header), "rejects": rejects}

    for rel, chunks in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"".join(chunks))

    resumed_by = {spec["resumes"]: spec["key"] for spec in tr.SESSIONS if spec.get("resumes")}
    for spec in tr.SESSIONS:
        w, meta = writers[spec["key"]], info[spec["key"]]
        rel, sid = meta["rel"], meta["session_id"]
        file_list = [rel]
        notes = []
        if spec["key"] in resumed_by:
            other = info[resumed_by[spec["key"]]]
            file_list.append(other["rel"])
            notes.append(f"resumed later: lines {other['header'] + 1}..{other['header'] + other['copied']} of "
                         f"{other['rel']} repeat this session's lines (same uuid and sessionId); count them once")
        if spec.get("resumes"):
            base = info[spec["resumes"]]
            notes.append(f"resumes session {base['session_id']}: lines {meta['header'] + 1}..{meta['header'] + meta['copied']} "
                         f"of this file belong to that session, the rest ({w.user_turns} user / {w.assistant_turns} "
                         f"assistant turns) to this one")
        secrets = []
        for name in spec.get("secrets", []):
            value = getattr(fake_secrets, name)
            secrets.append({"kind": SECRET_KINDS[name], "value": value, "must_not_survive": SECRET_SENSITIVE.get(name, value)})
        item = {
            "ref": f"{rel}#{sid}",
            "key": spec["key"],
            "path": rel,
            "session_id": sid,
            "natural_key": sid,
            "kind": "conversation",
            "project": spec["project"],
            "cwd": f"/home/dev/projects/{spec['project']}",
            "git_branch": spec["branch"],
            "started_at": w.first_ts,
            "ended_at": w.last_ts,
            "fate": "kept",
            "user_text_turns": w.user_turns,
            "assistant_text_turns": w.assistant_turns,
            "text_chars": w.text_chars,
            "files": file_list,
            "secrets": secrets,
            "first_user_text": preview(w.first_user_text or ""),
        }
        if spec.get("long"):
            item["long"] = True
        if notes:
            item["notes"] = notes
        items.append(item)
        grouping.append({"session_id": sid, "files": file_list, "user_text_turns": w.user_turns,
                         "assistant_text_turns": w.assistant_turns})
        for rej in meta["rejects"]:
            items.append({"ref": f"{rel}:{rej['line']}", "key": f"{spec['key']}#line{rej['line']}", "path": rel,
                          "line": rej["line"], "session_id": sid, "kind": None, "project": spec["project"],
                          "fate": f"rejected:{rej['reason']}", "secrets": [], "notes": [rej["note"]]})
    return items, grouping


# ---------------------------------------------------------------------------------------------
# inbox
# ---------------------------------------------------------------------------------------------


def inbox_line(row: dict) -> str:
    obj = {"id": row["id"], "project": row["project"]}
    if row.get("timestamp") is not None:
        obj["timestamp"] = row["timestamp"]
    obj["content"] = fill(row["text"])
    return json.dumps(obj, ensure_ascii=False)


def build_inbox(root: Path, reflection_hashes: dict[str, str]) -> tuple[list[dict], list[dict]]:
    root.mkdir(parents=True, exist_ok=True)
    items: list[dict] = []
    ignored: list[dict] = []
    seen_ids: dict[str, str] = {}
    for filename, rows in (("tools.jsonl", inbox_corpus.TOOLS), ("mixed.jsonl", inbox_corpus.MIXED)):
        lines = []
        for n, row in enumerate(rows, start=1):
            ref = f"{filename}:{n}"
            if "raw" in row:
                lines.append(row["raw"])
            elif "obj" in row:
                lines.append(json.dumps(row["obj"], ensure_ascii=False))
            else:
                lines.append(inbox_line(row))
            if row.get("reason", "") is None:
                ignored.append({"ref": ref, "key": row["key"], "why": "empty line: skipped, neither record nor reject"})
                continue
            item = {"ref": ref, "key": row["key"], "file": filename, "line": n, "kind": "conversation",
                    "project": row.get("project") or (row.get("obj") or {}).get("project"), "secrets": []}
            if "id" in row or "obj" in row:
                item["natural_key"] = row.get("id") or row["obj"].get("id")
            if "reason" in row:
                item["fate"] = f"rejected:{row['reason']}"
                if row["reason"] == "duplicate_id":
                    item["duplicate_id_of"] = seen_ids[row["id"]]
                if row["reason"] == "too_short":
                    item["chars"] = len(row["text"])
                items.append(item)
                continue
            text = fill(row["text"])
            assert kind_check(text) is None, row["key"]
            assert row["id"] not in seen_ids, row["id"]
            seen_ids[row["id"]] = ref
            h = sha256_text(text)
            item.update({"timestamp": row.get("timestamp"), "chars": len(text), "sha256": h,
                         "secrets": secret_entries(row.get("secrets"), text), "preview": preview(text)})
            if h in reflection_hashes:
                item["fate"] = f"duplicate_of:{reflection_hashes[h]}"
                item["duplicate_of"] = {"source": "reflection_db", "ref": reflection_hashes[h]}
            else:
                item["fate"] = "kept"
            if row.get("long"):
                item["long"] = True
            if row.get("timestamp") is None:
                item["notes"] = ["no timestamp field: allowed, started_at is NULL"]
            items.append(item)
        (root / filename).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return items, ignored


# ---------------------------------------------------------------------------------------------
# manifest, readme
# ---------------------------------------------------------------------------------------------

PROBES = [
    ("Why did some customers get the same billing reminder mail two times when the job was queued to run a couple of hours later?",
     "v1_long_celery", "late fact: the visibility_timeout explanation starts far past the first 256 tokens"),
    ("how to add a required column to a very large postgres table without blocking writes for minutes",
     "v1_pg_not_null_migration", None),
    ("browser clients do not come back after the server restarts and some sit connected but receive nothing",
     "t_chat_ws_reconnect", None),
    ("rust compiler refuses to let me delete entries from a map while looping over it",
     "t_logtail_borrow_checker", None),
    ("my react component keeps refetching products in an endless render cycle",
     "e1_react_useeffect_loop", None),
    ("node gateway RAM climbs every hour and there is a warning about too many handlers on the redis client",
     "t_chat_memory_leak", None),
    ("terraform cannot acquire the dynamodb lock after a cancelled github actions job",
     "e3_terraform_state_lock", None),
    ("a social media post cut in the middle of an emoji makes writing parquet crash",
     "e1_sb64_lone_surrogate", "answer is an __SB64__ row whose decoded text has a lone surrogate"),
    ("combine keyword matching and embeddings to search our documentation in two languages",
     "i_tools_docs_search_long", "answer is a long inbox conversation"),
    ("rust project takes 25 seconds to rebuild after a one line change, mostly linking",
     "t_logtail_build_times", None),
]

README = """# Sample data

Committed sample inputs for sb-pipeline. With no configuration the pipeline reads these three
sources. Everything here is generated by `scripts/make_samples.py` (texts in
`scripts/sample_corpus/`); do not edit by hand, change the generator and run

    .venv/bin/python scripts/make_samples.py

The JSONL files, MANIFEST.json and this README are byte-identical on every run; the DuckDB
file's bytes may differ but not its contents. `MANIFEST.json` is the ground truth for tests:
every raw item with a stable `ref`, its expected fate (`kept`, `duplicate_of:<ref>`,
`rejected:<reason>`), kind, project, planted secrets, and search probes.

All texts are invented. Secrets in them are fake values in real formats, planted to test
redaction (e.g. AWS's documented example key id `AKIAIOSFODNN7EXAMPLE`, keys spelled FAKE/EXAMPLE).

## Sources

### `reflection.duckdb` (Session Buddy)

One DuckDB file holding three schema eras side by side, as a real, migrated file does:

| era | tables | notes |
|---|---|---|
| V1 | `conversations`, `reflections` (+ empty `reflection_tags`, `access_log_v2`) | ids = md5(content + "_" + time); project column plus optional metadata JSON; includes Session Buddy checkpoint summaries |
| E1 adapter | `default_conversations`, `default_reflections` | conversation ids = first 16 hex of sha256(content); project only in metadata JSON; reflections with `insight_type` NULL are reflections, non-NULL (`pattern`, `gotcha`, `best_practice`) are insights |
| E3 | `conversations_v2`, `reflections_v2` | ULID ids; categories facts/preferences/skills/rules/context/claude_turn |
| auxiliary | `query_cache_l2`, `memory_access_log` | not conversations; a reader must ignore them |

Timestamps are naive (no zone). `embedding` columns are mostly NULL, some hold random unit
vectors: they stand for an old model and must be ignored. The file is written with 16 KiB
blocks instead of DuckDB's default 256 KiB to keep it small (any DuckDB >= 1.2 opens it); it
is checkpointed, so there is no `.wal`.

### `transcripts/<project-slug>/<session-uuid>.jsonl` (Claude Code)

One folder per project (the cwd with `/` replaced by `-`), one file per session. Lines are
user prompts, assistant messages split over several lines (one content block per line, same
`message.id`: thinking, text, tool_use), tool results as user lines with `toolUseResult`, and
noise: `summary` and `file-history-snapshot` lines, `isMeta` user lines (`/clear`, the
local-command caveat), `system` lines and subagent `isSidechain` lines. A session's text is
its main-chain user texts and assistant text blocks; thinking, tool input/output, meta,
system and sidechain lines are not turns. Lines are grouped by `sessionId`, not by file name.

### `inbox/*.jsonl` (any other tool)

One JSON object per line:

    {"id": "<any string>", "project": "<name>", "timestamp": "<ISO 8601>", "content": "<text>"}

Only `content` is required and must be a string (without an `id`, the content is the
identity); `timestamp` may be missing (started_at NULL) but if present must parse; empty
lines are skipped silently; an id seen earlier with other content is rejected as `duplicate_id`.

## Planted traps

See MANIFEST.json (`traps`) for exact refs.

- reflection.duckdb: two `__SB64__` rows (base64 of surrogatepass UTF-8): one plain text with
  emoji, one whose text contains a lone surrogate U+D83D (must become U+FFFD); one text stored
  in both V1 `conversations` and E1 `default_conversations` (exact duplicate, the earlier V1
  row is kept); one row under 50 characters; one whitespace-only row; one row with project and
  metadata NULL; conversations containing an Anthropic key, an AWS key id, a GitHub token, a
  Postgres URL with password and an `export OPENAI_API_KEY=...` line.
- transcripts: a session resumed into a second file that repeats the first session's lines
  (same uuids, first sessionId); a file whose last line is cut mid-JSON; a line with invalid
  UTF-8 bytes; a GitHub token and an AWS key id in user prompts.
- inbox: a `tools.jsonl` line whose content equals a reflection-DB conversation (cross-source
  duplicate, the reflection-DB copy is kept); in `mixed.jsonl` malformed JSON, a JSON array,
  a missing `content`, a numeric `content`, an unparseable timestamp, an empty line, a too
  short content, a reused id, and a line without timestamp (valid); an OpenAI key.
- length filter: 50..50,000 characters after stripping whitespace; three conversations are
  long (8k-20k characters, several 256-token chunks), and one of them holds a distinctive
  fact only near its end (see `late_fact`).
"""


def count_fates(items: list[dict]) -> dict:
    out = {"items": len(items), "kept": 0, "duplicates": 0, "rejected": {}}
    kinds: dict[str, int] = {}
    for it in items:
        fate = it["fate"]
        if fate == "kept":
            out["kept"] += 1
            kinds[it["kind"]] = kinds.get(it["kind"], 0) + 1
        elif fate.startswith("duplicate_of:"):
            out["duplicates"] += 1
        else:
            reason = fate.split(":", 1)[1]
            out["rejected"][reason] = out["rejected"].get(reason, 0) + 1
    out["kept_by_kind"] = dict(sorted(kinds.items()))
    out["rejected"] = dict(sorted(out["rejected"].items()))
    return out


def main() -> None:
    for name in ("reflection.duckdb", "reflection.duckdb.wal", "MANIFEST.json", "README.md"):
        (SAMPLES / name).unlink(missing_ok=True)
    for name in ("transcripts", "inbox"):
        shutil.rmtree(SAMPLES / name, ignore_errors=True)
    SAMPLES.mkdir(parents=True, exist_ok=True)

    refl_items, refl_by_key = build_reflection_db(SAMPLES / "reflection.duckdb")
    assert not (SAMPLES / "reflection.duckdb.wal").exists()
    refl_hashes = {}
    for it in refl_items:
        if it["fate"] == "kept":
            refl_hashes.setdefault(it["sha256"], it["ref"])
    tr_items, grouping = build_transcripts(SAMPLES / "transcripts")
    inbox_items, inbox_ignored = build_inbox(SAMPLES / "inbox", refl_hashes)

    all_items = {"reflection_db": refl_items, "transcript": tr_items, "inbox": inbox_items}
    by_key = {it["key"]: (src, it) for src, its in all_items.items() for it in its}

    # long conversations and the late fact
    long_items = []
    for src, its in all_items.items():
        for it in its:
            if it.get("long"):
                chars = it.get("chars") or it.get("text_chars")
                assert 8000 <= chars <= 20000, (it["key"], chars)
                long_items.append({"source": src, "ref": it["ref"], "key": it["key"], "chars": chars})
    celery = next(r for r in refl.V1_CONVERSATIONS if r["key"] == "v1_long_celery")
    celery_text = fill(celery["text"])
    marker = "a `visibility_timeout`, one hour by default"
    offset = celery_text.index(marker)
    assert celery_text.find("visibility_timeout") == offset + 3, "the marker must be the first mention"
    late_fact = {
        "source": "reflection_db",
        "ref": refl_by_key["v1_long_celery"]["ref"],
        "fact": "tasks scheduled with countdown=7200 were redelivered to a second worker after the Redis broker's "
                "one-hour visibility_timeout, so invoice reminder emails went out twice",
        "marker": marker,
        "char_offset": offset,
        "approx_token_offset": offset // 4,
        "content_chars": len(celery_text),
    }
    assert late_fact["approx_token_offset"] > 1000

    probes = []
    for query, key, note in PROBES:
        src, it = by_key[key]
        assert it["fate"] == "kept", key
        probe = {"query": query, "expected_source": src, "expected_ref": it["ref"], "expected_key": key}
        if note:
            probe["note"] = note
        probes.append(probe)

    secrets = []
    for src, its in all_items.items():
        for it in its:
            for s in it.get("secrets", []):
                secrets.append({"source": src, "ref": it["ref"], **s})

    traps = {
        "sb64_plain_emoji": refl_by_key["v1_sb64_emoji"]["ref"],
        "sb64_lone_surrogate": refl_by_key["e1_sb64_lone_surrogate"]["ref"],
        "duplicate_across_eras": {"kept": refl_by_key["v1_duckdb_lock"]["ref"],
                                  "duplicate": refl_by_key["e1_duckdb_lock_copy"]["ref"]},
        "duplicate_across_sources": {"kept": {"source": "reflection_db", "ref": refl_by_key["v1_sql_window"]["ref"]},
                                     "duplicate": {"source": "inbox", "ref": by_key["i_tools_sql_window_dup"][1]["ref"]}},
        "too_short": refl_by_key["v1_too_short"]["ref"],
        "whitespace_only": refl_by_key["v1_whitespace_only"]["ref"],
        "project_null": refl_by_key["v1_no_project_hashing"]["ref"],
        "resumed_session": {"original": by_key["t_acme_rate_limit_original"][1]["ref"],
                            "resumed": by_key["t_acme_rate_limit_resumed"][1]["ref"]},
        "truncated_last_line": next(it["ref"] for it in tr_items if it["fate"] == "rejected:malformed_json"),
        "invalid_utf8_line": next(it["ref"] for it in tr_items if it["fate"] == "rejected:invalid_utf8"),
        "inbox_bad_lines": {it["ref"]: it["fate"] for it in inbox_items if it["fate"].startswith("rejected:")},
        "inbox_ignored_lines": [x["ref"] for x in inbox_ignored],
        "inbox_missing_timestamp": by_key["i_mixed_ssh_agent_no_timestamp"][1]["ref"],
    }

    counts = {src: count_fates(its) for src, its in all_items.items()}
    kept_conversations = sum(c["kept_by_kind"].get("conversation", 0) for c in counts.values())
    projects = sorted({it["project"] for its in all_items.values() for it in its
                       if it["fate"] == "kept" and it["project"]})
    manifest = {
        "generated_by": "scripts/make_samples.py",
        "reference_date": REFERENCE_DATE,
        "rules": {
            "refs": "reflection_db: '<table>:<id>'; transcript: '<path under transcripts/>#<sessionId>' for a session, "
                    "'<path>:<line>' for a rejected line; inbox: '<file>:<line>' (1-based). duplicate_of refs are "
                    "unambiguous across sources because the formats differ",
            "length": f"kept content has {MIN_CHARS}..{MAX_CHARS} characters after stripping whitespace; "
                      "whitespace-only content is rejected:empty_content, shorter is rejected:too_short",
            "dedup": "exact content equality (after SB64 decoding) within and across sources; the copy kept is the one "
                     "with the earliest timestamp, which is also first in source order reflection_db, transcript, "
                     "inbox and era order V1, E1, E3",
            "kind": "rows of *conversations* tables are conversations; rows of *reflections* tables are insights when "
                    "insight_type is set (not NULL), reflections otherwise; V1 reflections has no insight_type",
            "ignored_tables": IGNORED_TABLES,
            "transcript_text": "main-chain (isSidechain false) user lines that are not isMeta and carry text (string "
                               "content or text blocks, not tool_result), plus assistant text blocks; thinking, "
                               "tool_use, tool results, summary, file-history-snapshot, system, meta and sidechain "
                               "lines are not turns",
            "transcript_grouping": "group lines by sessionId across all files; a line repeated in another file (same "
                                   "uuid) counts once; one transcript record per sessionId",
            "inbox": "an unparseable timestamp rejects the line (bad_timestamp); a missing timestamp is allowed; empty "
                     "lines are ignored; a reused id is rejected (duplicate_id) and the first line with it is kept",
        },
        "counts": counts,
        "totals": {
            "kept_conversations": kept_conversations,
            "kept_reflections_and_insights": sum(c["kept_by_kind"].get("reflection", 0) + c["kept_by_kind"].get("insight", 0)
                                                 for c in counts.values()),
            "projects": projects,
        },
        "traps": traps,
        "long_conversations": long_items,
        "late_fact": late_fact,
        "probes": probes,
        "secrets": secrets,
        "sources": {
            "reflection_db": {"path": "reflection.duckdb", "conversation_tables": CONVERSATION_TABLES,
                              "reflection_tables": REFLECTION_TABLES, "ignored_tables": IGNORED_TABLES,
                              "items": refl_items},
            "transcript": {"path": "transcripts", "session_grouping": grouping, "items": tr_items},
            "inbox": {"path": "inbox", "files": ["tools.jsonl", "mixed.jsonl"], "ignored_lines": inbox_ignored,
                      "items": inbox_items},
        },
    }
    (SAMPLES / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (SAMPLES / "README.md").write_text(README, encoding="utf-8")

    print(f"wrote {SAMPLES}")
    for src, c in counts.items():
        print(f"  {src}: {c}")
    print(f"  kept conversations: {kept_conversations}; projects: {', '.join(projects)}")
    print(f"  long: {[(x['key'], x['chars']) for x in long_items]}; late fact at char {offset}")
    print(f"  reflection.duckdb: {(SAMPLES / 'reflection.duckdb').stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
