"""Hostile input through every reader and through the real Dagster assets.

The corpus (`hostile_corpus.py`) is generated into a temporary folder; each of its inputs says what
must become of it (kept, normalised, rejected with a reason, merged, or skipped as noise). The reader
tests compare the exact multiset of (source_ref, reason) rejections and find every good row; the
Dagster test materializes the conversation, knowledge-graph and Crackerjack source assets on it and
checks the materialization metadata, the `rejected_records` table, the stored rows and that every
source file is byte-identical afterwards.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections import Counter
from datetime import datetime

import dagster as dg
import duckdb
import pytest

from sb_pipeline_tests.oracles import prepare_all
from sb_pipeline.defs.conversations.assets import conversation_chunks, conversation_embeddings, raw_conversations
from sb_pipeline.defs.conversations.checks import conversation_ids_unique, embedding_coverage_complete
from sb_pipeline.defs.knowledge_graph.assets import entity_embeddings, kg_entities
from sb_pipeline.defs.quality.assets import crackerjack_source
from sb_pipeline.defs.resources import (
    ConversationSourcesResource,
    EmbedderResource,
    KnowledgeGraphSourceResource,
    QualityResource,
    WarehouseResource,
)
from sb_pipeline.knowledge_graph.entities import normalise_entities
from sb_pipeline.quality.normalise import normalise
from sb_pipeline.records import SourceRead
from sb_pipeline.sources.crackerjack_db import read_crackerjack
from sb_pipeline.sources.inbox import read_inbox
from sb_pipeline.sources.knowledge_graph_db import read_knowledge_graph
from sb_pipeline.records import records_frame
from sb_pipeline.sources.reflection_db import read_reflection_db
from sb_pipeline.sources.transcripts import read_transcripts
from sb_pipeline.warehouse import knowledge_graph as kg_store
from sb_pipeline_tests.conftest import REPO, materialization_metadata, warehouse_rows
from sb_pipeline_tests.hostile_corpus import (
    KINDS,
    S1,
    SQL_COMMAND,
    SQL_ENTITY,
    SQL_TEXT,
    Corpus,
    build_corpus,
    good_text,
    tag,
)

CONVERSATION_READERS = ("inbox", "transcript", "reflection_db")
READERS = (*CONVERSATION_READERS, "knowledge_graph", "crackerjack")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    return build_corpus(tmp_path_factory.mktemp("hostile") / "sources")


@pytest.fixture(scope="module")
def reads(corpus, tmp_path_factory):
    snap = tmp_path_factory.mktemp("snap")
    return {
        "inbox": read_inbox(corpus.inbox_dir),
        "transcript": read_transcripts(corpus.transcripts_dir),
        "reflection_db": read_reflection_db(corpus.reflection_db, snap),
    }


def reject_counter(frame_or_list) -> Counter:
    rows = frame_or_list.iter_rows(named=True) if hasattr(frame_or_list, "iter_rows") else frame_or_list
    return Counter((r["source_ref"], r["reason"]) for r in rows)


def contents_by_marker(records, markers) -> dict[str, list[dict]]:
    rows = list(records.iter_rows(named=True))
    return {m: [r for r in rows if tag(m) in (r["content"] or "")] for m in markers}


# ---------------------------------------------------------------- the corpus itself

def test_corpus_has_at_least_30_kinds_and_covers_every_reader(corpus):
    used = {c.kind for c in corpus.cases} - {"control"}
    assert used == set(KINDS) - {"control"}, "every documented kind is planted"
    assert len(used) >= 30
    for reader in READERS:
        kinds = {c.kind for c in corpus.of(reader)} - {"control"}
        assert len(kinds) >= 10, (reader, kinds)
        assert corpus.of(reader, "rejected") and corpus.of(reader, "kept", "normalised"), reader
    refs = Counter((c.reader, c.ref) for c in corpus.cases if c.outcome != "noise" and not c.ref.startswith("kg_relationships"))
    # one case per input, except ids that are duplicated on purpose (one kept, one rejected / merged)
    assert all(n == 1 or "dup" in ref or "same" in ref or ref.endswith(":None") for (_, ref), n in refs.items()), refs
    big = [p for p in corpus.source_files() if p.stat().st_size >= 5 * 1024 * 1024]
    assert len(big) >= 2  # the 5 MB lines of the inbox and the transcripts (DuckDB compresses its 5 MB row)


# ---------------------------------------------------------------- conversation readers

def test_inbox_rejects_exactly_the_bad_lines_and_keeps_every_good_one(corpus, reads):
    read = reads["inbox"]
    assert read.available
    assert reject_counter(read.rejects) == corpus.rejects("inbox", "read")
    markers = corpus.markers("inbox")
    found = contents_by_marker(read.records, markers)
    assert {m: len(rows) for m, rows in found.items()} == {m: 1 for m in markers}
    # Every record is a good line or one that `prepare` must reject: no line lost, none invented.
    assert read.records.height == len(corpus.of("inbox", "kept", "normalised")) + len(corpus.rejects("inbox", "prepare"))
    assert sorted(read.records["source_ref"].to_list()) == sorted(
        c.ref for c in corpus.of("inbox", "kept", "normalised") + [c for c in corpus.of("inbox", "rejected") if c.stage == "prepare"])
    by_ref = {r["source_ref"]: r for r in read.records.iter_rows(named=True)}
    for case in corpus.of("inbox", "kept", "normalised"):
        row = by_ref[case.ref]
        if isinstance(case.expect, datetime):
            assert row["started_at"] == case.expect, case
    assert by_ref[next(c.ref for c in corpus.cases if c.marker == "inbox-sql")]["project"] == SQL_TEXT
    assert by_ref[next(c.ref for c in corpus.cases if c.marker == "inbox-path")]["project"] == "../../etc/passwd"
    assert found["inbox-lone"][0]["content"].endswith("cut mid-emoji \ufffd here")


def test_transcripts_reject_bad_lines_alone_and_keep_every_turn(corpus, reads):
    read = reads["transcript"]
    assert reject_counter(read.rejects) == corpus.rejects("transcript", "read")
    rows = {r["natural_key"]: r for r in read.records.iter_rows(named=True)}
    assert set(rows) == set(corpus.sessions)
    for sid, markers in corpus.sessions.items():
        for marker in markers:
            assert rows[sid]["content"].count(tag(marker)) == 1, (sid, marker)  # the resumed copy of u1 counted once
    text = rows[S1]["content"]
    for skipped in ("private reasoning", "tr-tool-result", "sub-agent chatter", "/clear", "compacted", "xxxxxxxx"):
        assert skipped not in text
    for rejected in ("tr-tg1", "tr-tr1", "tr-tr2", "tr-tr3", "tr-tn1"):
        assert tag(rejected) not in text
    assert f"[tool Bash: pytest -x {SQL_TEXT}]" in text
    assert "\ufffd" in text and "\x00" in text  # the reader keeps them; prepare drops the NUL
    assert json.loads(rows[S1]["metadata"])["title"] == "Retry policy of the ingestion job"
    assert rows[SQL_TEXT]["project"] == "passwd" and rows["../../../etc/passwd"]["project"] == "acme-api"


def test_reflection_db_rejects_bad_rows_and_reads_the_rest(corpus, reads):
    read = reads["reflection_db"]
    assert read.available, read.notes
    assert reject_counter(read.rejects) == corpus.rejects("reflection_db", "read")
    markers = corpus.markers("reflection_db")
    found = contents_by_marker(read.records, markers)
    assert {m: len(v) for m, v in found.items()} == {m: 2 if m == "rdb-same" else 1 for m in markers}
    by_ref = {r["source_ref"]: r for r in read.records.iter_rows(named=True)}
    for case in corpus.of("reflection_db", "kept", "normalised"):
        if isinstance(case.expect, datetime):
            assert by_ref[case.ref]["started_at"] == case.expect, case
    assert by_ref[f"conversations:{SQL_TEXT}"]["project"] == SQL_TEXT
    assert by_ref["conversations:../../etc/passwd"]["project"] == "../../etc"
    assert by_ref["conversations:deepmeta"]["project"] is None
    assert found["rdb-sb64"][0]["content"].endswith("\ufffd cut")
    assert not any("evil" in n for n in read.notes)


def test_prepare_rejects_what_only_it_can_judge(corpus, reads):
    records, _ = SourceRead.concat(list(reads.values()))
    prepared = prepare_all(records)
    expected = sum((corpus.rejects(r, "prepare") for r in CONVERSATION_READERS), Counter())
    assert reject_counter(prepared.rejects) == expected
    assert prepared.duplicates == 1  # the reflection row stored twice with the same content
    kept = prepared.conversations
    assert kept["conversation_id"].is_unique().all() and kept["content_hash"].is_unique().all()
    for reader in CONVERSATION_READERS:
        found = contents_by_marker(kept, corpus.markers(reader))
        assert all(len(v) == 1 for v in found.values()), {m for m, v in found.items() if len(v) != 1}
    contents = kept["content"].to_list()
    assert not any("\x00" in c or "\r" in c for c in contents)
    assert any("escapedNUL" in c for c in contents)
    assert all(len(c) <= 50_000 for c in contents)


def test_a_session_id_that_looks_like_a_part_key_is_a_duplicate_id_not_a_loss(tmp_path):
    """A session split into parts gets `<id>#part2`; another session may carry that very id."""
    folder = tmp_path / "p"
    folder.mkdir()
    def ev(uid, sid, text):
        return json.dumps({"type": "user", "uuid": uid, "sessionId": sid, "timestamp": "2026-10-03T14:00:00Z",
                           "message": {"content": text}})
    long_turns = [ev(f"a{i}", "abc", good_text(f"long-{i}") * 3) for i in range(4)]
    (folder / "a.jsonl").write_text("\n".join(long_turns) + "\n")
    (folder / "b.jsonl").write_text(ev("b1", "abc#part2", good_text("impostor")) + "\n")
    read = read_transcripts(tmp_path, max_chars=1_000)
    assert sorted(read.records["natural_key"].to_list()).count("abc#part2") == 2
    prepared = prepare_all(read.records, min_chars=50, max_chars=1_000)
    assert prepared.rejected_by_reason == {"duplicate_id": 1}
    assert prepared.conversations["conversation_id"].is_unique().all()


def test_a_five_megabyte_transcript_turn_is_split_without_loss(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    text = "".join(f"w{i:07d} " for i in range(5 * 1024 * 1024 // 9))
    (folder / "s.jsonl").write_text(json.dumps({"type": "user", "uuid": "u", "sessionId": "big",
                                                "message": {"content": text}}) + "\n")
    read = read_transcripts(tmp_path, max_chars=50_000)
    parts = read.records["content"].to_list()
    assert len(parts) > 100 and all(len(p) <= 50_000 for p in parts)
    assert "".join(parts) == "User: " + text.strip()
    assert read.records["natural_key"].is_unique().all()


# ---------------------------------------------------------------- knowledge graph and Crackerjack

def test_knowledge_graph_entities(corpus, tmp_path):
    read = read_knowledge_graph(corpus.knowledge_graph_db, tmp_path / "snap")
    assert read.available
    entities, relations, rejects = normalise_entities(read.entities, read.relations)
    assert reject_counter(read.rejects + rejects) == corpus.rejects("knowledge_graph")
    by_source = {r["source_id"]: r for r in entities.iter_rows(named=True)}
    assert set(by_source) == set(corpus.markers("knowledge_graph"))
    assert entities["entity_id"].is_unique().all()
    assert by_source["e-acme"]["text"] == "acme-api (project): uses fastapi; deployed with docker"
    assert by_source["e-fastapi"]["entity_type"] == "library"
    assert by_source["e-fastapi"]["observations"] == ["web framework", "ASGI"]  # merged from its case-duplicate
    assert by_source["e-nul"]["text"] == "nulname (tool): an observation with a NULinside"
    assert by_source["e-sql"]["name"] == SQL_ENTITY
    assert by_source["e-dup"]["name"] == "duplicated id first"
    assert relations.height == 3 and set(relations["relation_type"]) == {"uses", "mentions", SQL_TEXT}
    assert any("unparseable created_at" in n for n in read.notes)


def test_crackerjack_rows(corpus, tmp_path):
    read = read_crackerjack(corpus.crackerjack_db, tmp_path / "snap")
    assert read.available, read.notes
    assert read.test_results.height == 1  # a column named with a quote and SQL is still read
    frames = normalise(read)
    assert reject_counter(frames.rejects) == corpus.rejects("crackerjack")
    runs = {r["run_id"]: r for r in frames.runs.iter_rows(named=True)}
    points = set(frames.points["source_ref"])
    kept = corpus.of("crackerjack", "kept", "normalised")
    assert set(runs) == {c.marker for c in kept if c.ref.startswith("crackerjack_results")}
    assert points == {c.ref for c in kept if c.ref.startswith("quality_metrics_history")}
    for case in kept:
        if isinstance(case.expect, datetime):
            assert runs[case.marker]["observed_at"] == case.expect, case
    assert runs["r-path"]["project"] == "passwd"
    assert runs["r-sql"]["command"] == SQL_COMMAND
    assert runs["r-fast"]["execution_time"] is None and runs["r-huge-exit"]["exit_code"] is None
    assert runs["r-dup"]["exit_code"] == 0  # the first of the two rows with that id
    assert frames.counts["foreign_metric_types"] == {"health_adapters": 1, SQL_TEXT: 1}
    assert any("did not match their declared column type" in n for n in frames.notes)


# ---------------------------------------------------------------- the real Dagster assets

def sha256_tree(corpus: Corpus) -> dict[str, str]:
    return {str(p.relative_to(corpus.root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in corpus.source_files()}


@pytest.fixture(scope="module")
def materialized(corpus, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile_run")
    before = sha256_tree(corpus)
    snapshots = str(tmp / "snapshots")
    warehouse = tmp / "warehouse.duckdb"
    resources = {
        "warehouse": WarehouseResource(database=str(warehouse)),
        "conversation_sources": ConversationSourcesResource(
            reflection_db=str(corpus.reflection_db), transcripts_dir=str(corpus.transcripts_dir),
            inbox_dir=str(corpus.inbox_dir), snapshot_dir=snapshots),
        "knowledge_graph_source": KnowledgeGraphSourceResource(path=str(corpus.knowledge_graph_db), snapshot_dir=snapshots),
        "quality": QualityResource(crackerjack_db=str(corpus.crackerjack_db), snapshot_dir=snapshots,
                                   reports_dir=str(tmp / "reports"), as_of="2026-11-20T00:00:00Z"),
        "embedder": EmbedderResource(model_dir=str(REPO / "data" / "models")),
    }
    assets = [raw_conversations, conversation_chunks, conversation_embeddings, conversation_ids_unique,
              embedding_coverage_complete, kg_entities, entity_embeddings, crackerjack_source]
    result = dg.materialize(assets, resources=resources, instance=dg.DagsterInstance.ephemeral())
    return {"result": result, "warehouse": warehouse, "before": before, "after": sha256_tree(corpus)}


def test_the_run_succeeds_and_never_touches_the_sources(materialized):
    assert materialized["result"].success
    assert materialized["after"] == materialized["before"]
    assert len(materialized["before"]) >= 8


def test_materialization_metadata_counts(corpus, materialized):
    result = materialized["result"]
    raw = materialization_metadata(result, "raw_conversations")
    conv_rejects = sum((corpus.rejects(r) for r in CONVERSATION_READERS), Counter())
    assert raw["rejected"] == sum(conv_rejects.values())
    assert raw["rejected_by_reason"] == dict(Counter(reason for (_, reason), n in conv_rejects.items() for _ in range(n)))
    expected_new = len(corpus.of("inbox", "kept", "normalised")) + len(corpus.sessions) + len(corpus.of("reflection_db", "kept", "normalised"))
    assert raw["new"] == expected_new
    assert raw["skipped_duplicates"] == 1
    assert raw["sources_unavailable"] == {}
    assert raw["secrets_redacted"] == 0
    emb = materialization_metadata(result, "conversation_embeddings")
    assert emb["chunk_coverage_pct"] == 100.0 and emb["conversation_coverage_pct"] == 100.0

    kg = materialization_metadata(result, "kg_entities")
    kg_rejects = corpus.rejects("knowledge_graph")
    assert kg["rejected_by_reason"] == dict(Counter(reason for (_, reason), n in kg_rejects.items() for _ in range(n)))
    assert kg["dagster/row_count"] == len(corpus.markers("knowledge_graph")) and kg["source_relationships"] == 3
    assert kg["source_available"] is True

    cj = {m.asset_key.to_user_string(): {k: v.value for k, v in m.metadata.items()}
          for m in result.asset_materializations_for_node("crackerjack_source")}
    cj_rejects = corpus.rejects("crackerjack")
    assert cj["crackerjack_runs"]["rejected"] == sum(cj_rejects.values())
    assert cj["crackerjack_runs"]["source_available"] is True
    by_table = {"run": Counter(), "metric": Counter()}
    for (ref, reason), n in cj_rejects.items():
        by_table["run" if ref.startswith("crackerjack_results") else "metric"][reason] += n
    assert cj["quality_metric_points"]["rejected_by_reason"] == {k: dict(v) for k, v in by_table.items()}
    kept = corpus.of("crackerjack", "kept", "normalised")
    assert cj["crackerjack_runs"]["new"] == sum(c.ref.startswith("crackerjack_results") for c in kept)
    assert cj["quality_metric_points"]["new"] == sum(c.ref.startswith("quality_metrics_history") for c in kept)


def test_rejected_records_hold_every_bad_input_with_its_reason(corpus, materialized):
    rows = warehouse_rows(materialized["warehouse"], "SELECT source, source_ref, reason, excerpt FROM rejected_records")
    got = Counter((s, ref, reason) for s, ref, reason, _ in rows)
    expected = Counter()
    for reader in READERS:
        for (ref, reason), n in corpus.rejects(reader).items():
            expected[(reader, ref, reason)] += n
    assert got == expected
    for *_, text in rows:
        assert len(text) <= 200 and "\x00" not in text
        text.encode("utf-8")  # valid UTF-8: no lone surrogate reached the table


def test_every_good_row_is_stored(corpus, materialized):
    wh = materialized["warehouse"]
    stored = warehouse_rows(wh, "SELECT source, natural_key, project, started_at, content FROM conversations")
    for reader in CONVERSATION_READERS:
        contents = [c for s, _, _, _, c in stored if s == reader]
        for marker in corpus.markers(reader):
            assert sum(tag(marker) in c for c in contents) == 1, (reader, marker)
    assert len(stored) == len({r[4] for r in stored})
    projects = {p for *_, p, _, _ in [(r[0], r[1], r[2], r[3], r[4]) for r in stored]}
    assert {SQL_TEXT, "../../etc/passwd", "../../etc", "passwd"} <= projects
    assert any(k == SQL_TEXT for _, k, *_ in stored)
    assert any("\u202egnirts desrever\u202c" in r[4] for r in stored)
    chunks = warehouse_rows(wh, "SELECT count(DISTINCT conversation_id) FROM conversation_chunks")[0][0]
    assert chunks == len(stored)
    entities = {r[0]: r for r in warehouse_rows(wh, "SELECT source_id, name, entity_type, text FROM kg_entities")}
    assert set(entities) == set(corpus.markers("knowledge_graph"))
    assert entities["e-sql"][1] == SQL_ENTITY
    runs = {r[0]: r for r in warehouse_rows(wh, "SELECT run_id, command, project FROM crackerjack_runs")}
    assert set(runs) == {c.marker for c in corpus.of("crackerjack", "kept", "normalised") if c.ref.startswith("crackerjack_results")}
    assert runs["r-sql"][1] == SQL_COMMAND


def test_sql_looking_names_pass_through_harmlessly(corpus, materialized):
    """`x'); DROP TABLE conversations; --` as an id, project, session id, entity name, command and table
    name: every table is still there, the text is stored verbatim, and lookups by that name work."""
    wh = materialized["warehouse"]
    tables = {r[0] for r in warehouse_rows(wh, "SELECT table_name FROM information_schema.tables")}
    assert {"conversations", "rejected_records", "kg_entities", "crackerjack_runs", "conversation_chunks"} <= tables
    assert warehouse_rows(wh, "SELECT count(*) FROM conversations WHERE project = ?", [SQL_TEXT])[0][0] == 2
    conn = duckdb.connect(str(wh), read_only=True)
    try:
        entity, edges = kg_store.relationships_of(conn, SQL_ENTITY)
    finally:
        conn.close()
    assert entity["name"] == SQL_ENTITY
    # The hostile source tables are untouched too (the sha256 check covers the files; this reads them).
    src = duckdb.connect(str(corpus.reflection_db), read_only=True)
    try:
        names = {r[0] for r in src.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    finally:
        src.close()
    assert "conversations" in names and any(n.startswith('evil"') for n in names)


# ---------------------------------------------------------------- SQL is parameterised

# Every expression formatted into an SQL f-string in sb_pipeline/, reviewed: each is an identifier list
# or constant of our own code (`cols`, `table`, `EMBEDDING_DIM`...), an identifier from a file's catalogue
# quoted with doubled quotes (`quote_identifier(...)`, `_quote(...)`) or restricted by a pattern
# (reflection_db's `table`), or a fixed literal. Values always travel as `?` parameters or registered frames.
REVIEWED_SQL_INTERPOLATIONS = {
    "table", "cols", "columns", "updates", "key", "gone", "select", "q", "_LOW", "_HIGH", "EMBEDDING_DIM", "GENERATION_KEY",
    "', '.join(parts)", "', '.join(wanted)", "', '.join(scalar)", "', '.join('?' * len(scalar))", "', '.join(columns)",
    "_quote(table)", "_quote(name)", "quote_identifier(table)",
}
_SQL_WORDS = re.compile(r"\b(?:SELECT|INSERT|DELETE|UPDATE|CREATE|PRAGMA|DROP|ALTER|FROM|WHERE)\b")


def sql_interpolations(source: str) -> list[tuple[int, str]]:
    """(line, expression) of every value formatted into an f-string that reads like SQL."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.JoinedStr):
            continue
        literal = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        if _SQL_WORDS.search(literal):
            found += [(node.lineno, ast.get_source_segment(source, v.value)) for v in node.values if isinstance(v, ast.FormattedValue)]
    return found


def test_no_sql_string_formats_anything_but_reviewed_identifiers():
    """A static audit: an f-string that reads like SQL may only interpolate the reviewed expressions above.
    A new one fails here until someone checks it carries no source or user text (then adds it)."""
    unreviewed = [f"{path.relative_to(REPO)}:{line}: {{{expr}}}"
                  for path in sorted((REPO / "sb_pipeline").rglob("*.py"))
                  for line, expr in sql_interpolations(path.read_text()) if expr not in REVIEWED_SQL_INTERPOLATIONS]
    assert unreviewed == [], "SQL built by formatting; use ? parameters or review the identifier:\n" + "\n".join(unreviewed)


def test_the_audit_catches_a_formatted_value():
    """The audit can fail: user text formatted into SQL is found, plain strings and parameters are not."""
    planted = (
        'conn.execute(f"SELECT * FROM conversations WHERE project = \'{project}\'")\n'
        'conn.execute("SELECT * FROM conversations WHERE project = ?", [project])\n'
        'print(f"{project} has {n} conversations")\n'
    )
    assert sql_interpolations(planted) == [(1, "project")]
    assert "project" not in REVIEWED_SQL_INTERPOLATIONS
