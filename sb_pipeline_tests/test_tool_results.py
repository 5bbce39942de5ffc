"""A transcript's tool results are not kept as text, but their count, failures and first error lines are."""

from __future__ import annotations

import json

from sb_pipeline.sources.transcripts import read_transcripts
from sb_pipeline_tests.test_sources_files import S1, line, write_lines


def result(tid: str, content, is_error: bool = False) -> list[dict]:
    return [{"type": "tool_result", "tool_use_id": tid, "content": content, "is_error": is_error}]


def test_tool_results_are_tallied_with_their_error_lines_redacted(tmp_path):
    lines = [
        line("user", "u1", S1, "2026-10-03T14:00:00Z", "pytest fails on the invoice test"),
        line("assistant", "a1", S1, "2026-10-03T14:00:05Z", [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "pytest -x"}}]),
        line("user", "r1", S1, "2026-10-03T14:00:09Z", result("t1", "F\nE       AssertionError: assert 1 == 2\nFAILED tests/test_a.py::test_due - assert", True)),
        line("assistant", "a2", S1, "2026-10-03T14:00:15Z", [{"type": "tool_use", "id": "t2", "name": "Read", "input": {"file_path": "app/a.py"}}]),
        line("user", "r2", S1, "2026-10-03T14:00:16Z", result("t2", [{"type": "text", "text": "def due():\n    return 1"}])),
        line("assistant", "a3", S1, "2026-10-03T14:00:20Z", [{"type": "tool_use", "id": "t3", "name": "Bash", "input": {"command": "curl api"}}]),
        # not flagged is_error, but its output is a traceback carrying a secret
        line("user", "r3", S1, "2026-10-03T14:00:21Z", result("t3", "Traceback (most recent call last):\n"
                                                              "RuntimeError: bad token ghp_abcdefghijklmnopqrstuvwxyz0123456789")),
    ]
    write_lines(tmp_path / "p" / f"{S1}.jsonl", lines + [lines[2]])  # a repeated line (a resumed session) counts once
    (row,) = read_transcripts(tmp_path).records.iter_rows(named=True)
    meta = json.loads(row["metadata"])
    assert meta["tool_results"] == 3 and meta["tool_errors"] == 2
    assert meta["error_lines"][:2] == ["E       AssertionError: assert 1 == 2", "FAILED tests/test_a.py::test_due - assert"]
    assert meta["error_lines"][2] == "Traceback (most recent call last):"
    assert meta["error_lines"][3].startswith("RuntimeError: bad token [REDACTED:") and "ghp_" not in meta["error_lines"][3]
    assert "AssertionError" not in row["content"]  # the output itself is still not conversation text
