"""Claude Code transcripts and the inbox: grouping, noise, and every kind of bad line."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sb_pipeline.sources.inbox import read_inbox
from sb_pipeline.sources.transcripts import read_transcripts

S1, S2 = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"


def line(kind, uid, sid, ts, content, **extra):
    return json.dumps({"type": kind, "uuid": uid, "sessionId": sid, "timestamp": ts, "cwd": "/home/dev/projects/acme-api",
                       "gitBranch": "main", "message": {"role": kind, "content": content}, **extra})


def write_lines(path, lines, tail=b""):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join(lines) + "\n").encode() + tail)


def test_transcript_sessions_are_grouped_by_session_id_and_cleaned(tmp_path):
    folder = tmp_path / "-home-dev-projects-acme-api"
    first = [
        json.dumps({"type": "summary", "summary": "Fix the lock error", "leafUuid": "u4"}),
        line("user", "u1", S1, "2026-10-03T14:02:11.512Z", "Why does DuckDB say Could not set lock?"),
        line("user", "m1", S1, "2026-10-03T14:02:12Z", "<command-name>/clear</command-name>", isMeta=True),
        line("assistant", "u2", S1, "2026-10-03T14:02:15Z", [
            {"type": "thinking", "thinking": "private reasoning", "signature": "x"},
            {"type": "text", "text": "Another process holds the file read-write."},
            {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "lsof data/warehouse.duckdb"}}]),
        line("user", "u3", S1, "2026-10-03T14:02:20Z", [{"type": "tool_result", "tool_use_id": "t1", "content": "python 4242"}]),
        line("assistant", "u4", S1, "2026-10-03T14:02:25Z", [{"type": "text", "text": "PID 4242 is the Dagster daemon."}]),
        line("assistant", "side", S1, "2026-10-03T14:02:26Z", [{"type": "text", "text": "sub-agent chatter"}], isSidechain=True),
        json.dumps({"type": "system", "subtype": "info", "content": "compacted", "sessionId": S1}),
        json.dumps({"type": "file-history-snapshot", "snapshot": {}}),
    ]
    write_lines(folder / f"{S1}.jsonl", first)
    # A resumed session: the new file repeats u1..u4 of S1, then continues S2.
    resumed = first[1:5] + [line("user", "v1", S2, "2026-10-04T09:00:00Z", "Next day: the daemon still holds it.")]
    write_lines(folder / f"{S2}.jsonl", resumed, tail=b'{"type": "assistant", "uuid": "cut')  # killed mid-line
    write_lines(folder / "bad.jsonl", ['[1, 2]'], tail=b'{"type": "user", "text": "\xff\xfe"}\n')
    read = read_transcripts(tmp_path)
    rows = {r["natural_key"]: r for r in read.records.iter_rows(named=True)}
    assert set(rows) == {S1, S2}
    text = rows[S1]["content"]
    assert text == (
        "User: Why does DuckDB say Could not set lock?\n\n"
        "Assistant: Another process holds the file read-write.\n[tool Bash: lsof data/warehouse.duckdb]\n"
        "PID 4242 is the Dagster daemon."
    )
    assert "private reasoning" not in text and "python 4242" not in text and "sub-agent" not in text
    assert rows[S1]["project"] == "acme-api"
    assert rows[S1]["started_at"] == datetime(2026, 10, 3, 14, 2, 11, 512000, tzinfo=timezone.utc)
    meta = json.loads(rows[S1]["metadata"])
    assert meta["title"] == "Fix the lock error" and meta["git_branch"] == "main"
    assert sorted(meta["files"]) == sorted([f"-home-dev-projects-acme-api/{S1}.jsonl", f"-home-dev-projects-acme-api/{S2}.jsonl"])
    assert rows[S2]["content"] == "User: Next day: the daemon still holds it."
    reasons = sorted(read.rejects["reason"].to_list())
    assert reasons == ["invalid_utf8", "malformed_json", "not_an_object"]


def test_long_sessions_are_split_at_turn_boundaries_without_loss(tmp_path):
    turns = [line("user" if i % 2 == 0 else "assistant", f"u{i}", S1, f"2026-10-03T14:{i:02d}:00Z",
                  f"turn {i} " + "word " * 300) for i in range(20)]
    write_lines(tmp_path / "p" / f"{S1}.jsonl", turns)
    read = read_transcripts(tmp_path, max_chars=5_000)
    parts = read.records.sort("natural_key")["content"].to_list()
    assert len(parts) > 1 and all(len(p) <= 5_000 for p in parts)
    joined = "\n\n".join(read.records["content"].to_list())
    assert all(f"turn {i} " in joined for i in range(20))
    assert read.records["natural_key"].to_list()[0] == S1 and read.records["natural_key"].to_list()[1] == f"{S1}#part2"


def test_inbox_rejects_each_bad_kind_and_keeps_good_lines(tmp_path):
    good = "A good inbox conversation about configuring ruff and mypy in the same pre-commit hook."
    lines = [
        json.dumps({"id": "a", "project": "tools", "timestamp": "2026-10-01T10:00:00+02:00", "content": good}),
        "{not json",
        "[1, 2, 3]",
        json.dumps({"id": "b", "project": "tools"}),
        json.dumps({"id": "c", "content": 42}),
        json.dumps({"id": "d", "timestamp": "yesterday-ish", "content": good + " d"}),
        "",
        "   ",
        json.dumps({"id": "a", "content": good + " but different"}),
        json.dumps({"id": "a", "content": good}),  # same id, same content: the same item
        json.dumps({"id": "e", "project": 7, "content": good + " e"}),
        json.dumps({"content": good + " no id, no timestamp"}),
    ]
    path = tmp_path / "tools.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n" + b'{"id": "f", "content": "\xc3\x28"}\n')
    read = read_inbox(tmp_path)
    assert read.records["natural_key"].to_list()[0] == "a"
    assert read.records.height == 2
    first = read.records.row(0, named=True)
    assert first["started_at"] == datetime(2026, 10, 1, 8, tzinfo=timezone.utc) and first["content"] == good
    assert read.records.row(1, named=True)["started_at"] is None
    got = dict(zip(read.rejects["source_ref"].to_list(), read.rejects["reason"].to_list()))
    assert got == {
        "tools.jsonl:2": "malformed_json", "tools.jsonl:3": "not_an_object", "tools.jsonl:4": "missing_field:content",
        "tools.jsonl:5": "wrong_type:content", "tools.jsonl:6": "bad_timestamp", "tools.jsonl:9": "duplicate_id",
        "tools.jsonl:11": "wrong_type:project", "tools.jsonl:13": "invalid_utf8",
    }


def test_lone_surrogate_escapes_do_not_fail_a_read(tmp_path):
    """JSON may carry `\\ud83d` alone (text cut mid-emoji); it becomes U+FFFD and the line is kept."""
    body = "A post cut mid-emoji \\ud83d here, then the parquet writer crashed on the invalid string."
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "a.jsonl").write_text('{"id": "s1", "content": "' + body + '"}\n')
    inbox = read_inbox(tmp_path / "inbox")
    assert inbox.records["content"].to_list() == ["A post cut mid-emoji \ufffd here, then the parquet writer crashed on the invalid string."]
    write_lines(tmp_path / "tr" / "p" / f"{S1}.jsonl", [
        line("user", "u1", S1, "2026-10-03T14:02:11Z", "placeholder").replace("placeholder", body)])
    transcript = read_transcripts(tmp_path / "tr")
    assert transcript.records["content"].to_list() == ["User: A post cut mid-emoji \ufffd here, then the parquet writer crashed on the invalid string."]


def test_absurdly_nested_json_is_a_reject_not_a_crash(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    write_lines(tmp_path / "tr" / "p" / f"{S1}.jsonl", [deep, line("user", "u1", S1, "2026-10-03T14:02:11Z", "Still read.")])
    transcript = read_transcripts(tmp_path / "tr")
    assert transcript.records["content"].to_list() == ["User: Still read."]
    assert transcript.rejects["reason"].to_list() == ["malformed_json"]
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "a.jsonl").write_text(deep + "\n")
    assert read_inbox(tmp_path / "inbox").rejects["reason"].to_list() == ["malformed_json"]
