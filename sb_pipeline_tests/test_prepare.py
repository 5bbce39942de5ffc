"""Preparation: secrets go before hashing, filters reject with reasons, copies collapse."""

from datetime import datetime, timezone

import polars as pl

from sb_pipeline.conversations.prepare import conversation_id, sha256_hex
from sb_pipeline_tests.oracles import prepare_all
from sb_pipeline.records import quarantine_frame
from sb_pipeline.records import records_frame, rejects_frame

BODY = "We moved the CI cache key to include the lockfile hash so stale wheels stop leaking into builds."


def rec(source, key, content, ts=None, project="p"):
    return dict(source=source, natural_key=key, source_ref=key, kind="conversation", project=project,
                started_at=ts, content=content, metadata="{}")


def test_filters_redaction_hashes_and_dedup():
    t1, t2 = datetime(2026, 10, 1, tzinfo=timezone.utc), datetime(2026, 10, 2, tzinfo=timezone.utc)
    frame = records_frame([
        rec("inbox", "a", BODY + " token: export OPENAI_API_KEY=sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", t2),
        rec("reflection_db", "conversations:1", "  " + BODY + "\r\n", t1),
        rec("transcript", "s1", BODY, t2),  # exact copy of the reflection row once cleaned
        rec("inbox", "short", "too short"),
        rec("inbox", "blank", " \n\t "),
        rec("inbox", "long", "x" * 60_001),
        rec("inbox", "nul", "NUL\x00 inside " + BODY, t1),
    ])
    prepared = prepare_all(frame, min_chars=50, max_chars=60_000)
    got = {r["natural_key"]: r for r in prepared.conversations.iter_rows(named=True)}
    assert set(got) == {"a", "conversations:1", "nul"}
    assert "sk-proj-" not in got["a"]["content"] and "[REDACTED" in got["a"]["content"]
    assert got["a"]["secrets_redacted"] == 1 and prepared.secrets_redacted == 1
    assert got["a"]["content_hash"] == sha256_hex(got["a"]["content"])
    assert got["conversations:1"]["content"] == BODY
    assert got["conversations:1"]["conversation_id"] == conversation_id("reflection_db", "conversations:1")
    assert got["nul"]["content"] == "NUL inside " + BODY
    assert prepared.duplicates == 1
    assert prepared.rejected_by_reason == {"too_short": 1, "empty_content": 1, "too_long": 1}


def test_the_earliest_copy_wins_whatever_the_input_order():
    t1, t2 = datetime(2026, 10, 1, tzinfo=timezone.utc), datetime(2026, 10, 2, tzinfo=timezone.utc)
    a = [rec("inbox", "late", BODY, t2), rec("transcript", "early", BODY, t1)]
    for rows in (a, a[::-1]):
        kept = prepare_all(records_frame(rows)).conversations
        assert kept["natural_key"].to_list() == ["early"]


def test_quarantined_excerpts_are_redacted():
    rejects = rejects_frame([dict(source="inbox", source_ref="f:1", reason="malformed_json",
                                  excerpt='{"content": "key ghp_0123456789abcdefghijABCDEFGHIJ012345"')])
    assert "ghp_" not in quarantine_frame(rejects)["excerpt"][0]
    assert pl.DataFrame(schema=rejects.schema).pipe(quarantine_frame).height == 0
