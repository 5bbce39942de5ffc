"""Conversation analytics (issue 15): session types, topics with stable ids, labels, trends, the dashboard and the CLI.

Unit tests on crafted inputs (fast), then the real assets on the samples through `dagster.materialize` with the
real model and DuckDB (slow).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from sb_pipeline.conversations.session_types import classify, classify_session
from sb_pipeline.conversations.topic_labels import ctfidf, label, npmi, term_counts
from sb_pipeline.conversations.topic_trends import mark_trends, weekly_counts
from sb_pipeline.conversations.topics import (ConversationVectors, Previous, conversation_vectors, full_grouping, join_nearest,
                                              match_topics)
from sb_pipeline_tests.conftest import warehouse_rows

AS_OF = "2026-11-20T00:00:00Z"


def test_session_types_come_from_what_happened_not_the_words_alone():
    debugging = ("User: the export is off for some customers\n\nAssistant: Let me reproduce it.\n[tool Read: app/export.py]\n"
                 "[tool Bash: pytest tests/test_export.py -q]\n[tool Edit: app/export.py]\n[tool Bash: pytest tests/test_export.py -q]")
    assert classify_session(debugging, {"tool_errors": 2, "error_lines": ["E   AssertionError: 10.01 != 10.00"]}).session_type == "debugging"
    refactor = "User: tidy the helpers up\n\nAssistant: ok\n" + "\n".join(f"[tool Edit: src/m{i}.py]" for i in range(8))
    assert classify_session(refactor).session_type == "refactoring"
    review = "User: walk me through the billing code\n\nAssistant: reading\n" + "\n".join(f"[tool Read: app/b{i}.py]" for i in range(6))
    assert classify_session(review).session_type == "review"
    ops = "User: the pods restart\n\nAssistant: checking\n[tool Bash: kubectl get pods -n prod]\n[tool Bash: helm upgrade api deploy/helm]"
    assert classify_session(ops).session_type == "operations"
    feature = "User: customers should get a CSV download\n\nAssistant: ok\n[tool Write: app/csv_export.py]\n[tool Edit: app/routes.py]"
    assert classify_session(feature).session_type == "feature"
    assert classify_session("User: what is the difference between a mutex and a semaphore?\n\nAssistant: A mutex ...").session_type == "question"
    judged = classify_session(debugging, {"tool_errors": 2})
    assert json.loads(judged.evidence())["features"]["tool_errors"] == 2  # why it is what it is, stored beside it
    assert classify("inbox", "conversation", "standup: still on the export bug", None).session_type == "note"
    assert classify("reflection_db", "insight", "always pin the clock in tests", None).session_type == "reflection"


def test_labels_keep_identifiers_whole_and_skip_markup():
    counts = {"a": term_counts(["User: pytest-xdist workers crash with ECONNRESET", "[tool Bash: pytest -n 4] pytest-xdist again"] * 3),
              "b": term_counts(["User: the terraform state lock is stuck", "terraform force-unlock the state lock"] * 3)}
    terms = ctfidf(counts)
    words = [t for t, _ in terms["a"]]
    assert "pytest-xdist" in words and "econnreset" in words and "user" not in words and "bash" not in words
    assert label(words).count("xdist") == 1  # `xdist` is not repeated after `pytest-xdist`
    assert label(["pytest-xdist", "pytest", "xdist", "econnreset"]) == "pytest-xdist / econnreset"
    docs = [{"a", "b"}, {"a", "b"}, {"c"}, {"d"}]
    assert npmi([["a", "b"], ["a", "c"]], docs) == [pytest.approx(1.0), -1.0]


def _clustered(n: int, groups: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((groups, 64))
    x = centres[np.arange(n) % groups] + 0.35 * rng.standard_normal((n, 64))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _previous(grouping) -> Previous:
    topics = grouping.topics.with_columns(label=pl.col("topic_id"), created_at=pl.lit(datetime(2026, 1, 1, tzinfo=timezone.utc)))
    return Previous(topics, grouping.assignments.select("conversation_id", "topic_id"))


def test_topics_keep_their_ids_when_conversations_are_added():
    x = _clustered(630, 6, seed=1)
    first = ConversationVectors([f"c{i:04d}" for i in range(600)], x[:600])
    grouping = full_grouping(first, Previous(pl.DataFrame(), pl.DataFrame()))
    assert grouping.topics.height == 6 and grouping.new_topics == 6
    again = full_grouping(first, Previous(pl.DataFrame(), pl.DataFrame()))
    assert again.assignments.equals(grouping.assignments)  # deterministic: same data, same ids
    more = ConversationVectors([f"c{i:04d}" for i in range(630)], x)  # +5 %
    regrouped = full_grouping(more, _previous(grouping))
    assert regrouped.kept_topics == 6 and regrouped.new_topics == 0
    old = grouping.assignments.join(regrouped.assignments, on="conversation_id", suffix="_new")
    assert (old["topic_id"] == old["topic_id_new"]).mean() >= 0.9
    assert set(regrouped.topics["label"].to_list()) == set(grouping.topics["topic_id"].to_list())  # labels kept with the ids
    joined = join_nearest(more, _previous(grouping))
    assert joined.mode == "incremental" and joined.assignments.height + joined.unplaced == 630
    assert joined.assignments.filter(pl.col("assigned_by") == "nearest").height >= 25


def test_match_topics_is_an_optimal_one_to_one_assignment():
    old = np.eye(3, dtype=np.float32)
    new = np.array([[0.9, 0.436, 0], [0.95, 0.312, 0], [0, 0, 1]], dtype=np.float32)
    # new 1 is the closer of the two to old 0 and takes it; new 0 is left with old 1 at 0.436, below MATCH_MIN: a new topic
    assert match_topics(new, old) == {1: 0, 2: 2}
    assert match_topics(np.array([[0, 1, 0]], np.float32), np.array([[1, 0, 0]], np.float32)) == {}


def test_conversation_vectors_are_length_weighted_across_batches():
    rows = pl.DataFrame({"conversation_id": ["a", "a", "b", "b", "c"], "weight": [3.0, 1.0, 1.0, 1.0, 2.0],
                         "embedding": [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]},
                        schema={"conversation_id": pl.Utf8, "weight": pl.Float32, "embedding": pl.Array(pl.Float32, 2)})
    one = conversation_vectors([rows])
    split = conversation_vectors([rows[:1], rows[1:3], rows[3:]])  # a conversation across batch boundaries
    assert one.ids == split.ids == ["a", "b", "c"]
    np.testing.assert_allclose(one.vectors, split.vectors, atol=1e-6)
    np.testing.assert_allclose(one.vectors[0], np.array([3, 1]) / np.sqrt(10), atol=1e-6)


def test_a_rising_topic_is_marked_by_the_rank_test():
    start = datetime(2026, 9, 28, 10, tzinfo=timezone.utc)
    rows = []
    for week in range(8):
        for i in range(10):
            topic = "rising" if i < week + 1 else "other"
            rows.append((f"{week}-{i}", topic, "acme", start + timedelta(weeks=week, hours=i), 2))
    frame = pl.DataFrame(rows, schema=["conversation_id", "topic_id", "project", "started_at", "chunks"], orient="row")
    marked = mark_trends(weekly_counts(frame), start + timedelta(weeks=7, days=1))
    trend = {(r["topic_id"], r["project"]): r["trend"] for r in marked.iter_rows(named=True)}
    assert trend[("rising", "acme")] == "rising" and trend[("other", "*")] == "fading"
    assert marked.filter(pl.col("project") == "*")["chunks"].sum() == 160


@pytest.mark.slow
def test_the_assets_on_the_samples(tmp_path):
    from sb_pipeline.cli import app
    from sb_pipeline_tests.defs_runner import materialize, metadata, sb_env

    weeks = {"ops": {name: {"config": {"as_of": AS_OF, "weeks": 12}} for name in ("topic_trends", "conversation_report")}}
    analytics = ["session_types", "conversation_topics", "topic_trends", "conversation_report"]
    with sb_env(tmp_path) as env:
        materialize(["raw_conversations", "conversation_chunks", "conversation_embeddings"])
        first = materialize(analytics, run_config=weeks)
        second = materialize(analytics, run_config=weeks)
        result = CliRunner().invoke(app, ["topics", "--as-of", AS_OF, "--weeks", "12", "--json"])
    wh = tmp_path / "warehouse.duckdb"
    topics = metadata(first, "conversation_topics")
    assert topics["mode"] == "full" and topics["topics"] >= 3 and topics["conversations"] == 80 and 0 < topics["largest_share"] < 1
    again = metadata(second, "conversation_topics")
    assert again["mode"] == "incremental" and again["kept_topics"] == topics["topics"] and again["unplaced"] == 0
    assert warehouse_rows(wh, "SELECT count(*), count(DISTINCT topic_id) FROM conversation_topics")[0] == (80, topics["topics"])
    assert warehouse_rows(wh, "SELECT count(*) FROM topic_runs")[0][0] == 2
    assert warehouse_rows(wh, "SELECT sum(size) FROM topics")[0][0] == 80
    types = dict(warehouse_rows(wh, "SELECT session_type, count(*) FROM session_types GROUP BY 1"))
    assert sum(types.values()) == 80 and types["note"] == 17 and types["reflection"] > 0 and types.get("debugging", 0) > 0
    assert metadata(second, "session_types")["classified"] == 0  # nothing new: nothing re-judged
    weekly = warehouse_rows(wh, "SELECT sum(conversations) FROM topic_trends WHERE project = '*'")[0][0]
    assert weekly == warehouse_rows(wh, "SELECT count(*) FROM conversations WHERE started_at IS NOT NULL")[0][0]
    report = metadata(second, "conversation_report")
    page = (tmp_path / "reports" / "conversations-2026-11-20.html").read_text()
    assert report["html"].endswith("conversations-2026-11-20.html") and "<script src" not in page and "Plotly.newPlot" in page
    assert report["largest_topic"] in page and report["topics"] == topics["topics"]
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["conversations"] == report["conversations_in_weeks"] and summary["topics"][0]["label"] == report["largest_topic"]
    assert env["SB_WAREHOUSE"] == str(wh)
