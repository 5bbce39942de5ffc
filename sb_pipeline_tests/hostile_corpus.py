"""A corpus of hostile input for every reader, generated in code into a folder (never committed).

`build_corpus(root)` writes an inbox folder, a Claude Code transcripts folder, a Session Buddy
`reflection.duckdb` and `knowledge_graph.duckdb`, and a Crackerjack `crackerjack_integration.db`,
each mixing bad inputs with good ones, and returns a `Corpus`: the paths plus one `Case` per
input saying what must become of it:

- `kept`: a good row; its `marker` must reach the stored row (for conversations, the content);
- `normalised`: kept after a documented repair (NUL dropped, lone surrogate -> U+FFFD, a timestamp
  converted to UTC, a misspelt entity type mapped, a mistyped SQLite value read as null...);
- `rejected`: quarantined with `reason`; `stage` says who rejects it: the reader (`read`) or
  `prepare_rows` + `collapse` (`prepare`: empty, too short, too long, duplicate id);
- `merged`: an exact copy of a kept row (same id and content, a resumed session's copied line, a
  name that differs only by case), counted once;
- `noise`: what a reader skips by design (blank lines, transcript summaries, tool results, foreign
  Crackerjack metric types).

Every case has a `kind`; `KINDS` describes them. Markers are unique words, so that a test can find
each good row in the warehouse and no two good rows collapse as copies of one another.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from sb_pipeline.records import valid_utf8

UTC = timezone.utc
FIVE_MB = 5 * 1024 * 1024
DEEP = 100_000  # nesting far beyond Python's recursion limit
SQL_TEXT = "x'); DROP TABLE conversations; --"
SQL_ENTITY = "x'); DROP TABLE kg_entities; --"
SQL_COMMAND = "x'); DROP TABLE crackerjack_runs; --"
HOSTILE_TABLE = 'evil"; DROP TABLE conversations; --'
HOSTILE_CJ_TABLE = 'evil"; DROP TABLE crackerjack_results; --'

KINDS: dict[str, str] = {
    "control": "a good row mixed among the bad ones (not hostile; not counted as a kind)",
    "malformed_json": "not JSON at all (`{not json`)",
    "truncated_json": "a line cut mid-object, also as a file's last line without a newline (a writer killed)",
    "not_an_object": "valid JSON that is not an object: array, string, number, null",
    "wrong_type": "a field of the wrong type: content 42/list/object, project 7, id 1.5/true/list, message 'str', "
                  "BLOB content, text in a REAL column",
    "missing_field": "a required field absent or null: content, message, relationship ends/type, metric value",
    "null_id": "a row without an id (a NULL would otherwise become the key 'None')",
    "nul_byte_raw": "a raw NUL byte inside a JSON line",
    "nul_byte_escaped": "an escaped \\u0000 or a NUL inside stored text (dropped from conversations and names)",
    "invalid_utf8": "bytes that are not UTF-8: \\xff\\xfe, an overlong \\xc0\\xaf, a cut multi-byte sequence",
    "lone_surrogate": "a JSON \\ud83d escape alone, a lone surrogate in __SB64__ content, ids differing only so",
    "bom": "a UTF-8 byte order mark at the start of a file",
    "crlf": "CRLF line ends",
    "empty_content": "content that is the empty string",
    "whitespace_content": "content of spaces, tabs and newlines only",
    "blank_lines": "empty and whitespace-only lines, an empty file",
    "too_short": "content below the minimum length",
    "five_mb_line": "a single 5 MB line (content, a tool result, garbage)",
    "deep_nesting": "JSON nested 100,000 deep (a line, a field, Session Buddy metadata) and 200 deep (legal)",
    "timestamp_formats": "ISO 8601 with Z / offset / none / fraction / basic format, a date, epoch s, ms, as text",
    "timestamp_garbage": "'yesterday', '', RFC 2822, '2026/10/01', month 13, a NUL, true, a list, an object",
    "timestamp_out_of_range": "year 1 with an offset, 1800, 1e20, -1e20, a 400-digit epoch, DuckDB 'infinity'",
    "timestamp_nan_inf": "NaN, Infinity, -Infinity, 1e400 as a timestamp",
    "duplicate_id_different_content": "a second row reusing an id with other content",
    "duplicate_id_same_content": "the same id and content again (one item)",
    "sql_text": "SQL in content, ids, project, session id, entity name, command",
    "path_traversal": "'../../etc/passwd' as project, id, cwd, entity name, working directory",
    "hostile_file_name": "a file named with quotes, backslashes and SQL; a non-UTF-8 file name",
    "directory_named_like_a_file": "a folder named `*.jsonl`",
    "hostile_identifier": "a table and a column whose names carry a quote and SQL",
    "nan_inf_numbers": "NaN and Infinity as a duration or a score",
    "negative_duration": "a negative execution time",
    "score_out_of_range": "a score of 101 or -0.5 (every trended metric is a percentage)",
    "huge_number": "1e30 in an INTEGER column, 1e309 (inf) in a REAL column",
    "invisible_characters": "RTL override, zero-width space, emoji, combining marks (kept verbatim)",
    "duplicate_json_keys": "an object with `content` twice (the last wins, as in JSON parsers)",
    "transcript_noise": "summary, system, file-history, meta, sidechain, thinking and tool-result lines",
    "resumed_session_copy": "a resumed session repeating a line (same uuid) in a new file",
    "bad_sb64": "Session Buddy `__SB64__` content that is not base64",
    "binary_content": "a BLOB where text is expected",
    "type_vocabulary": "entity types misspelt or unknown (`libary`, `LIBRARIES`, `widget-thing`, NULL)",
    "case_duplicate_name": "two entities whose names differ only by case and spacing",
    "dangling_relationship": "a relationship to an entity that does not exist",
    "mirrored_relationship": "one relationship stored in both directions",
    "sqlite_type_mismatch": "text in a REAL / INTEGER column ('fast', 'high'): read as null with a note",
    "foreign_metric_type": "a metric type outside the whitelist (health_*, SQL text)",
}

GOOD = ("while {m} ran we compared two ways to configure the retry policy of the ingestion job "
        "and kept the simpler one, because it was easier to test.")


def good_text(marker: str) -> str:
    return GOOD.format(m=marker)


def tag(marker: str) -> str:
    """How a marker appears in its good text: delimited, so `ts1` never matches inside `ts10`."""
    return f"while {marker} ran"


@dataclass(frozen=True)
class Case:
    kind: str
    reader: str  # inbox | transcript | reflection_db | knowledge_graph | crackerjack
    ref: str  # the source_ref the pipeline gives the input
    outcome: str  # kept | normalised | rejected | merged | noise
    reason: str | None = None
    stage: str = "read"  # read | prepare (conversation readers only)
    marker: str | None = None  # must reach the stored row (kept / normalised)
    expect: object = None  # an exact expected value where one matters (a UTC instant, a project)

    def __post_init__(self):
        assert self.kind in KINDS, self.kind
        assert self.outcome in ("kept", "normalised", "rejected", "merged", "noise"), self.outcome
        assert (self.reason is not None) == (self.outcome == "rejected"), self


@dataclass
class Corpus:
    root: Path
    inbox_dir: Path
    transcripts_dir: Path
    reflection_db: Path
    knowledge_graph_db: Path
    crackerjack_db: Path
    cases: list[Case] = field(default_factory=list)
    sessions: dict[str, list[str]] = field(default_factory=dict)  # transcript session id -> markers of its kept lines

    def of(self, reader: str, *outcomes: str) -> list[Case]:
        return [c for c in self.cases if c.reader == reader and (not outcomes or c.outcome in outcomes)]

    def rejects(self, reader: str, stage: str | None = None) -> Counter:
        """Counter of (source_ref, reason) the reader (or `prepare`) must reject."""
        return Counter((c.ref, c.reason) for c in self.of(reader, "rejected") if stage is None or c.stage == stage)

    def markers(self, reader: str) -> list[str]:
        return [c.marker for c in self.of(reader, "kept", "normalised") if c.marker]

    def source_files(self) -> list[Path]:
        """Every file the corpus wrote (for the before/after sha256 check)."""
        return sorted(p for p in self.root.rglob("*") if p.is_file())


class _Jsonl:
    """One JSONL file under construction: each added line remembers its 1-based line number."""

    def __init__(self, path: Path, newline: bytes = b"\n", bom: bool = False):
        self.path, self.newline, self.bom = path, newline, bom
        self.lines: list[bytes] = []

    def add(self, line: bytes | str | dict) -> int:
        if isinstance(line, dict):
            line = json.dumps(line)
        if isinstance(line, str):
            line = line.encode("utf-8", errors="surrogatepass")
        assert b"\n" not in line
        self.lines.append(line)
        return len(self.lines)

    def write(self, tail: bytes | None = None) -> None:
        """`tail`: a last line written without a newline (a writer killed mid-line); returns nothing."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = (b"\xef\xbb\xbf" if self.bom else b"") + b"".join(line + self.newline for line in self.lines)
        self.path.write_bytes(body + (tail or b""))


def _ref_name(name: str) -> str:
    return valid_utf8(name)


# ---------------------------------------------------------------- inbox

def _build_inbox(folder: Path, cases: list[Case]) -> None:
    folder.mkdir(parents=True)
    f = _Jsonl(folder / "hostile.jsonl", newline=b"\r\n", bom=True)
    name = f.path.name

    def case(kind, line, outcome, reason=None, stage="read", marker=None, expect=None):
        n = f.add(line)
        cases.append(Case(kind, "inbox", f"{name}:{n}", outcome, reason, stage, marker, expect))

    case("bom", {"id": "bom", "project": "tools", "content": good_text("inbox-bom")}, "kept", marker="inbox-bom")
    case("crlf", {"id": "crlf", "content": good_text("inbox-crlf")}, "kept", marker="inbox-crlf")
    case("truncated_json", '{"id": "trunc", "content": "the writer was killed while writ', "rejected", "malformed_json")
    case("malformed_json", "{not json", "rejected", "malformed_json")
    case("malformed_json", "{'id': 'single-quotes', 'content': 'python repr, not JSON'}", "rejected", "malformed_json")
    for value in ("[1, 2, 3]", '"just a string"', "42", "null", "true"):
        case("not_an_object", value, "rejected", "not_an_object")
    case("missing_field", {"id": "nocontent", "project": "p"}, "rejected", "missing_field:content")
    case("missing_field", {"id": "nullcontent", "content": None}, "rejected", "missing_field:content")
    for i, value in enumerate((42, ["a list"], {"an": "object"}, True)):
        case("wrong_type", {"id": f"ct{i}", "content": value}, "rejected", "wrong_type:content")
    for i, value in enumerate((7, ["x"], {"p": 1})):
        case("wrong_type", {"id": f"pt{i}", "project": value, "content": good_text(f"inbox-pt{i}")}, "rejected", "wrong_type:project")
    for i, value in enumerate(([1], 1.5, True, {"id": 1})):
        case("wrong_type", {"id": value, "content": good_text(f"inbox-it{i}")}, "rejected", "wrong_type:id")
    case("nul_byte_raw", b'{"id": "nul-raw", "content": "a raw NUL \x00 byte inside the string of a JSON line is not JSON"}',
         "rejected", "malformed_json")
    case("nul_byte_escaped", {"id": "nul-esc", "content": good_text("inbox-nul") + " escaped\u0000NUL"}, "normalised",
         marker="inbox-nul", expect="escapedNUL")
    case("invalid_utf8", b'{"id": "bad-utf8", "content": "\xff\xfe not UTF-8 at all, followed by enough text to count"}',
         "rejected", "invalid_utf8")
    case("invalid_utf8", b'{"id": "overlong", "content": "an overlong slash \xc0\xaf is forbidden in UTF-8 text"}',
         "rejected", "invalid_utf8")
    case("invalid_utf8", b'{"id": "cut-multibyte", "content": "a euro sign cut in half \xe2\x82', "rejected", "invalid_utf8")
    case("lone_surrogate", '{"id": "lone", "content": "' + good_text("inbox-lone") + ' cut mid-emoji \\ud83d here"}',
         "normalised", marker="inbox-lone", expect="\ufffd")
    case("lone_surrogate", '{"id": "\\ud800", "content": "' + good_text("inbox-surr-a") + '"}', "kept", marker="inbox-surr-a")
    # Stored ids are valid UTF-8, so "\udfff" is the same key as "\ud800" once both become U+FFFD.
    case("lone_surrogate", '{"id": "\\udfff", "content": "' + good_text("inbox-surr-b") + '"}', "rejected", "duplicate_id")
    case("empty_content", {"id": "empty", "content": ""}, "rejected", "empty_content", stage="prepare")
    case("whitespace_content", {"id": "ws", "content": "   \t\r\n  \u00a0 "}, "rejected", "empty_content", stage="prepare")
    case("too_short", {"id": "short", "content": "too short"}, "rejected", "too_short", stage="prepare")
    case("blank_lines", "", "noise")
    case("blank_lines", " \t ", "noise")
    case("five_mb_line", {"id": "huge", "content": ("five megabytes of text " * (FIVE_MB // 23 + 1))[:FIVE_MB]},
         "rejected", "too_long", stage="prepare")
    case("deep_nesting", "[" * DEEP + "]" * DEEP, "rejected", "malformed_json")
    case("deep_nesting", '{"id": "deep-field", "content": "x", "extra": ' + "[" * DEEP + "]" * DEEP + "}",
         "rejected", "malformed_json")
    case("deep_nesting", '{"id": "deep-ok", "content": "' + good_text("inbox-deep-ok") + '", "extra": ' + "[" * 200 + "]" * 200 + "}",
         "kept", marker="inbox-deep-ok")
    stamps = [
        ("2026-10-01T10:00:00Z", datetime(2026, 10, 1, 10, tzinfo=UTC)),
        ("2026-10-01T12:00:00+02:00", datetime(2026, 10, 1, 10, tzinfo=UTC)),
        ("2026-10-01 10:00:00", datetime(2026, 10, 1, 10, tzinfo=UTC)),
        ("2026-10-01T10:00:00.123456z", datetime(2026, 10, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-10-01", datetime(2026, 10, 1, tzinfo=UTC)),
        ("20261001T100000Z", datetime(2026, 10, 1, 10, tzinfo=UTC)),
        (" 2026-10-01T10:00:00-05:30 ", datetime(2026, 10, 1, 15, 30, tzinfo=UTC)),
        (1790000000, datetime.fromtimestamp(1790000000, UTC)),
        (1790000000123, datetime.fromtimestamp(1790000000.123, UTC)),
        ("1790000000", datetime.fromtimestamp(1790000000, UTC)),
        (1790000000.5, datetime.fromtimestamp(1790000000.5, UTC)),
    ]
    for i, (stamp, instant) in enumerate(stamps):
        case("timestamp_formats", {"id": f"ts{i}", "timestamp": stamp, "content": good_text(f"inbox-ts{i}")}, "normalised",
             marker=f"inbox-ts{i}", expect=instant)
    garbage = ["yesterday", "", "Tue, 01 Oct 2026 10:00:00 GMT", "2026/10/01", "2026-13-45T99:00:00", "\u0000", True, [2026], {"y": 2026}]
    for i, stamp in enumerate(garbage):
        case("timestamp_garbage", {"id": f"tg{i}", "timestamp": stamp, "content": good_text(f"inbox-tg{i}")}, "rejected", "bad_timestamp")
    out_of_range = ['"0001-01-01T00:00:00+01:00"', '"1800-01-01"', "1e20", "-1e20", "1" + "0" * 400]
    for i, stamp in enumerate(out_of_range):
        case("timestamp_out_of_range", '{"id": "tr%d", "timestamp": %s, "content": "%s"}' % (i, stamp, good_text(f"inbox-tr{i}")),
             "rejected", "bad_timestamp")
    for i, stamp in enumerate(("NaN", "Infinity", "-Infinity", "1e400")):
        case("timestamp_nan_inf", '{"id": "tn%d", "timestamp": %s, "content": "%s"}' % (i, stamp, good_text(f"inbox-tn{i}")),
             "rejected", "bad_timestamp")
    case("duplicate_id_different_content", {"id": "dup", "content": good_text("inbox-dup")}, "kept", marker="inbox-dup")
    case("duplicate_id_different_content", {"id": "dup", "content": good_text("inbox-dup-other")}, "rejected", "duplicate_id")
    case("duplicate_id_same_content", {"id": "dup", "content": good_text("inbox-dup")}, "merged")
    case("sql_text", {"id": SQL_TEXT, "project": SQL_TEXT, "content": good_text("inbox-sql") + " ' OR 1=1; " + SQL_TEXT},
         "kept", marker="inbox-sql", expect=SQL_TEXT)
    case("path_traversal", {"id": "../../../etc/shadow", "project": "../../etc/passwd", "content": good_text("inbox-path")},
         "kept", marker="inbox-path", expect="../../etc/passwd")
    case("invisible_characters", {"id": "rtl", "content": good_text("inbox-rtl") + " \u202egnirts desrever\u202c zero\u200bwidth 🦆 e\u0301"},
         "kept", marker="inbox-rtl", expect="\u202egnirts desrever\u202c")
    case("duplicate_json_keys", '{"id": "twice", "content": "the first value loses", "content": "' + good_text("inbox-twice") + '"}',
         "kept", marker="inbox-twice")
    case("missing_field", {"id": "", "content": good_text("inbox-noid")}, "kept", marker="inbox-noid")  # blank id = no id
    f.write()

    # A second file ending mid-line, as when the writing tool is killed.
    t = _Jsonl(folder / "truncated.jsonl")
    n = t.add({"id": "before-cut", "content": good_text("inbox-before-cut")})
    cases.append(Case("truncated_json", "inbox", f"truncated.jsonl:{n}", "kept", marker="inbox-before-cut"))
    t.write(tail=b'{"id": "cut", "content": "the writer was kil')
    cases.append(Case("truncated_json", "inbox", f"truncated.jsonl:{n + 1}", "rejected", "malformed_json"))

    hostile_name = "..\\..\\evil'; " + SQL_TEXT + " \"name\".jsonl"
    h = _Jsonl(folder / hostile_name)
    n = h.add({"id": "from-hostile-file", "content": good_text("inbox-hostile-file")})
    h.write()
    cases.append(Case("hostile_file_name", "inbox", f"{hostile_name}:{n}", "kept", marker="inbox-hostile-file"))

    raw_name = os.fsdecode(b"caf\xe9-latin1.jsonl")  # not UTF-8: Python holds it with a surrogate escape
    (folder / raw_name).write_bytes(json.dumps({"id": "latin1-name", "content": good_text("inbox-latin1-name")}).encode() + b"\n")
    cases.append(Case("hostile_file_name", "inbox", f"{_ref_name(raw_name)}:1", "kept", marker="inbox-latin1-name"))

    (folder / "folder.jsonl").mkdir()
    cases.append(Case("directory_named_like_a_file", "inbox", "folder.jsonl", "rejected", "unreadable_file"))
    (folder / "empty.jsonl").write_bytes(b"")
    (folder / "blank.jsonl").write_bytes(b"\n\r\n \t\n\n")
    (folder / "notes.txt").write_text("not a .jsonl file: never read " + SQL_TEXT)


# ---------------------------------------------------------------- transcripts

S1 = "11111111-aaaa-4bbb-8ccc-000000000001"
S_SQL = SQL_TEXT
S_PATH = "../../../etc/passwd"


def _event(kind: str, uid: str, sid: str, content, ts="2026-10-03T14:00:00Z", **extra) -> dict:
    event = {"type": kind, "uuid": uid, "sessionId": sid, "cwd": "/home/dev/projects/acme-api", "gitBranch": "main",
             "message": {"role": kind, "content": content}, **extra}
    if ts is not None:
        event["timestamp"] = ts
    return event


def _build_transcripts(folder: Path, cases: list[Case], sessions: dict[str, list[str]]) -> None:
    project = folder / "-home-dev-projects-acme-api"
    f = _Jsonl(project / f"{S1}.jsonl", newline=b"\r\n", bom=True)
    rel = f"{project.name}/{f.path.name}"
    sessions[S1] = []

    def case(kind, line, outcome, reason=None, marker=None, expect=None):
        n = f.add(line)
        cases.append(Case(kind, "transcript", f"{rel}:{n}", outcome, reason, "read", marker, expect))
        if marker and outcome in ("kept", "normalised"):
            sessions[S1].append(marker)

    case("bom", _event("user", "u1", S1, good_text("tr-bom")), "kept", marker="tr-bom")
    case("transcript_noise", {"type": "summary", "summary": "Retry policy of the ingestion job", "leafUuid": "u2"}, "noise")
    case("crlf", _event("assistant", "u2", S1, [
        {"type": "thinking", "thinking": "private reasoning tr-thinking", "signature": "x"},
        {"type": "text", "text": good_text("tr-crlf")},
        {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "pytest -x " + SQL_TEXT}}]), "kept", marker="tr-crlf")
    case("transcript_noise", _event("user", "u3", S1, [{"type": "tool_result", "tool_use_id": "t1", "content": "tr-tool-result"}]), "noise")
    case("transcript_noise", {"type": "system", "subtype": "info", "content": "compacted", "sessionId": S1}, "noise")
    case("transcript_noise", {"type": "file-history-snapshot", "snapshot": {"files": [S_PATH]}}, "noise")
    case("transcript_noise", _event("user", "m1", S1, "<command-name>/clear</command-name>", isMeta=True), "noise")
    case("transcript_noise", _event("assistant", "side", S1, [{"type": "text", "text": "sub-agent chatter tr-side"}], isSidechain=True), "noise")
    case("malformed_json", "{not json", "rejected", "malformed_json")
    case("not_an_object", '["an", "array"]', "rejected", "not_an_object")
    case("invalid_utf8", b'{"type": "user", "message": {"content": "\xff\xfe"}}', "rejected", "invalid_utf8")
    case("wrong_type", {**_event("user", "w1", S1, "x"), "message": "a string, not an object"}, "rejected", "wrong_type:message")
    case("missing_field", {k: v for k, v in _event("user", "w2", S1, "x").items() if k != "message"}, "rejected", "missing_field:message")
    case("timestamp_garbage", _event("user", "tg1", S1, good_text("tr-tg1"), ts="garbage"), "rejected", "bad_timestamp")
    case("timestamp_out_of_range", _event("user", "tr1", S1, good_text("tr-tr1"), ts=1e20), "rejected", "bad_timestamp")
    case("timestamp_out_of_range", json.dumps(_event("user", "tr2", S1, good_text("tr-tr2"), ts=0)).replace('"timestamp": 0', '"timestamp": 1' + "0" * 400),
         "rejected", "bad_timestamp")
    case("timestamp_out_of_range", _event("user", "tr3", S1, good_text("tr-tr3"), ts="0001-01-01T00:00:00+01:00"), "rejected", "bad_timestamp")
    case("timestamp_nan_inf", json.dumps(_event("user", "tn1", S1, good_text("tr-tn1"), ts=0)).replace('"timestamp": 0', '"timestamp": NaN'),
         "rejected", "bad_timestamp")
    case("deep_nesting", '{"type": "user", "message": ' + "[" * DEEP + "]" * DEEP + "}", "rejected", "malformed_json")
    case("five_mb_line", _event("user", "big", S1, [{"type": "tool_result", "tool_use_id": "t1", "content": "x" * FIVE_MB}]), "noise")
    case("five_mb_line", "garbage " * (FIVE_MB // 8), "rejected", "malformed_json")
    case("nul_byte_escaped", _event("user", "nul", S1, good_text("tr-nul") + " escaped\u0000NUL"), "normalised", marker="tr-nul")
    case("nul_byte_raw", b'{"type": "user", "uuid": "nulraw", "message": {"content": "raw \x00 NUL"}}', "rejected", "malformed_json")
    case("lone_surrogate", json.dumps(_event("user", "lone", S1, good_text("tr-lone") + " LONE")).replace("LONE", "\\ud83d"),
         "normalised", marker="tr-lone")
    case("timestamp_formats", _event("assistant", "off", S1, good_text("tr-offset"), ts="2026-10-03T16:00:01+02:00"),
         "normalised", marker="tr-offset")
    case("timestamp_formats", _event("user", "ms", S1, good_text("tr-epoch-ms"), ts=1790000000123), "normalised", marker="tr-epoch-ms")
    case("timestamp_formats", _event("assistant", "nots", S1, good_text("tr-no-ts"), ts=None), "kept", marker="tr-no-ts")
    case("resumed_session_copy", _event("user", "u1", S1, good_text("tr-bom")), "merged")
    case("blank_lines", "", "noise")
    case("blank_lines", "   ", "noise")
    case("invisible_characters", _event("user", "rtl", S1, good_text("tr-rtl") + " \u202edesrever\u202c 🦆\u200b"), "kept", marker="tr-rtl")
    f.write(tail=b'{"type": "assistant", "uuid": "cut", "message": {"content": "kil')
    cases.append(Case("truncated_json", "transcript", f"{rel}:{len(f.lines) + 1}", "rejected", "malformed_json"))

    # Sessions whose ids, cwd and folder look like SQL and path traversal.
    g = _Jsonl(folder / "x'); DROP TABLE t; --" / "session.jsonl")
    n = g.add(_event("user", "q1", S_SQL, good_text("tr-sql") + " " + SQL_TEXT, cwd="../../../etc/passwd"))
    cases.append(Case("sql_text", "transcript", f"{g.path.parent.name}/{g.path.name}:{n}", "kept", marker="tr-sql"))
    sessions[S_SQL] = ["tr-sql"]
    n = g.add(_event("user", "p1", S_PATH, good_text("tr-path"), cwd="/home/dev/projects/acme-api"))
    cases.append(Case("path_traversal", "transcript", f"{g.path.parent.name}/{g.path.name}:{n}", "kept", marker="tr-path"))
    sessions[S_PATH] = ["tr-path"]
    g.write()
    (folder / "dir.jsonl").mkdir()
    cases.append(Case("directory_named_like_a_file", "transcript", "dir.jsonl", "rejected", "unreadable_file"))
    (folder / "empty").mkdir()
    (folder / "empty" / "empty.jsonl").write_bytes(b"")


# ---------------------------------------------------------------- reflection.duckdb

def _build_reflection_db(path: Path, cases: list[Case]) -> None:
    c = duckdb.connect(str(path))
    try:
        # A V1 table as a hostile writer could leave it: no primary key, metadata as free text.
        c.execute("CREATE TABLE conversations(id VARCHAR, content TEXT, embedding FLOAT[384], project VARCHAR, "
                  "timestamp TIMESTAMP, metadata VARCHAR)")

        def row(kind, rid, content, outcome, reason=None, stage="read", marker=None, project=None,
                ts="2026-10-05 09:00:00", metadata=None, expect=None):
            c.execute("INSERT INTO conversations VALUES (?, ?, NULL, ?, ?::TIMESTAMP, ?)", [rid, content, project, ts, metadata])
            cases.append(Case(kind, "reflection_db", f"conversations:{rid}", outcome, reason, stage, marker, expect))

        row("crlf", "good", good_text("rdb-good").replace(", because", ",\r\nbecause") + "\r\nsecond line\r\n", "normalised", marker="rdb-good", project="alpha")
        row("null_id", None, good_text("rdb-null-id"), "rejected", "missing_field:id")
        row("missing_field", "nullcontent", None, "rejected", "wrong_type:content")
        row("duplicate_id_different_content", "dup", good_text("rdb-dup"), "kept", marker="rdb-dup", ts="2026-10-01 00:00:00")
        row("duplicate_id_different_content", "dup", good_text("rdb-dup-other"), "rejected", "duplicate_id", stage="prepare",
            ts="2026-10-02 00:00:00")
        row("duplicate_id_same_content", "same", good_text("rdb-same"), "kept", marker="rdb-same", ts="2026-10-01 00:00:00")
        row("duplicate_id_same_content", "same", good_text("rdb-same"), "merged", ts="2026-10-01 00:00:00")
        row("nul_byte_escaped", "nul", good_text("rdb-nul") + " with a NUL\x00inside", "normalised", marker="rdb-nul")
        surrogate = "__SB64__" + __import__("base64").b64encode((good_text("rdb-sb64") + " \ud83d cut").encode("utf-8", "surrogatepass")).decode()
        row("lone_surrogate", "sb64", surrogate, "normalised", marker="rdb-sb64")
        row("bad_sb64", "badsb64", "__SB64__!!! not base64 !!!", "rejected", "bad_sb64")
        row("timestamp_out_of_range", "inf", good_text("rdb-inf"), "rejected", "bad_timestamp", ts="infinity")
        row("timestamp_out_of_range", "ninf", good_text("rdb-ninf"), "rejected", "bad_timestamp", ts="-infinity")
        row("timestamp_out_of_range", "year1", good_text("rdb-year1"), "rejected", "bad_timestamp", ts="0001-01-01 00:00:00")
        row("deep_nesting", "deepmeta", good_text("rdb-deep-meta"), "kept", marker="rdb-deep-meta",
            metadata="[" * DEEP + "]" * DEEP)
        row("malformed_json", "badmeta", good_text("rdb-bad-meta"), "kept", marker="rdb-bad-meta", metadata="{not json")
        row("sql_text", SQL_TEXT, good_text("rdb-sql") + " " + SQL_TEXT, "kept", marker="rdb-sql", project=SQL_TEXT, expect=SQL_TEXT)
        row("path_traversal", "../../etc/passwd", good_text("rdb-path"), "kept", marker="rdb-path",
            metadata=json.dumps({"project": "../../etc"}), expect="../../etc")
        row("empty_content", "empty", "", "rejected", "empty_content", stage="prepare")
        row("whitespace_content", "ws", " \n\t\r\n ", "rejected", "empty_content", stage="prepare")
        row("too_short", "short", "too short", "rejected", "too_short", stage="prepare")
        row("five_mb_line", "huge", "y" * FIVE_MB, "rejected", "too_long", stage="prepare")
        row("invisible_characters", "rtl", good_text("rdb-rtl") + " \u202edesrever\u202c 🦆", "kept", marker="rdb-rtl")

        # An adapter-era reflections table whose content is binary.
        c.execute("CREATE TABLE blobby_reflections(id INTEGER, content BLOB, created_at TIMESTAMP, insight_type VARCHAR)")
        c.execute("INSERT INTO blobby_reflections VALUES (1, '\\xFF\\xFE\\x00'::BLOB, TIMESTAMP '2026-10-01 00:00:00', NULL)")
        cases.append(Case("binary_content", "reflection_db", "blobby_reflections:1", "rejected", "wrong_type:content"))
        # Timestamps stored as text, in every shape.
        c.execute("CREATE TABLE texty_conversations(id VARCHAR, content VARCHAR, timestamp VARCHAR)")
        texty = [
            ("garbage", "yesterday", "rejected", "timestamp_garbage", None),
            ("rfc", "Tue, 01 Oct 2026 10:00:00 GMT", "rejected", "timestamp_garbage", None),
            ("huge", "99999999999999999999", "rejected", "timestamp_out_of_range", None),
            ("nan", "NaN", "rejected", "timestamp_nan_inf", None),
            ("ms", "1790000000123", "normalised", "timestamp_formats", datetime.fromtimestamp(1790000000.123, UTC)),
            ("iso", "2026-10-01T12:00:00+02:00", "normalised", "timestamp_formats", datetime(2026, 10, 1, 10, tzinfo=UTC)),
        ]
        for rid, stamp, outcome, kind, instant in texty:
            c.execute("INSERT INTO texty_conversations VALUES (?, ?, ?)", [rid, good_text(f"rdb-texty-{rid}"), stamp])
            cases.append(Case(kind, "reflection_db", f"texty_conversations:{rid}", outcome,
                              "bad_timestamp" if outcome == "rejected" else None, "read",
                              f"rdb-texty-{rid}" if outcome != "rejected" else None, instant))
        # A table whose name is an injection attempt: not a conversation table, never read, never dropped.
        c.execute(f'CREATE TABLE "{HOSTILE_TABLE.replace(chr(34), chr(34) * 2)}" (x INTEGER)')
        c.execute("CHECKPOINT")
    finally:
        c.close()
    cases.append(Case("hostile_identifier", "reflection_db", HOSTILE_TABLE, "noise"))


# ---------------------------------------------------------------- knowledge_graph.duckdb

def _build_knowledge_graph(path: Path, cases: list[Case]) -> None:
    c = duckdb.connect(str(path))
    try:
        c.execute("CREATE TABLE kg_entities(id VARCHAR, name VARCHAR, entity_type VARCHAR, observations VARCHAR[], "
                  "properties JSON, created_at VARCHAR, updated_at TIMESTAMP, metadata JSON)")

        def entity(kind, eid, name, etype, obs, outcome, reason=None, created="2026-01-01 00:00:00", expect=None):
            c.execute("INSERT INTO kg_entities (id, name, entity_type, observations, created_at, updated_at) "
                      "VALUES (?, ?, ?, ?, ?, ?)", [eid, name, etype, obs, created, None])
            marker = eid if outcome in ("kept", "normalised") else None  # entities are found by source id
            cases.append(Case(kind, "knowledge_graph", f"kg_entities:{eid}", outcome, reason, "read", marker, expect))

        entity("crlf", "e-acme", "acme-api", "project", ["uses fastapi", "deployed\r\nwith docker"], "normalised",
               expect="acme-api (project): uses fastapi; deployed with docker")
        entity("type_vocabulary", "e-fastapi", "FastAPI", "libary", ["web framework"], "normalised", created="2026-01-02 00:00:00",
               expect="library")
        entity("case_duplicate_name", "e-fastapi-2", "  fastapi ", "LIBRARIES", ["ASGI"], "rejected", "duplicate_name",
               created="2026-01-03 00:00:00")
        entity("type_vocabulary", "e-widget", "gizmo", "widget-thing", [], "rejected", "unknown_type")
        entity("type_vocabulary", "e-notype", "no type at all", None, [], "rejected", "unknown_type")
        entity("null_id", None, "nameless id", "concept", ["has no id"], "rejected", "missing_field:id")
        entity("missing_field", "e-noname", None, "concept", [], "rejected", "missing_name")
        entity("whitespace_content", "e-blank", " \t\r\n ", "concept", [], "rejected", "missing_name")
        entity("duplicate_id_different_content", "e-dup", "duplicated id first", "concept", ["first"], "kept")
        entity("duplicate_id_different_content", "e-dup", "duplicated id second", "concept", ["second"], "rejected", "duplicate_id",
               created="2026-01-05 00:00:00")
        entity("nul_byte_escaped", "e-nul", "nul\x00name", "tool", ["an observation with a NUL\x00inside", None, "", "   "],
               "normalised", expect="nulname (tool): an observation with a NULinside")
        entity("sql_text", "e-sql", SQL_ENTITY, "concept", ["SELECT * FROM users WHERE 1=1; --"], "kept")
        entity("path_traversal", "e-path", "../../etc/passwd", "file", ["read by nobody"], "kept")
        entity("timestamp_garbage", "e-ts", "entity with a garbage stamp", "concept", ["still kept"], "normalised", created="yesterday")
        entity("invisible_characters", "e-rtl", "rtl \u202edesrever\u202c 🦆", "concept", [], "kept")
        c.execute("CREATE TABLE kg_relationships(id VARCHAR, from_entity VARCHAR, to_entity VARCHAR, relation_type VARCHAR, "
                  "properties JSON, created_at TIMESTAMP, metadata JSON)")
        rels = [
            ("r-good", "e-acme", "e-fastapi", "uses", "kept", "control", None),
            ("r-mirror", "e-fastapi", "e-acme", "uses", "merged", "mirrored_relationship", None),
            ("r-merged", "e-sql", "e-fastapi-2", "mentions", "kept", "case_duplicate_name", None),  # re-pointed to e-fastapi
            ("r-dangling", "e-acme", "nope", "uses", "rejected", "dangling_relationship", "dangling_relationship"),
            ("r-notype", "e-acme", "e-sql", None, "rejected", "missing_field", "missing_field:relation_type"),
            ("r-nofrom", None, "e-sql", "uses", "rejected", "missing_field", "missing_field:from_entity"),
            ("r-sql", "e-sql", "e-path", SQL_TEXT, "kept", "sql_text", None),
        ]
        for rid, a, b, rtype, outcome, kind, reason in rels:
            c.execute("INSERT INTO kg_relationships (id, from_entity, to_entity, relation_type) VALUES (?, ?, ?, ?)", [rid, a, b, rtype])
            cases.append(Case(kind, "knowledge_graph", f"kg_relationships:{rid}", outcome, reason))
        c.execute("CHECKPOINT")
    finally:
        c.close()


# ---------------------------------------------------------------- crackerjack_integration.db

CJ_DDL = """
CREATE TABLE crackerjack_results (id TEXT, command TEXT NOT NULL, exit_code INTEGER, stdout TEXT, stderr TEXT,
  execution_time REAL, timestamp TIMESTAMP, working_directory TEXT, parsed_data TEXT, quality_metrics TEXT, memory_insights TEXT);
CREATE TABLE quality_metrics_history (id TEXT, project_path TEXT NOT NULL, metric_type TEXT NOT NULL,
  metric_value REAL NOT NULL, timestamp TIMESTAMP, result_id TEXT);
CREATE TABLE progress_snapshots (id TEXT PRIMARY KEY, project_path TEXT NOT NULL, command TEXT NOT NULL, stage TEXT,
  progress_percentage REAL, current_task TEXT, completed_tasks TEXT, failed_tasks TEXT, quality_metrics TEXT,
  timestamp TIMESTAMP, memory_context TEXT);
"""


def _build_crackerjack(path: Path, cases: list[Case]) -> None:
    c = sqlite3.connect(path)
    try:
        c.executescript(CJ_DDL)
        q = HOSTILE_CJ_TABLE.replace('"', '""')
        c.execute(f'CREATE TABLE "{q}" (x TEXT)')  # our own constant, quoted: the test fixture, not the reader
        c.execute('CREATE TABLE test_results (id TEXT, "we""ird; DROP TABLE x; --" TEXT, timestamp TIMESTAMP)')
        c.execute("INSERT INTO test_results VALUES ('t1', 'x', '2026-11-01T10:00:00Z')")

        def run(kind, rid, outcome, reason=None, command="crackerjack lint", exit_code=0, seconds=1.5,
                ts="2026-11-01T10:00:00Z", wd="/home/dev/projects/acme-api", expect=None):
            c.execute("INSERT INTO crackerjack_results (id, command, exit_code, execution_time, timestamp, working_directory) "
                      "VALUES (?, ?, ?, ?, ?, ?)", [rid, command, exit_code, seconds, ts, wd])
            cases.append(Case(kind, "crackerjack", f"crackerjack_results:{rid}", outcome, reason, "read",
                              rid if outcome in ("kept", "normalised") else None, expect))

        run("timestamp_formats", "r-z", "normalised", ts="2026-11-01T10:00:00Z", expect=datetime(2026, 11, 1, 10, tzinfo=UTC))
        run("timestamp_formats", "r-space", "normalised", ts="2026-11-01 10:00:00", expect=datetime(2026, 11, 1, 10, tzinfo=UTC))
        run("timestamp_formats", "r-offset", "normalised", ts="2026-11-01T12:00:00+02:00", expect=datetime(2026, 11, 1, 10, tzinfo=UTC))
        run("timestamp_formats", "r-frac", "normalised", ts="2026-11-01T10:00:00.250000", expect=datetime(2026, 11, 1, 10, 0, 0, 250000, tzinfo=UTC))
        run("timestamp_formats", "r-epoch", "normalised", ts=1793527200, expect=datetime.fromtimestamp(1793527200, UTC))
        run("null_id", None, "rejected", "missing_id")
        run("duplicate_id_different_content", "r-dup", "kept", exit_code=0)
        run("duplicate_id_different_content", "r-dup", "rejected", "duplicate_id", exit_code=1)
        run("nan_inf_numbers", "r-nan", "rejected", "bad_execution_time", seconds="NaN")
        run("nan_inf_numbers", "r-inf", "rejected", "bad_execution_time", seconds="Infinity")
        run("negative_duration", "r-neg", "rejected", "bad_execution_time", seconds=-5.0)
        run("sqlite_type_mismatch", "r-fast", "normalised", seconds="fast")
        run("huge_number", "r-huge-exit", "normalised", exit_code="1e30")
        run("timestamp_garbage", "r-garbage", "rejected", "bad_timestamp", ts="yesterday")
        run("timestamp_out_of_range", "r-far", "rejected", "bad_timestamp", ts="99999999999999999999")
        run("binary_content", "r-blob", "rejected", "bad_timestamp", ts=b"\xff\xfe")
        run("missing_field", "r-nots", "rejected", "bad_timestamp", ts=None)
        run("path_traversal", "r-path", "normalised", wd="../../../etc/passwd", expect="passwd")
        run("sql_text", "r-sql", "kept", command=SQL_COMMAND, wd="/home/dev/" + SQL_TEXT)

        def metric(kind, mid, outcome, reason=None, mtype="lint_score", value=85.0, ts="2026-11-01T10:00:00Z", rid="r-z",
                   project="/home/dev/projects/acme-api"):
            c.execute("INSERT INTO quality_metrics_history VALUES (?, ?, ?, ?, ?, ?)", [mid, project, mtype, value, ts, rid])
            cases.append(Case(kind, "crackerjack", f"quality_metrics_history:{mid}", outcome, reason, "read",
                              mid if outcome in ("kept", "normalised") else None))

        metric("score_out_of_range", "m-good", "kept", value=85.0)
        metric("score_out_of_range", "m-zero", "kept", mtype="code_coverage", value=0.0)
        metric("score_out_of_range", "m-hundred", "kept", mtype="code_coverage", value=100.0)
        metric("score_out_of_range", "m-101", "rejected", "value_out_of_range", value=101.0)
        metric("score_out_of_range", "m-neg", "rejected", "value_out_of_range", value=-0.5)
        metric("nan_inf_numbers", "m-nan", "rejected", "value_out_of_range", value="NaN")
        metric("nan_inf_numbers", "m-inf", "rejected", "value_out_of_range", value="-Infinity")
        metric("huge_number", "m-1e309", "rejected", "value_out_of_range", value=1e308 * 10)
        metric("sqlite_type_mismatch", "m-high", "rejected", "missing_value", value="high")
        metric("null_id", None, "rejected", "missing_id")
        metric("duplicate_id_different_content", "m-dup", "kept", value=70.0)
        metric("duplicate_id_different_content", "m-dup", "rejected", "duplicate_id", value=71.0)
        metric("timestamp_garbage", "m-ts", "rejected", "bad_timestamp", ts="2026-02-31T10:00:00")
        metric("timestamp_formats", "m-nots", "normalised", ts=None, rid="r-offset")  # takes its run's time
        metric("path_traversal", "m-path", "kept", project="../../etc/passwd")
        metric("foreign_metric_type", "m-health", "noise", mtype="health_adapters", value=1.0)
        metric("foreign_metric_type", "m-sqltype", "noise", mtype=SQL_TEXT, value=1.0)
        c.commit()
    finally:
        c.close()
    cases.append(Case("hostile_identifier", "crackerjack", HOSTILE_CJ_TABLE, "noise"))


def build_corpus(root: Path) -> Corpus:
    """Write every source of the hostile corpus under `root` and return what must become of each input."""
    root = Path(root)
    corpus = Corpus(root=root, inbox_dir=root / "inbox", transcripts_dir=root / "transcripts",
                    reflection_db=root / "reflection.duckdb", knowledge_graph_db=root / "knowledge_graph.duckdb",
                    crackerjack_db=root / "crackerjack_integration.db")
    root.mkdir(parents=True, exist_ok=True)
    _build_inbox(corpus.inbox_dir, corpus.cases)
    _build_transcripts(corpus.transcripts_dir, corpus.cases, corpus.sessions)
    _build_reflection_db(corpus.reflection_db, corpus.cases)
    _build_knowledge_graph(corpus.knowledge_graph_db, corpus.cases)
    _build_crackerjack(corpus.crackerjack_db, corpus.cases)
    return corpus
