"""`sb-pipeline mcp` driven by the MCP SDK's own stdio client, as Claude Code drives it.

The samples go through the whole pipeline once (`sb-pipeline run`, into a temp folder); then each test starts
the server as a subprocess and calls its tools over stdio: the manifest's search probes come back first, the
graph figures are `sb-pipeline graph --json`'s, the two planted alerts are there; a stored conversation is
found by the same server after a pipeline run; a missing and a busy warehouse give the documented errors.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from sb_pipeline_tests.conftest import REPO, SAMPLES, duckdb_held_open

BIN = Path(sys.executable).parent
MANIFEST = json.loads((SAMPLES / "MANIFEST.json").read_text())
TOOLS = {"search_conversations", "get_conversation", "get_conversation_statistics", "analyze_graph_connectivity",
         "related_entities", "quality_alerts", "source_status", "store_conversation", "store_conversation_checkpoint",
         "conversation_topics"}

pytestmark = pytest.mark.slow


def environment(root: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SB_", "DAGSTER_"))}
    env.update(SB_DATA_DIR=str(root / "data"), SB_WAREHOUSE=str(root / "warehouse.duckdb"), SB_CACHE_DIR=str(root / "cache"),
               SB_MODEL_DIR=str(REPO / "data" / "models"), DAGSTER_HOME=str(root / "home"), SB_INBOX_DIR=str(root / "inbox"))
    return env


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The samples run through the whole pipeline, plus an inbox the server may write to (a copy of the samples')."""
    root = tmp_path_factory.mktemp("mcp")
    (root / "inbox").mkdir()
    for path in (SAMPLES / "inbox").glob("*.jsonl"):
        (root / "inbox" / path.name).write_bytes(path.read_bytes())
    env = environment(root)
    done = subprocess.run([str(BIN / "sb-pipeline"), "run"], cwd=root, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return root, env


def session(env: dict, scenario):
    """Run `scenario(client)` against a fresh `sb-pipeline mcp` subprocess."""
    async def main():
        params = StdioServerParameters(command=str(BIN / "sb-pipeline"), args=["mcp"], env=env, cwd=str(REPO))
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as client:
                await client.initialize()
                return await scenario(client)

    return asyncio.run(main())


async def call(client, tool: str, **arguments) -> tuple[bool, dict]:
    result = await client.call_tool(tool, arguments)
    return result.is_error, json.loads(result.content[0].text)


def test_the_tools_and_their_schemas(built):
    _, env = built

    async def scenario(client):
        return (await client.list_tools()).tools

    tools = {t.name: t for t in session(env, scenario)}
    assert set(tools) == TOOLS
    search = tools["search_conversations"].input_schema
    assert search["required"] == ["query"]
    assert set(search["properties"]) == {"query", "project", "kind", "limit", "min_score", "mode"}
    assert search["properties"]["limit"]["default"] == 5
    assert "hybrid" in json.dumps(search["properties"]["mode"])
    assert all(len(t.description) > 40 for t in tools.values())  # written for a model to choose well


def test_every_tool_answers_on_the_samples(built):
    root, env = built

    async def scenario(client):
        out = {"probes": [await call(client, "search_conversations", query=p["query"], limit=3) for p in MANIFEST["probes"]]}
        first = out["probes"][0][1]["results"][0]
        out["whole"] = await call(client, "get_conversation", conversation_id=first["conversation_id"])
        out["around"] = await call(client, "get_conversation", conversation_id=first["conversation_id"], around_chunk=first["chunk"],
                                   max_chars=600)
        for tool in ("get_conversation_statistics", "analyze_graph_connectivity", "quality_alerts", "source_status"):
            out[tool] = await call(client, tool)
        out["related"] = await call(client, "related_entities", name="ACME-API")
        return out

    got = session(env, scenario)
    for probe, (error, answer) in zip(MANIFEST["probes"], got["probes"]):
        assert not error and answer["mode"] == "hybrid"
        assert answer["results"][0]["source_ref"].startswith(probe["expected_ref"].split("#")[0]), probe["query"]
        assert set(answer["results"][0]) == {"conversation_id", "project", "date", "kind", "score", "chunk", "snippet", "source_ref"}
        assert len(json.dumps(answer)) < 2500  # a few hundred tokens
    error, whole = got["whole"]
    assert not error and whole["char_count"] > 8000 and whole["truncated"]  # the long celery conversation, its start
    error, around = got["around"]
    assert not error and len(around["text"]) == 600 and around["start_char"] > 0
    assert "visibility_timeout" in around["text"]  # the late fact sits in the chunk the search found
    error, stats = got["get_conversation_statistics"]
    assert not error and stats["total_conversations"] == 80 and stats["embedding_coverage"] == 100.0
    graph = json.loads(subprocess.run([str(BIN / "sb-pipeline"), "graph", "--json"], env=env, capture_output=True, text=True).stdout)
    assert got["analyze_graph_connectivity"] == (False, graph)
    error, alerts = got["quality_alerts"]
    assert not error and alerts["active"] == 2
    assert {(a["project"], a["metric"]) for a in alerts["alerts"]} == {("crackerjack", "code_coverage"), ("session-buddy", "lint_score")}
    error, status = got["source_status"]
    assert not error and status["healthy"] is True
    error, related = got["related"]
    assert not error and related["entity"]["name"] == "acme-api" and related["total"] >= 1
    assert all(r["why"] for r in related["relationships"])  # the evidence in words, as sb-pipeline related prints it
    assert any(isinstance(r["evidence"], dict) and "p_related" in r for r in related["relationships"])


def test_a_stored_conversation_is_found_after_a_run_by_the_same_server(built):
    root, env = built
    secret = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"

    async def scenario(client):
        stored = await call(client, "store_conversation", project="acme-api", title="Flaky websocket test",
                            content=f"The test_ws_reconnect test flaked because the fake clock never advanced; token {secret} "
                                    "was in the log. Fixed by freezegun's tick=True.")
        short = await call(client, "store_conversation", content="too short")
        checkpoint = await call(client, "store_conversation_checkpoint", summary="Finished the reconnect work; " * 4,
                                project="acme-api", quality_score=87)
        before = await call(client, "search_conversations", query="freezegun tick flaky websocket test", mode="lexical")
        run = subprocess.run([str(BIN / "sb-pipeline"), "run"], cwd=root, env=env, capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, run.stdout[-2000:]
        after = await call(client, "search_conversations", query="freezegun tick flaky websocket test", mode="lexical")
        return stored, short, checkpoint, before, after

    stored, short, checkpoint, before, after = session(env, scenario)
    assert stored[0] is False and stored[1]["secrets_redacted"] == 1
    lines = [json.loads(line) for f in (root / "inbox").glob("mcp-*.jsonl") for line in f.read_text().splitlines()]
    assert len(lines) == 2 and secret not in json.dumps(lines)
    assert lines[0]["content"].startswith("# Flaky websocket test") and "[REDACTED:github_token]" in lines[0]["content"]
    assert lines[1]["content"].startswith("# Conversation Context: CHECKPOINT") and "Quality Score: 87/100" in lines[1]["content"]
    assert short[0] is True and short[1]["error"] == "invalid_input"
    assert checkpoint[0] is False
    assert all(r["source_ref"].split(":")[0] != "mcp" for r in before[1]["results"][:1])
    assert after[1]["results"][0]["project"] == "acme-api" and after[1]["results"][0]["source_ref"].startswith("mcp-")


def test_a_missing_and_a_busy_warehouse_are_structured_errors(built, tmp_path):
    root, env = built

    async def scenario(client):
        return await call(client, "search_conversations", query="anything"), await call(client, "get_conversation_statistics")

    missing = session({**env, "SB_WAREHOUSE": str(tmp_path / "absent.duckdb")}, scenario)
    assert all(error and answer["error"] == "warehouse_missing" for error, answer in missing)
    assert not (tmp_path / "absent.duckdb").exists()
    with duckdb_held_open(root / "warehouse.duckdb"):
        started = time.monotonic()
        busy = session(env, scenario)
        took = time.monotonic() - started
    assert all(error and answer["error"] == "warehouse_busy" and answer["retry_after_seconds"] > 0 for error, answer in busy)
    assert took < 30  # waits briefly, never hangs

    async def unknown(client):
        return (await call(client, "search_conversations", query="x", project="no-such-project"),
                await call(client, "related_entities", name="no-such-entity"),
                await call(client, "get_conversation", conversation_id="0" * 32),
                await call(client, "search_conversations", query="x", limit=500))

    project, entity, conversation, limit = session(env, unknown)
    assert project[1]["error"] == "unknown_project" and "acme-api" in project[1]["known_projects"]
    assert entity[1]["error"] == "unknown_entity" and conversation[1]["error"] == "unknown_conversation"
    assert limit[1]["error"] == "invalid_input"


def test_conversation_topics_answers_like_the_cli(built):
    root, env = built

    async def scenario(client):
        return (await call(client, "conversation_topics", weeks=16), await call(client, "conversation_topics", project="acme-api"),
                await call(client, "conversation_topics", project="no-such-project"))

    (error, overall), (p_error, project), (u_error, unknown) = session(env, scenario)
    assert not error and overall["weeks"] == 16 and overall["topics"] and overall["conversations"] > 0
    top = overall["topics"][0]
    assert {"topic_id", "label", "top_terms", "conversations", "share", "trend", "examples"} <= set(top) and top["label"]
    assert sum(overall["session_types"].values()) == overall["conversations"]
    cli = json.loads(subprocess.run([str(BIN / "sb-pipeline"), "topics", "--weeks", "16", "--json", "--as-of", overall["as_of"]],
                                    env=env, capture_output=True, text=True).stdout)
    assert cli["topics"] == overall["topics"] and cli["session_types"] == overall["session_types"]
    assert not p_error and project["project"] == "acme-api" and project["conversations"] <= overall["conversations"]
    assert u_error and unknown["error"] == "unknown_project" and "acme-api" in unknown["known_projects"]
