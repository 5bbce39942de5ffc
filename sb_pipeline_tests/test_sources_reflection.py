"""The reflection DB reader over every schema era, from a snapshot, even while the file is locked."""

from __future__ import annotations

import base64
import hashlib
import shutil
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import duckdb
import pytest

from sb_pipeline.sources.reflection_db import decode_sb64, read_reflection_db
from sb_pipeline_tests.conftest import SAMPLES, duckdb_held_open

LONG = "We traced the flaky deploy to a race between the migration job and the web pods. " * 2


def sb64(text: str) -> str:
    return "__SB64__" + base64.b64encode(text.encode("utf-8", errors="surrogatepass")).decode()


def build_multi_era(path):
    c = duckdb.connect(str(path))
    c.execute("CREATE TABLE conversations(id VARCHAR PRIMARY KEY, content TEXT NOT NULL, embedding FLOAT[384], project VARCHAR, timestamp TIMESTAMP, metadata JSON)")
    c.execute("INSERT INTO conversations VALUES ('v1a', ?, NULL, 'alpha', TIMESTAMP '2026-10-01 12:00:00', NULL)", [LONG + " v1a"])
    c.execute("INSERT INTO conversations VALUES ('v1b', ?, NULL, NULL, TIMESTAMP '2026-10-02 08:30:00', '{\"project\": \"beta\"}')", [sb64("Lone surrogate \ud83d here; " + LONG)])
    c.execute("CREATE TABLE reflections(id VARCHAR PRIMARY KEY, content TEXT NOT NULL, embedding FLOAT[384], project VARCHAR, tags VARCHAR[], timestamp TIMESTAMP, metadata JSON)")
    c.execute("INSERT INTO reflections VALUES ('r1', ?, NULL, 'alpha', ['x'], TIMESTAMP '2026-10-03 00:00:00', NULL)", ["Reflection: " + LONG])
    c.execute("CREATE TABLE default_conversations(id VARCHAR PRIMARY KEY, content TEXT NOT NULL, metadata JSON, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, embedding FLOAT[384], fingerprint BLOB, subcategory TEXT)")
    c.execute("INSERT INTO default_conversations VALUES ('d1', ?, '{\"project\": \"gamma\"}', TIMESTAMP '2026-10-04 10:00:00', TIMESTAMP '2026-10-05 10:00:00', NULL, NULL, NULL)", ["E1 adapter row. " + LONG])
    c.execute("CREATE TABLE default_reflections(id VARCHAR PRIMARY KEY, conversation_id VARCHAR, content TEXT NOT NULL, tags VARCHAR[], metadata JSON, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, embedding FLOAT[384], insight_type VARCHAR DEFAULT 'general', usage_count INTEGER DEFAULT 0, last_used_at TIMESTAMP, confidence_score REAL DEFAULT 0.5)")
    c.execute("INSERT INTO default_reflections (id, content, created_at, updated_at, insight_type) VALUES ('dr1', ?, TIMESTAMP '2026-10-06 00:00:00', TIMESTAMP '2026-10-06 00:00:00', NULL)", ["Plain reflection. " + LONG])
    c.execute("INSERT INTO default_reflections (id, content, created_at, updated_at, insight_type) VALUES ('dr2', ?, TIMESTAMP '2026-10-07 00:00:00', TIMESTAMP '2026-10-07 00:00:00', 'gotcha')", ["Insight: " + LONG])
    c.execute("CREATE TABLE conversations_v2(id TEXT PRIMARY KEY, content TEXT NOT NULL, embedding FLOAT[384], category TEXT NOT NULL, project TEXT, timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP, metadata VARCHAR)")
    c.execute("INSERT INTO conversations_v2 VALUES ('01JABCDEFGHJKMNPQRSTVWXYZ0', ?, NULL, 'context', 'delta', TIMESTAMP '2026-10-08 23:59:59', NULL)", ["V2 row. " + LONG])
    c.execute("CREATE TABLE reflections_v2(id TEXT PRIMARY KEY, content TEXT NOT NULL, embedding FLOAT[384], category TEXT NOT NULL, project TEXT, timestamp TIMESTAMP, insight_type TEXT)")
    c.execute("INSERT INTO reflections_v2 VALUES ('rv2', ?, NULL, 'context', 'delta', TIMESTAMP '2026-10-09 00:00:00', NULL)", ["V2 reflection. " + LONG])
    c.execute("CREATE TABLE query_cache_l2(cache_key TEXT PRIMARY KEY, normalized_query TEXT NOT NULL)")
    c.execute("INSERT INTO query_cache_l2 VALUES ('k', 'a query that must not become a conversation')")
    c.execute("CREATE TABLE team_conversations(id VARCHAR PRIMARY KEY, body TEXT)")  # a collection table without content
    c.execute("CHECKPOINT")
    c.close()


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reads_every_era_with_kinds_projects_and_utc(tmp_path):
    db = tmp_path / "reflection.duckdb"
    build_multi_era(db)
    before = sha(db)
    read = read_reflection_db(db, tmp_path / "snap")
    assert sha(db) == before
    assert not list((tmp_path / "snap").iterdir()), "the snapshot copy is removed after the read"
    rows = {r["natural_key"]: r for r in read.records.iter_rows(named=True)}
    assert set(rows) == {"conversations:v1a", "conversations:v1b", "reflections:r1", "default_conversations:d1",
                         "default_reflections:dr1", "default_reflections:dr2", "conversations_v2:01JABCDEFGHJKMNPQRSTVWXYZ0",
                         "reflections_v2:rv2"}
    assert {k: r["kind"] for k, r in rows.items() if r["kind"] != "conversation"} == {
        "reflections:r1": "reflection", "default_reflections:dr1": "reflection",
        "default_reflections:dr2": "insight", "reflections_v2:rv2": "reflection"}
    assert rows["conversations:v1b"]["project"] == "beta"  # from metadata JSON
    assert rows["default_conversations:d1"]["project"] == "gamma"
    assert rows["conversations:v1a"]["started_at"] == datetime(2026, 10, 1, 12, tzinfo=timezone.utc)
    assert rows["default_conversations:d1"]["started_at"] == datetime(2026, 10, 4, 10, tzinfo=timezone.utc)  # created_at, not updated_at
    assert rows["conversations:v1b"]["content"].startswith("Lone surrogate \ufffd here;")
    assert any("team_conversations" in n for n in read.notes)
    assert read.rejects.height == 0


def test_naive_timestamps_follow_the_configured_zone(tmp_path):
    db = tmp_path / "reflection.duckdb"
    build_multi_era(db)
    read = read_reflection_db(db, tmp_path / "snap", ZoneInfo("Europe/Paris"))
    row = read.records.filter(read.records["natural_key"] == "conversations:v1a").row(0, named=True)
    assert row["started_at"] == datetime(2026, 10, 1, 10, tzinfo=timezone.utc)  # 12:00 CEST = 10:00 UTC


def test_canonical_migrated_reflections_treat_general_as_plain(tmp_path):
    db = tmp_path / "reflection.duckdb"
    c = duckdb.connect(str(db))
    c.execute("CREATE TABLE reflections(id TEXT PRIMARY KEY, content TEXT NOT NULL, category TEXT, project TEXT, timestamp TIMESTAMP, insight_type TEXT)")
    c.execute("INSERT INTO reflections VALUES ('a', ?, 'context', 'p', NULL, 'general'), ('b', ?, 'context', 'p', NULL, 'pattern')", [LONG, LONG + "!"])
    c.close()
    kinds = dict(read_reflection_db(db, tmp_path / "snap").records.select("natural_key", "kind").iter_rows())
    assert kinds == {"reflections:a": "reflection", "reflections:b": "insight"}


def test_sb64_round_trip():
    assert decode_sb64(sb64("plain é")) == ("plain é", True)
    assert decode_sb64("not wrapped") == ("not wrapped", False)
    assert decode_sb64(sb64("x\udc80y"))[0] == "x\ufffdy"


def test_missing_and_corrupt_files_are_reported_not_raised(tmp_path):
    missing = read_reflection_db(tmp_path / "nope.duckdb", tmp_path / "snap")
    assert not missing.available and "not found" in missing.notes[0]
    corrupt = tmp_path / "corrupt.duckdb"
    corrupt.write_bytes(b"this is not a duckdb file" * 100)
    bad = read_reflection_db(corrupt, tmp_path / "snap")
    assert not bad.available and "cannot open" in bad.notes[0]
    assert bad.records.height == 0


def test_reads_while_another_process_holds_the_file_read_write(tmp_path):
    """A running Session Buddy holds its DuckDB file open read-write; we read a snapshot anyway."""
    db = tmp_path / "reflection.duckdb"
    build_multi_era(db)
    with duckdb_held_open(db):
        with pytest.raises(duckdb.IOException):
            duckdb.connect(str(db), read_only=True)  # the lock is real
        started = time.monotonic()
        read = read_reflection_db(db, tmp_path / "snap")
        assert time.monotonic() - started < 30
        assert read.available and read.records.height == 8


def test_a_sqlite_file_given_as_the_reflection_db_is_refused_without_fetching_an_extension(tmp_path, monkeypatch):
    """Handed a SQLite file, DuckDB would download its sqlite scanner; extensions are off, so it is just unreadable."""
    monkeypatch.setenv("HOME", str(tmp_path))  # no extension cached under ~/.duckdb can mask the point
    wrong = tmp_path / "reflection.duckdb"
    shutil.copyfile(SAMPLES / "crackerjack_integration.db", wrong)
    read = read_reflection_db(wrong, tmp_path / "snap")
    assert not read.available and "cannot open" in read.notes[0] and "sqlite" in read.notes[0].lower()
    assert not (tmp_path / ".duckdb").exists(), "nothing was installed"
