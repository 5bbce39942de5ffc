"""No secret reaches the warehouse: not the conversations, not the chunks that are embedded, not the
metadata, not the quarantine's excerpts, not the entities, not the Crackerjack runs.

`test_redaction.py` proves the redactor format by format; this file adds the formats it did not
cover (generic `export TOKEN=`, `API_KEY=`, `password: "..."` opening a text, a Redis URL with no
user), then runs the real assets on sources full of secrets and scans every text column of every
table for each secret and for any 12-character piece of it (a secret cut in half by an excerpt or a
truncated tool call is still a leak).

Fake secrets are assembled from pieces so that this file does not look like a leak to scanners.
"""

from __future__ import annotations

import json
import sqlite3

import dagster as dg
import duckdb
import numpy as np
import pytest

from sb_pipeline.records import redact
from sb_pipeline.defs.conversations.assets import conversation_chunks, conversation_embeddings, raw_conversations
from sb_pipeline.defs.knowledge_graph.assets import entity_embeddings, kg_entities
from sb_pipeline.defs.quality.assets import crackerjack_source
from sb_pipeline.defs.resources import (
    ConversationSourcesResource,
    EmbedderResource,
    KnowledgeGraphSourceResource,
    QualityResource,
    WarehouseResource,
)
from sb_pipeline_tests.conftest import REPO, materialization_metadata
from sb_pipeline_tests.hostile_corpus import CJ_DDL

# name -> (text as it appears in a conversation, the secret part that must not survive)
PLANTS: dict[str, tuple[str, str]] = {}


def plant(name: str, text: str, secret: str) -> None:
    assert secret in text
    PLANTS[name] = (text, secret)


OPENAI = "sk-" + "a1B2c3D4e5F6g7H8i9J0" + "T3Blbk" + "FJ" + "k1L2m3N4o5P6q7R8s9T0"
OPENAI_PROJ = "sk-" + "proj-" + "Zq8wX2vB7nM4kL9pR3tY6uI1oE5aS0dF-gH_jK2mN"
ANTHROPIC = "sk-ant-" + "api03-" + "Rt5Yu8Io2Pa4Sd6Fg9Hj1Kl3Zx7Cv0Bn" + "-Qm_Wn4Ee8Rr" + "AA"
GITHUB = "ghp" + "_" + "Q7w2E9r4T1y6U3i8O5p0A2s7D4f9G6h1J3k8"
GITHUB_PAT = "github" + "_pat_" + "11AZQ7W2E0" + "mV3nB6cX9zL2kJ5hG8fD1sA4pO7iU0yT3rE6wQ9xZ2cV5bN8mL1"
AWS_ID = "AKIA" + "Q7W2E9R4T1Y6U3I8"
AWS_SECRET = "Zx9/Cv8+Bn7Mq6Wr5Et4Yu3Io2Pa1Sd0Fg/Hj9Kl8"
SLACK = "xoxb" + "-" + "902834751623-4829301746582-Hy7Gt6Fr5De4Sw3Aq2Zx1Cv0B"
SLACK_USER = "xoxp" + "-" + "113355779911-2244668800224-Pl0Ok9Ij8Uh7Yg6Tf5Rd4Es3"
GOOGLE = "AIza" + "Sy" + "Bd4Fh7Jk0Lz3Xc6Vb9Nm2Qw5Er8Ty1Ui4"  # 39 characters, as Google's are
STRIPE = "sk" + "_live_" + "51Mn8Bv7Cx6Zl5Kj4Hg3Fd2Sa1"
BEARER = "tok" + "_9f8e7d6c5b4a3f2e1d0c9b8a7"
PEM_BODY = ("MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi2Mi4Kq0wTz8P1s4Vx\n"
            "Qk9Lr2Wm5Yt8Ub1Nc4Ze7Xa0Sd3Fg6Hj9Kl2Zx5Cv8Bn1Mq4Wr7Et0Yu3\n"
            "Io6Pa9Sd2Fg5Hj8Kl1Zx4Cv7Bn0Mq3Wr6Et9Yu2Io5Pa8Sd1Fg4Hj7Kl0=")
PEM = "-----BEGIN RSA PRIVATE " + "KEY-----\n" + PEM_BODY + "\n-----END RSA PRIVATE KEY-----"

plant("openai", f"OPENAI_API_KEY={OPENAI}", OPENAI)
plant("openai_proj", f"client = OpenAI(api_key='{OPENAI_PROJ}')", OPENAI_PROJ)
plant("anthropic", f'export ANTHROPIC_API_KEY="{ANTHROPIC}"', ANTHROPIC)
plant("github", f"git remote set-url origin https://{GITHUB}@github.com/acme/api.git", GITHUB)
plant("github_pat", f"gh auth login --with-token <<< {GITHUB_PAT}", GITHUB_PAT)
plant("aws_id", f"aws_access_key_id = {AWS_ID}", AWS_ID)
plant("aws_secret", f"export AWS_SECRET_ACCESS_KEY={AWS_SECRET}", AWS_SECRET)
plant("slack", f"the bot token is {SLACK} for #alerts", SLACK)
plant("slack_user", f"SLACK_USER_TOKEN: {SLACK_USER}", SLACK_USER)
plant("google", f"https://maps.googleapis.com/maps/api/geocode/json?key={GOOGLE}&address=x", GOOGLE)
plant("stripe", f"stripe.api_key = '{STRIPE}'", STRIPE)
plant("bearer", f'curl -H "Authorization: Bearer {BEARER}" https://api.acme.dev/v1/me', BEARER)
plant("pem", PEM, PEM_BODY.split("\n")[1])
plant("url_password", "DATABASE_URL=postgresql://app:Pg-S3cret-9931@db.internal:5432/app", "Pg-S3cret-9931")
plant("redis_password", "REDIS_URL=redis://:Rd-Pw-88x1q@cache:6379/0", "Rd-Pw-88x1q")
plant("env_password", "PASSWORD=Hunter2-Qz77", "Hunter2-Qz77")
plant("env_api_key", "API_KEY=Kq7-Mw3-Zp9-Lx2", "Kq7-Mw3-Zp9-Lx2")
plant("export_token", "export TOKEN=Tk4Yw8Zp1Qx6Rv3", "Tk4Yw8Zp1Qx6Rv3")
plant("yaml_password", 'password: "Leaky-Start-42"', "Leaky-Start-42")

EVERY_SECRET = [secret for _, secret in PLANTS.values()]
WINDOW = 12


def pieces(secret: str) -> set[str]:
    """The secret and every WINDOW-long piece of it: a half-cut secret is still a leak."""
    if len(secret) <= WINDOW:
        return {secret}
    return {secret[i : i + WINDOW] for i in range(len(secret) - WINDOW + 1)}


def leaks(text: str) -> list[str]:
    return [s for s in EVERY_SECRET if any(p in text for p in pieces(s))]


# ---------------------------------------------------------------- formats test_redaction.py lacks

@pytest.mark.parametrize("name", ["export_token", "env_api_key", "yaml_password", "redis_password", "slack_user",
                                  "aws_secret", "google", "github_pat"])
def test_formats_not_covered_elsewhere_are_redacted_at_the_start_of_a_text(name):
    text, secret = PLANTS[name]
    for framed in (text, f"{text}\n", f"see:\n{text}\nthanks"):
        out = redact(framed)
        assert not leaks(out.text), (framed, out.text)
        assert out.count >= 1


def test_every_plant_together_in_one_text():
    text = "\n".join(t for t, _ in PLANTS.values())
    out = redact(text)
    assert not leaks(out.text)
    assert out.count >= len(PLANTS)


# ---------------------------------------------------------------- through the pipeline

def _good(i: int) -> str:
    return f"Conversation {i} about deploying the ingestion job; while debugging we pasted this: "


def build_sources(root):
    inbox, transcripts = root / "inbox", root / "transcripts" / "-home-dev-acme"
    inbox.mkdir(parents=True)
    transcripts.mkdir(parents=True)
    texts = [t for t, _ in PLANTS.values()]
    lines = [json.dumps({"id": f"sec-{name}", "project": "acme", "content": _good(i) + text})
             for i, (name, (text, _)) in enumerate(PLANTS.items())]
    # Rejected lines: their excerpt is cut at 200 characters; a token near the cut must not leak in part.
    lines.append('{"id": "broken", "content": "' + "x" * 150 + " token " + GITHUB + " and " + AWS_SECRET)
    lines.append(json.dumps({"id": "short", "content": "PASSWORD=Hunter2-Qz77"}))  # too short: rejected by prepare
    (inbox / "secrets.jsonl").write_text("\n".join(lines) + "\n")

    def ev(kind, uid, content, **extra):
        return json.dumps({"type": kind, "uuid": uid, "sessionId": "sess-secrets", "timestamp": "2026-10-03T14:00:00Z",
                           "cwd": "/home/dev/acme", "message": {"role": kind, "content": content}, **extra})
    events = [
        json.dumps({"type": "summary", "summary": f"Rotate the leaked key {OPENAI_PROJ}", "leafUuid": "u9"}),
        ev("user", "u1", "Why does auth fail?\n" + "\n".join(texts[:10])),
        ev("assistant", "u2", [
            {"type": "text", "text": "Try these:\n" + "\n".join(texts[10:])},
            # the one-line form of a tool call is cut at 120 characters: a token across the cut
            {"type": "tool_use", "id": "t1", "name": "Bash",
             "input": {"command": "cd /srv/app && " + "echo step && " * 5 + f"git push https://{GITHUB}@github.com/acme/api.git"}},
            {"type": "tool_use", "id": "t2", "name": "Bash", "input": {"command": f"curl -u admin:{GITHUB_PAT} https://x"}},
        ]),
    ]
    (transcripts / "sess-secrets.jsonl").write_text("\n".join(events) + "\n")

    reflection = root / "reflection.duckdb"
    conn = duckdb.connect(str(reflection))
    conn.execute("CREATE TABLE conversations(id VARCHAR PRIMARY KEY, content TEXT NOT NULL, embedding FLOAT[384], "
                 "project VARCHAR, timestamp TIMESTAMP, metadata JSON)")
    conn.execute("INSERT INTO conversations VALUES ('c1', ?, NULL, 'acme', TIMESTAMP '2026-10-01 10:00:00', NULL)",
                 ["We rotated the deploy key and the AWS pair:\n" + PEM + f"\naws_secret_access_key = {AWS_SECRET}\n{PLANTS['yaml_password'][0]}"])
    conn.execute("CREATE TABLE default_reflections(id VARCHAR PRIMARY KEY, content TEXT NOT NULL, created_at TIMESTAMP, "
                 "updated_at TIMESTAMP, insight_type VARCHAR)")
    conn.execute("INSERT INTO default_reflections VALUES ('r1', ?, TIMESTAMP '2026-10-02 10:00:00', NULL, 'gotcha')",
                 [PLANTS["yaml_password"][0] + "\nLesson: never paste the staging password into a chat; use the vault."])
    conn.close()

    kg = root / "knowledge_graph.duckdb"
    conn = duckdb.connect(str(kg))
    conn.execute("CREATE TABLE kg_entities(id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, entity_type VARCHAR NOT NULL, "
                 "observations VARCHAR[], created_at TIMESTAMP, updated_at TIMESTAMP)")
    conn.execute("INSERT INTO kg_entities VALUES ('e1', 'acme-api', 'project', ?, NULL, NULL)", [texts[:8]])
    conn.execute("INSERT INTO kg_entities VALUES ('e2', 'billing', 'service', ?, NULL, NULL)", [texts[8:]])
    conn.close()

    cj = root / "crackerjack_integration.db"
    conn = sqlite3.connect(cj)
    conn.executescript(CJ_DDL)
    conn.execute("INSERT INTO crackerjack_results (id, command, exit_code, execution_time, timestamp, working_directory) "
                 "VALUES ('r1', ?, 0, 1.0, '2026-11-01T10:00:00Z', '/home/dev/acme')",
                 [f"python -m crackerjack --publish patch --token {GITHUB} UV_PUBLISH_PASSWORD=Hunter2-Qz77"])
    conn.execute("INSERT INTO crackerjack_results (id, command, exit_code, execution_time, timestamp, working_directory) "
                 "VALUES (NULL, ?, 0, 1.0, '2026-11-01T10:00:00Z', '/home/dev/acme')", [f"crackerjack --token={STRIPE}"])
    conn.commit()
    conn.close()
    return {"inbox": inbox, "transcripts": root / "transcripts", "reflection": reflection, "kg": kg, "cj": cj}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("secrets")
    src = build_sources(root / "sources")
    snap = str(root / "snap")
    resources = {
        "warehouse": WarehouseResource(database=str(root / "warehouse.duckdb")),
        "conversation_sources": ConversationSourcesResource(reflection_db=str(src["reflection"]), transcripts_dir=str(src["transcripts"]),
                                                            inbox_dir=str(src["inbox"]), snapshot_dir=snap),
        "knowledge_graph_source": KnowledgeGraphSourceResource(path=str(src["kg"]), snapshot_dir=snap),
        "quality": QualityResource(crackerjack_db=str(src["cj"]), snapshot_dir=snap, reports_dir=str(root / "reports"),
                                   as_of="2026-11-20T00:00:00Z"),
        "embedder": EmbedderResource(model_dir=str(REPO / "data" / "models")),
    }
    result = dg.materialize([raw_conversations, conversation_chunks, conversation_embeddings, kg_entities, entity_embeddings,
                             crackerjack_source], resources=resources, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    return {"path": root / "warehouse.duckdb", "result": result}


def all_text(path) -> dict[tuple[str, str], list[str]]:
    """Every value of every text-like column (VARCHAR, JSON, lists of them) of every table, as text."""
    conn = duckdb.connect(str(path), read_only=True)
    try:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'main'").fetchall()
        out = {}
        for table, column, dtype in columns:
            if "VARCHAR" in dtype or "JSON" in dtype or "[]" in dtype or "STRUCT" in dtype or "MAP" in dtype:
                # identifiers from the warehouse's own catalogue, quoted; no value is formatted in
                q = lambda name: '"' + name.replace('"', '""') + '"'  # noqa: E731
                rows = conn.execute(f"SELECT CAST({q(column)} AS VARCHAR) FROM {q(table)}").fetchall()
                out[(table, column)] = [r[0] for r in rows if r[0] is not None]
        return out
    finally:
        conn.close()


def test_no_secret_reaches_any_table(warehouse):
    texts = all_text(warehouse["path"])
    tables = {t for t, _ in texts}
    assert {"conversations", "conversation_chunks", "rejected_records", "kg_entities", "crackerjack_runs"} <= tables
    found = {(t, c): leaks(v) for (t, c), values in texts.items() for v in values if leaks(v)}
    assert found == {}
    joined = "\n".join(v for values in texts.values() for v in values)
    for kind in ("openai_key", "anthropic_key", "github_token", "aws_access_key_id", "aws_secret_key", "slack_token",
                 "google_api_key", "stripe_key", "bearer_token", "private_key", "url_password", "password", "secret"):
        assert f"[REDACTED:{kind}]" in joined, kind


def test_every_source_row_was_stored_redacted_not_dropped(warehouse):
    texts = all_text(warehouse["path"])
    conversations = texts[("conversations", "content")]
    assert len(conversations) == len(PLANTS) + 1 + 2  # inbox lines, the session, the reflection DB's two rows
    assert all("[REDACTED:" in c for c in conversations)
    title = [json.loads(m)["title"] for m in texts[("conversations", "metadata")] if "title" in json.loads(m)]
    assert title == ["Rotate the leaked key [REDACTED:openai_key]"]
    assert any("[tool Bash: cd /srv/app" in c for c in conversations)
    assert {r for r in texts[("rejected_records", "reason")]} == {"malformed_json", "too_short", "missing_id"}
    commands = texts[("crackerjack_runs", "command")]
    assert commands == ["python -m crackerjack --publish patch --token [REDACTED:github_token] UV_PUBLISH_PASSWORD=[REDACTED:password]"]
    raw = materialization_metadata(warehouse["result"], "raw_conversations")
    assert raw["secrets_redacted"] >= len(PLANTS) * 2


def test_vectors_were_made_from_the_redacted_text(warehouse, embedder):
    """The embedded text is the redacted chunk: re-embedding it gives the stored vector."""
    conn = duckdb.connect(str(warehouse["path"]), read_only=True)
    try:
        rows = conn.execute(
            "SELECT k.text, e.embedding FROM conversation_chunks k JOIN conversation_embeddings e USING (text_hash) "
            "WHERE k.text LIKE '%[REDACTED:%' ORDER BY k.chunk_id LIMIT 5").fetchall()
        assert conn.execute("SELECT count(*) FROM conversation_chunks k ANTI JOIN conversation_embeddings e USING (text_hash)"
                            ).fetchall()[0][0] == 0
    finally:
        conn.close()
    assert rows
    fresh = embedder.embed([text for text, _ in rows])
    stored = np.array([vector for _, vector in rows], dtype=np.float32)
    assert np.allclose((fresh * stored).sum(axis=1), 1.0, atol=1e-5)
