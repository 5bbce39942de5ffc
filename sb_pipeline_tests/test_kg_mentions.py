"""Co-mention in the user's own conversations, through the real assets: what entity_mentions finds, that it is
incremental (new conversations scan only their chunks, new names only the chunks that can hold them, removed
conversations are forgotten), and that discovery turns it into evidence with the conversations as provenance."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from sb_pipeline_tests.conftest import SAMPLES, warehouse_rows as rows
from sb_pipeline_tests.defs_runner import materialize, metadata, sb_env

CONVERSATIONS = [
    ("c1", "acme-api", "User: after bumping pydantic, acme-api fails at import. Assistant: pin pydantic in acme-api's lock file."),
    ("c2", "acme-api", "User: acme-api and pydantic again: the validators changed. Click rerun when the tests pass."),
    ("c3", "notes", "User: click the button and react quickly, the vault door closes at six."),
    ("c4", "billing", "User: billing-worker retries twilio calls; the billing-worker-v2 branch does not. Twilio limits us."),
]


def write_inbox(folder: Path, items) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": cid, "project": project, "timestamp": "2026-03-0%dT10:00:00Z" % (i + 1), "content": text})
             for i, (cid, project, text) in enumerate(items)]
    (folder / "items.jsonl").write_text("\n".join(lines) + "\n")


def env_for(folder: Path, graph: Path) -> dict:
    (folder / "transcripts").mkdir(parents=True, exist_ok=True)
    return {"SB_INBOX_DIR": str(folder / "inbox"), "SB_TRANSCRIPTS_DIR": str(folder / "transcripts"),
            "SB_REFLECTION_DB": str(folder / "none.duckdb"), "SB_KNOWLEDGE_GRAPH_DB": str(graph)}


def mentions_of(warehouse: Path) -> set[tuple[str, str]]:
    """(conversation natural key, name key) pairs stored."""
    return set(rows(warehouse, "SELECT c.natural_key, m.name_key FROM chunk_name_mentions m JOIN conversations c USING (conversation_id)"))


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mentions")
    write_inbox(folder / "inbox", CONVERSATIONS)
    graph = SAMPLES / "knowledge_graph.duckdb"
    with sb_env(folder, **env_for(folder, graph)) as env:
        first = materialize(["raw_conversations", "conversation_chunks", "kg_entities", "entity_mentions"])
        again = materialize(["entity_mentions"])
    return {"folder": folder, "warehouse": Path(env["SB_WAREHOUSE"]), "first": first, "again": again, "graph": graph}


def test_names_are_found_whole_and_everyday_words_are_found_too(flow):
    found = mentions_of(flow["warehouse"])
    key = lambda cid: {name for c, name in found if c.endswith(cid)}  # noqa: E731
    assert key("c1") == {"acme-api", "pydantic"} and key("c2") == {"acme-api", "pydantic", "click"}
    assert key("c3") == {"click", "react", "vault"}  # everyday words are mentions: their document frequency weighs them down
    assert key("c4") == {"billing-worker", "twilio"}  # `billing-worker-v2` is another name, not `billing-worker`
    counts = dict(rows(flow["warehouse"], "SELECT c.natural_key || '/' || m.name_key, m.mentions FROM chunk_name_mentions m "
                                          "JOIN conversations c USING (conversation_id)"))
    assert counts["c4/twilio"] == 2 and counts["c1/pydantic"] == 2
    meta = metadata(flow["first"], "entity_mentions")
    assert meta["chunks_scanned_now"] == meta["chunks_scanned"] > 0 and meta["conversations_scanned"] == 4
    assert meta["new_names"] == meta["names"] == 310


def test_a_second_run_reads_nothing(flow):
    meta = metadata(flow["again"], "entity_mentions")
    assert (meta["chunks_scanned_now"], meta["chunks_rescanned_for_new_names"], meta["new_names"]) == (0, 0, 0)
    assert meta["mention_rows"] == metadata(flow["first"], "entity_mentions")["mention_rows"]


def test_new_conversations_new_names_and_removals_are_incremental(flow, tmp_path):
    shutil.copytree(flow["folder"], tmp_path / "w", dirs_exist_ok=True)
    folder = tmp_path / "w"
    write_inbox(folder / "inbox", CONVERSATIONS[1:] + [("c5", "acme-api", "User: quokka-cache now fronts acme-api; pydantic unchanged.")])
    graph = tmp_path / "knowledge_graph.duckdb"
    shutil.copyfile(flow["graph"], graph)
    conn = duckdb.connect(str(graph))
    conn.execute("INSERT INTO kg_entities (id, name, entity_type, observations) VALUES ('new-1', 'quokka-cache', 'service', ['a cache'])")
    conn.close()
    with sb_env(folder, **env_for(folder, graph)):
        result = materialize(["raw_conversations", "conversation_chunks", "kg_entities", "entity_mentions"])
    meta = metadata(result, "entity_mentions")
    warehouse = folder / "warehouse.duckdb"
    (new_chunks,) = rows(warehouse, "SELECT count(*) FROM conversation_chunks c JOIN conversations v USING (conversation_id) "
                                    "WHERE v.natural_key LIKE '%c5'")[0]
    assert meta["chunks_scanned_now"] == new_chunks == 1  # only the new conversation's chunk is read
    assert meta["new_names"] == 1 and meta["chunks_rescanned_for_new_names"] == 0  # no old chunk contains "quokka"
    found = mentions_of(warehouse)
    assert {k for c, k in found if c == "c5"} == {"quokka-cache", "acme-api", "pydantic"}
    # c1 left the inbox: if its conversation is gone from the warehouse, so are its chunks and their mentions
    kept = {c for (c,) in rows(warehouse, "SELECT natural_key FROM conversations")}
    assert ("c1" in kept) == any(c == "c1" for c, _ in found)
    # a name new since the scan, found in chunks scanned before: only those chunks are read again
    graph2 = tmp_path / "knowledge_graph2.duckdb"
    shutil.copyfile(graph, graph2)
    conn = duckdb.connect(str(graph2))
    conn.execute("INSERT INTO kg_entities (id, name, entity_type, observations) VALUES ('new-2', 'validators', 'concept', ['checks'])")
    conn.close()
    with sb_env(folder, **env_for(folder, graph2)):
        result = materialize(["kg_entities", "entity_mentions"])
    meta = metadata(result, "entity_mentions")
    assert (meta["new_names"], meta["chunks_scanned_now"], meta["chunks_rescanned_for_new_names"]) == (1, 0, 1)
    assert {c for c, k in mentions_of(warehouse) if k == "validators"} == {"c2"}


def test_co_mentions_become_evidence_with_their_conversations(flow, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(flow["warehouse"], warehouse)
    with sb_env(tmp_path, **env_for(tmp_path, flow["graph"])):
        result = materialize(["entity_embeddings", "discovered_relationships"])
    assert metadata(result, "discovered_relationships")["conversations_with_mentions"] == 4
    found = rows(warehouse, "SELECT source_name, target_name, evidence, p_related FROM discovered_relationships "
                            "UNION ALL SELECT source_name, target_name, evidence, p_related FROM relationship_candidates")
    pair = [json.loads(ev) for a, b, ev, _ in found if {a, b} == {"acme-api", "pydantic"}]
    assert len(pair) == 1 and pair[0]["co_mention"]["conversations"] == 2 and "co-mention" in pair[0]["kinds"]
    ids = set(rows(warehouse, "SELECT conversation_id FROM conversations WHERE natural_key IN ('c1', 'c2')"))
    assert {(c,) for c in pair[0]["co_mention"]["best"]} == ids and pair[0]["co_mention"]["pmi"] > 0
