"""Run config changes what the assets keep and decide: IngestConfig (raw_conversations), DiscoveryConfig
(discovered_relationships) and ConnectivityConfig (graph_connectivity), each against a run with the defaults.

Assets and resources come from the loaded definitions (`defs_runner`); each configured run works on its own
copy of a warehouse built once for the module, and its effect is read back from the tables.
"""

from __future__ import annotations

import collections
import json
import shutil
from pathlib import Path

import pytest

from sb_pipeline_tests.conftest import SAMPLES, warehouse_rows as rows
from sb_pipeline_tests.defs_runner import check_results, materialize, metadata, sample_graph, sb_env

MANIFEST = json.loads((SAMPLES / "MANIFEST.json").read_text())


def ingest(folder: Path, **config) -> dict:
    """raw_conversations alone into a fresh warehouse under `folder`, with `config` as its run config."""
    with sb_env(folder) as env:
        result = materialize(["raw_conversations"], run_config={"ops": {"raw_conversations": {"config": config}}} if config else None)
    warehouse = Path(env["SB_WAREHOUSE"])
    kept = {r[0]: dict(zip(("source", "source_ref", "natural_key", "char_count", "content_hash", "content"), r[1:]))
            for r in rows(warehouse, "SELECT conversation_id, source, source_ref, natural_key, char_count, content_hash, content FROM conversations")}
    rejected = collections.defaultdict(set)
    for reason, ref in rows(warehouse, "SELECT reason, source_ref FROM rejected_records"):
        rejected[reason].add(ref)
    check = check_results(result)["rejected_share_below_threshold"]
    return {"kept": kept, "rejected": dict(rejected), "meta": metadata(result, "raw_conversations"), "check": check}


@pytest.fixture(scope="module")
def default_ingest(tmp_path_factory) -> dict:
    return ingest(tmp_path_factory.mktemp("ingest_default"))


# --- IngestConfig ------------------------------------------------------------------------------------

def test_defaults_keep_50_to_50000_characters(default_ingest):
    counts = MANIFEST["counts"]
    assert len(default_ingest["kept"]) == sum(c["kept"] for c in counts.values()) == 80
    assert len(default_ingest["rejected"]["too_short"]) == sum(c["rejected"].get("too_short", 0) for c in counts.values()) == 2
    assert "too_long" not in default_ingest["rejected"]
    assert all(50 <= c["char_count"] <= 50_000 for c in default_ingest["kept"].values())
    assert 300 > min(c["char_count"] for c in default_ingest["kept"].values())  # so min_chars=300 below has work to do


def test_min_chars_rejects_shorter_conversations_as_too_short(default_ingest, tmp_path):
    got = ingest(tmp_path, min_chars=300)
    base = default_ingest["kept"]
    short = {cid for cid, c in base.items() if c["char_count"] < 300}
    assert len(short) == 11
    assert set(got["kept"]) == set(base) - short
    assert all(c["char_count"] >= 300 for c in got["kept"].values())
    assert got["rejected"]["too_short"] == default_ingest["rejected"]["too_short"] | {base[cid]["source_ref"] for cid in short}
    assert {r: refs for r, refs in got["rejected"].items() if r != "too_short"} == {
        r: refs for r, refs in default_ingest["rejected"].items() if r != "too_short"}
    assert got["meta"]["rejected_by_reason"]["too_short"] == 2 + 11 and got["meta"]["new"] == 80 - 11
    assert got["check"].metadata["rejected_share"].value == pytest.approx(22 / 93)


def test_max_chars_rejects_long_items_and_splits_long_sessions(default_ingest, tmp_path):
    got = ingest(tmp_path, max_chars=2000)
    base = default_ingest["kept"]
    long_items = {cid for cid, c in base.items() if c["char_count"] > 2000 and c["source"] != "transcript"}
    long_sessions = {cid for cid, c in base.items() if c["char_count"] > 2000 and c["source"] == "transcript"}
    assert len(long_items) == 10 and len(long_sessions) >= 5
    # reflection-DB and inbox items over the maximum are rejected as too_long (with the two exact copies of
    # long items that a default run collapses as duplicates: they are rejected before they could be)
    assert got["rejected"]["too_long"] >= {base[cid]["source_ref"] for cid in long_items}
    assert len(got["rejected"]["too_long"]) == len(long_items) + default_ingest["meta"]["skipped_duplicates"] == 12
    assert got["meta"]["skipped_duplicates"] == 0
    assert not set(got["kept"]) & long_items
    # everything at most 2000 characters is kept as it was
    unchanged = {cid for cid, c in base.items() if c["char_count"] <= 2000}
    assert {cid: got["kept"][cid]["content_hash"] for cid in unchanged} == {cid: base[cid]["content_hash"] for cid in unchanged}
    # a Claude Code session over the maximum is split into parts at turn boundaries: nothing lost
    part_count = 0
    for cid in long_sessions:
        session = base[cid]["natural_key"]
        parts = sorted((c for c in got["kept"].values() if c["source"] == "transcript" and c["natural_key"].split("#")[0] == session),
                       key=lambda c: int(c["natural_key"].partition("#part")[2] or 1))
        assert len(parts) >= 2 and parts[0]["natural_key"] == session
        assert [p["natural_key"] for p in parts[1:]] == [f"{session}#part{i}" for i in range(2, len(parts) + 1)]
        assert all(p["char_count"] <= 2000 for p in parts)
        assert cid in got["kept"], "the first part keeps the session's conversation id"
        # parts meet at turn boundaries ("\n\n"), a single giant turn is cut mid-text: the same characters either way
        assert "".join("".join(p["content"] for p in parts).split()) == "".join(base[cid]["content"].split())
        part_count += len(parts)
    assert got["meta"]["new"] == len(got["kept"]) == len(unchanged) + part_count


def test_rejected_share_warn_decides_the_check(default_ingest, tmp_path):
    # the samples plant 11 bad inputs in 93: above the default 10 %
    check = default_ingest["check"]
    assert check.check_name == "rejected_share_below_threshold" and check.severity.value == "WARN"
    assert not check.passed
    assert check.metadata["rejected_share"].value == pytest.approx(11 / 93)
    assert check.metadata["threshold"].value == 0.10
    relaxed = ingest(tmp_path / "relaxed", rejected_share_warn=0.12)
    assert relaxed["check"].passed and relaxed["check"].metadata["threshold"].value == 0.12
    assert relaxed["check"].metadata["rejected_share"].value == pytest.approx(11 / 93)
    assert set(relaxed["kept"]) == set(default_ingest["kept"])  # the threshold judges, it does not filter
    strict = ingest(tmp_path / "strict", rejected_share_warn=0.118)
    assert not strict["check"].passed  # 0.1183 > 0.118


# --- DiscoveryConfig and ConnectivityConfig -----------------------------------------------------------

@pytest.fixture(scope="module")
def embedded_graph(tmp_path_factory) -> Path:
    """The samples' entities and their vectors (built once per session); discovery runs on copies."""
    return sample_graph(tmp_path_factory, "embedded")


def discover(start: Path, folder: Path, discovery: dict | None = None, connectivity: dict | None = None,
             keys=("discovered_relationships", "graph_connectivity")) -> dict:
    """`keys` with the given configs, on a copy of the warehouse `start` in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(start, folder / "warehouse.duckdb")
    ops = {}
    if discovery is not None:
        ops["discovered_relationships"] = {"config": discovery}
    if connectivity is not None:
        ops["graph_connectivity"] = {"config": connectivity}
    with sb_env(folder) as env:
        result = materialize(keys, run_config={"ops": ops} if ops else None)
    columns = ("source_entity_id", "target_entity_id", "rule", "source_rank_in_target", "target_rank_in_source", "evidence", "threshold",
               "similarity", "p_related", "confidence")
    warehouse = Path(env["SB_WAREHOUSE"])
    edges = []
    for table, published in (("discovered_relationships", True), ("relationship_candidates", False)):
        for r in rows(warehouse, f"SELECT {', '.join(columns)} FROM {table}"):
            edges.append({**dict(zip(columns, r)), "published": published})
    for e in edges:
        e["evidence"] = json.loads(e["evidence"])
    published = [e for e in edges if e["published"]]
    return {"edges": published, "all": edges, "result": result, "checks": check_results(result), "warehouse": warehouse}


@pytest.fixture(scope="module")
def default_discovery(embedded_graph, tmp_path_factory) -> dict:
    return discover(embedded_graph, tmp_path_factory.mktemp("kg_default"))


def by_rule(edges: list[dict]) -> collections.Counter:
    return collections.Counter("observation" if e["rule"].startswith("observation:") else e["rule"] for e in edges)


def proposals(edges: list[dict], m: int) -> collections.Counter:
    """How many similarity-admitted candidates each entity proposed (the other end among its own m nearest)."""
    count = collections.Counter()
    for e in edges:
        if "similarity" in e["evidence"]["admitted_by"]:
            if e["target_rank_in_source"] and e["target_rank_in_source"] <= m:
                count[e["source_entity_id"]] += 1
            if e["source_rank_in_target"] and e["source_rank_in_target"] <= m:
                count[e["target_entity_id"]] += 1
    return count


def test_default_discovery_publishes_what_clears_the_cut_and_keeps_the_rest(default_discovery):
    edges, everything = default_discovery["edges"], default_discovery["all"]
    assert all(e["p_related"] >= 0.5 for e in edges) and all(e["p_related"] < 0.5 for e in everything if not e["published"])
    assert 250 <= len(edges) <= 320 and len(everything) > 1000  # measured 282 published of 1,305 candidates
    assert by_rule(edges)["observation"] >= 200
    assert len({e["threshold"] for e in everything}) > 1, "the null model's threshold per type pair is recorded"
    # the cap of 5: every similarity-admitted candidate is among the 5 nearest of one end, and one needs rank 5
    ranks = [min(r for r in (e["target_rank_in_source"], e["source_rank_in_target"]) if r) for e in everything
             if "similarity" in e["evidence"]["admitted_by"]]
    assert max(ranks) == 5 and max(proposals(everything, 5).values()) <= 5
    meta = metadata(default_discovery["result"], "discovered_relationships")
    assert meta["published"] == len(edges) and meta["candidates_below_cut"] == len(everything) - len(edges)
    assert meta["edges_high_confidence"] + meta["edges_medium_confidence"] == len(edges) and meta["edges_low_confidence"] == 0
    assert meta["edges_with_mention_evidence"] == sum("mention" in e["evidence"]["kinds"] for e in edges)


def test_publish_cut_moves_edges_between_the_two_tables(embedded_graph, default_discovery, tmp_path):
    strict = discover(embedded_graph, tmp_path, discovery={"publish_cut": 0.8}, keys=("discovered_relationships",))
    assert all(e["p_related"] >= 0.8 for e in strict["edges"]) and len(strict["edges"]) < len(default_discovery["edges"])
    key = lambda e: (e["source_entity_id"], e["target_entity_id"])  # noqa: E731
    assert {key(e): e["p_related"] for e in strict["all"]} == {key(e): e["p_related"] for e in default_discovery["all"]}, \
        "the cut decides what is published, never what is found"


def test_max_per_entity_caps_the_candidates_each_entity_proposes(embedded_graph, default_discovery, tmp_path):
    got = discover(embedded_graph, tmp_path, discovery={"max_per_entity": 1}, keys=("discovered_relationships",))
    everything = got["all"]
    similar = [e for e in everything if "similarity" in e["evidence"]["admitted_by"]]
    assert all(1 in (e["target_rank_in_source"], e["source_rank_in_target"]) for e in similar)
    assert max(proposals(everything, 1).values()) == 1
    # ...while pairs an observation names are candidates whatever the cap
    stated = lambda edges: {(e["source_entity_id"], e["target_entity_id"]) for e in edges if e["rule"].startswith("observation:")}  # noqa: E731
    assert stated(everything) == stated(default_discovery["all"])
    assert len(everything) < len(default_discovery["all"])
    pairs = {frozenset((e["source_entity_id"], e["target_entity_id"])) for e in everything}
    default_pairs = {frozenset((e["source_entity_id"], e["target_entity_id"])) for e in default_discovery["all"]}
    assert pairs <= default_pairs, "a smaller cap only removes candidates"
    assert metadata(got["result"], "discovered_relationships")["dagster/row_count"] == len(got["edges"])


@pytest.fixture(scope="module")
def fixed_discovery(embedded_graph, tmp_path_factory) -> dict:
    """Session Buddy's rule: a fixed cosine threshold of 0.75 (then the connectivity with the default config)."""
    return discover(embedded_graph, tmp_path_factory.mktemp("kg_fixed"), discovery={"fixed_threshold": 0.75})


def test_fixed_threshold_075_is_session_buddys_rule(fixed_discovery, default_discovery):
    got = fixed_discovery
    edges = got["edges"]
    assert {e["threshold"] for e in got["all"]} == {0.75}
    # published: an observation states it, or it is among the 5 nearest with cosine >= 0.75; p_related is still there
    for e in got["all"]:
        stated = e["rule"].startswith("observation:")
        similar = "similarity" in e["evidence"]["admitted_by"] and e["similarity"] >= 0.75
        assert e["published"] == (stated or similar), e
    assert by_rule(edges)["observation"] == len(edges) - 1  # one pair of the samples reaches 0.75
    p = {(e["source_entity_id"], e["target_entity_id"]): e["p_related"] for e in default_discovery["all"]}
    assert all(p[(e["source_entity_id"], e["target_entity_id"])] == e["p_related"] for e in got["all"])
    meta = metadata(got["result"], "discovered_relationships")
    assert meta["threshold"] == {"method": "fixed", "threshold": 0.75}


def test_isolated_share_warn_decides_the_connectivity_check(default_discovery, fixed_discovery, tmp_path):
    connectivity_only = ("graph_connectivity",)
    default = default_discovery["checks"]["isolated_share_below_threshold"]
    share = default.metadata["isolated_share"].value
    # published edges only: 85 of 310 entities (0.274) have none that clears p_related >= 0.5
    assert default.passed and default.metadata["threshold"].value == 0.5 and 0.2 < share < 0.35
    strict = discover(default_discovery["warehouse"], tmp_path / "strict", connectivity={"isolated_share_warn": share / 2},
                      keys=connectivity_only)
    check = strict["checks"]["isolated_share_below_threshold"]
    assert not check.passed and check.severity.value == "WARN"
    assert check.metadata["isolated_share"].value == share and check.metadata["threshold"].value == share / 2

    # Session Buddy's fixed 0.75 (with the stated observations) publishes 230 edges and leaves 98 entities alone:
    # below the default 0.5, so the check passes; a stricter 0.3 warns
    isolated = fixed_discovery["checks"]["isolated_share_below_threshold"]
    assert isolated.passed and isolated.metadata["isolated_share"].value == 0.316
    (row,) = rows(fixed_discovery["warehouse"], "SELECT isolated_entities, entities, isolated_share FROM graph_metrics")
    assert row == (98, 310, 0.316)
    stricter = discover(fixed_discovery["warehouse"], tmp_path / "stricter", connectivity={"isolated_share_warn": 0.3}, keys=connectivity_only)
    assert not stricter["checks"]["isolated_share_below_threshold"].passed
    assert stricter["checks"]["isolated_share_below_threshold"].metadata["isolated_share"].value == 0.316
