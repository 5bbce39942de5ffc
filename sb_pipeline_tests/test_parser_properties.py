"""Property-based tests of the parsers: arbitrary input never raises out of a reader, and every
input is accounted for exactly once (kept, merged as documented, skipped as documented noise, or
rejected with a documented reason).

The oracles below re-derive only the *format* rules (JSONL lines, UTF-8, "is it a JSON object",
which fields have which type); what a timestamp is comes from `to_utc`, whose own contract is
tested first.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import sqlite3
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sb_pipeline.knowledge_graph.entities import normalise_entities
from sb_pipeline.quality.normalise import WHITELIST, normalise
from sb_pipeline.sources.crackerjack_db import read_crackerjack
from sb_pipeline.sources.inbox import read_inbox
from sb_pipeline.sources.knowledge_graph_db import ENTITY_SCHEMA, RELATION_SCHEMA
from sb_pipeline.records import EXCERPT_CHARS, excerpt, valid_utf8
from sb_pipeline.sources.reflection_db import decode_sb64, read_reflection_db
from sb_pipeline.sources.timestamps import to_utc
from sb_pipeline.sources.transcripts import read_transcripts

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FILES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
DATABASES = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

UTC = timezone.utc
ZONES = [UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Etc/GMT+12")]

INBOX_REASONS = {"malformed_json", "not_an_object", "invalid_utf8", "missing_field:content", "wrong_type:content",
                 "wrong_type:id", "wrong_type:project", "bad_timestamp", "duplicate_id", "unreadable_file"}
TRANSCRIPT_REASONS = {"invalid_utf8", "malformed_json", "not_an_object", "missing_field:message", "wrong_type:message",
                      "bad_timestamp", "unreadable_file"}

# ---------------------------------------------------------------- strategies

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=12)
iso_stamps = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                          timezones=st.none() | st.timezones() | st.just(UTC)).map(
    lambda d: d.isoformat(sep=st_sep_choice(d)))


def st_sep_choice(d: datetime) -> str:
    return " " if d.microsecond % 2 else "T"


timestamps = (
    st.none()
    | iso_stamps
    | iso_stamps.map(lambda s: s.replace("+00:00", "Z"))
    | st.integers(min_value=-(10**25), max_value=10**25)
    | st.integers().map(lambda i: i * 10**300)  # far beyond a float
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(min_value=0, max_value=10**14).map(str)
    | st.text(max_size=30)
    | st.sampled_from(["", " ", "yesterday", "2026-13-01", "2026-02-30T10:00:00", "0001-01-01T00:00:00+01:00",
                       "9999-12-31T23:59:59-01:00", "1e20", "NaN", "inf", "\x00", "２０２６-１０-０１", "1" * 400])
    | st.booleans()
    | st.lists(st.integers(), max_size=2)
    | st.dates()
)
texts = st.text(max_size=80)
no_newline = st.text(max_size=80).map(lambda t: t.replace("\n", " "))
raw_bytes = st.binary(max_size=80).map(lambda b: b.replace(b"\n", b" "))


def missing_or(strategy):
    return st.just("<missing>") | strategy


@st.composite
def inbox_items(draw) -> dict:
    item = {}
    # Few distinct ids and contents, so that repeats (one item) and reused ids (duplicate_id) are common.
    for key, strategy in (("id", st.sampled_from(["a", "b", 1, "", " "]) | st.text(max_size=6) | st.integers(-3, 3) | json_values),
                          ("project", st.none() | texts | st.integers()),
                          ("timestamp", timestamps),
                          ("content", st.sampled_from(["first text", "second text"]) | texts | json_values)):
        value = draw(missing_or(strategy))
        if value != "<missing>":
            item[key] = value.isoformat() if isinstance(value, (date, datetime)) else value
    return item


# Well-formed items from a few ids and contents: repeats (one item) and reused ids (duplicate_id).
good_items = st.fixed_dictionaries(
    {"id": st.sampled_from(["a", "b", 1]), "content": st.sampled_from(["first text", "second text", "third text"])},
    optional={"project": st.sampled_from(["p", "q"]), "timestamp": st.sampled_from(["2026-10-01T10:00:00Z", 1790000000])})


def dumps(value) -> str:
    return json.dumps(value, allow_nan=True)


inbox_lines = st.one_of(
    good_items.map(dumps),
    good_items.map(dumps),
    inbox_items().map(dumps),
    inbox_items().map(dumps),
    json_values.map(dumps),
    no_newline,
    raw_bytes,
    st.sampled_from(["", "   ", "\t", "{", '{"content": "cut', "[" * 5000, "\ufeff{}"]),
)


@st.composite
def transcript_events(draw) -> dict:
    block = st.one_of(
        st.fixed_dictionaries({"type": st.just("text"), "text": texts | json_scalars}),
        st.fixed_dictionaries({"type": st.just("tool_use"), "name": texts | json_scalars, "input": json_values}),
        st.fixed_dictionaries({"type": st.just("thinking"), "thinking": texts}),
        st.fixed_dictionaries({"type": st.just("tool_result"), "content": texts}),
        json_values,
    )
    event = {"type": draw(st.sampled_from(["user", "assistant", "summary", "system", "file-history-snapshot"]) | texts)}
    optional = {
        "uuid": st.sampled_from(["u1", "u2", "u3", "u4"]) | json_scalars,
        "sessionId": st.sampled_from(["s1", "s2", "../../etc"]) | json_scalars,
        "timestamp": timestamps.map(lambda v: v.isoformat() if isinstance(v, (date, datetime)) else v),
        "message": st.fixed_dictionaries({"content": texts | st.lists(block, max_size=3) | json_values}) | json_values,
        "isMeta": st.booleans() | json_scalars,
        "isSidechain": st.booleans(),
        "summary": texts | json_scalars,
        "cwd": texts | json_scalars,
    }
    for key, strategy in optional.items():
        value = draw(missing_or(strategy))
        if value != "<missing>":
            event[key] = value
    return event


good_events = st.fixed_dictionaries(
    {"type": st.sampled_from(["user", "assistant"]), "sessionId": st.sampled_from(["s1", "s2"]),
     "message": st.fixed_dictionaries({"content": st.sampled_from(["alpha words", "beta words"])
                                       | st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": st.sampled_from(["gamma", "delta"])}), max_size=2)})},
    optional={"uuid": st.sampled_from(["u1", "u2", "u3"]), "timestamp": st.sampled_from(["2026-10-01T10:00:00Z", 1790000000123])})
transcript_lines = st.one_of(good_events.map(dumps), good_events.map(dumps), transcript_events().map(dumps), transcript_events().map(dumps), transcript_events().map(dumps),
                             json_values.map(dumps), no_newline, raw_bytes, st.sampled_from(["", "  ", "{", "[" * 5000]))


def encode(line) -> bytes:
    return line if isinstance(line, bytes) else line.encode("utf-8", errors="surrogatepass")


def write_jsonl(path: Path, lines, crlf: bool, bom: bool) -> list[bytes]:
    """Write the lines; return them as the reader will see them (BOM off, split on LF)."""
    data = (b"\xef\xbb\xbf" if bom else b"") + (b"\r\n" if crlf else b"\n").join(encode(x) for x in lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return (data[3:] if data.startswith(b"\xef\xbb\xbf") else data).split(b"\n")  # a BOM opening a file is allowed


def parse(raw: bytes):
    """('blank' | 'invalid_utf8' | 'malformed_json' | 'not_an_object' | 'object', value) for one JSONL line."""
    raw = raw.rstrip(b"\r")
    if not raw.strip():
        return "blank", None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid_utf8", None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return "malformed_json", None
    return ("object", value) if isinstance(value, dict) else ("not_an_object", value)


def timestamp_ok(value) -> bool:
    try:
        to_utc(value)
        return True
    except ValueError:
        return False


# ---------------------------------------------------------------- to_utc, excerpt, __SB64__

@FAST
@given(st.one_of(timestamps, json_values, st.datetimes(timezones=st.none() | st.timezones()), st.binary(max_size=10)),
       st.sampled_from(ZONES))
def test_to_utc_parses_or_raises_value_error_only(value, zone):
    try:
        got = to_utc(value, zone)
    except ValueError:
        return
    if value is None:
        assert got is None
        return
    assert got.utcoffset() == timedelta(0)
    assert 1990 <= got.year <= 2200


@FAST
@given(st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2199, 12, 30), timezones=st.timezones() | st.just(UTC),
                    allow_imaginary=False),  # a wall time inside a DST gap names no instant
       st.sampled_from(["T", " "]), st.booleans())
def test_iso_and_epoch_timestamps_round_trip(instant, sep, zulu):
    text = instant.isoformat(sep=sep)
    if zulu and instant.utcoffset() == timedelta(0):
        text = text[: -len("+00:00")] + "Z"
    utc = instant.astimezone(UTC)  # (an ambiguous wall time never equals an instant of another zone, PEP 495)
    assert to_utc(text, ZoneInfo("Asia/Tokyo")) == utc
    assert abs(to_utc(instant.timestamp()) - utc) < timedelta(milliseconds=1)  # a float epoch
    assert abs(to_utc(int(instant.timestamp() * 1000)) - utc) < timedelta(milliseconds=1)  # epoch milliseconds
    naive = instant.replace(tzinfo=None)
    assert to_utc(naive, ZoneInfo("Europe/Berlin")) == naive.replace(tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)


@FAST
@given(st.text() | st.binary())
def test_excerpts_are_short_printable_utf8(text):
    out = excerpt(text)
    assert len(out) <= EXCERPT_CHARS and "\x00" not in out
    out.encode("utf-8")
    valid_utf8(text if isinstance(text, str) else "").encode("utf-8")


@FAST
@given(st.text())
def test_sb64_round_trips_and_garbage_raises_only_decode_errors(text):
    payload = "__SB64__" + base64.b64encode(text.encode("utf-8", errors="surrogatepass")).decode()
    assert decode_sb64(payload) == (valid_utf8(text), True)
    try:
        decoded, flag = decode_sb64("__SB64__" + text)
    except (binascii.Error, ValueError):
        return
    decoded.encode("utf-8")
    assert flag


# ---------------------------------------------------------------- inbox

@FILES
@given(st.lists(inbox_lines, max_size=25), st.booleans(), st.booleans())
def test_inbox_accounts_for_every_line_exactly_once(lines, crlf, bom):
    with tempfile.TemporaryDirectory() as tmp:
        seen = write_jsonl(Path(tmp) / "in.jsonl", lines, crlf, bom)
        read = read_inbox(Path(tmp))
    assert read.available
    kept = {r["source_ref"]: r for r in read.records.iter_rows(named=True)}
    rejected = dict(zip(read.rejects["source_ref"], read.rejects["reason"]))
    assert len(kept) == read.records.height and len(rejected) == read.rejects.height, "one outcome per line"
    assert not set(kept) & set(rejected)
    assert set(rejected.values()) <= INBOX_REASONS
    for number, raw in enumerate(seen, start=1):
        ref = f"in.jsonl:{number}"
        status, value = parse(raw)
        if status == "blank":
            assert ref not in kept and ref not in rejected
        elif status != "object":
            assert rejected.get(ref) == status, (raw, rejected.get(ref))
        elif ref not in kept and ref not in rejected:
            # merged: the same id and content as an earlier kept line (documented: one item)
            earlier = [r for k, r in kept.items() if int(k.rsplit(":", 1)[1]) < number]
            assert any(r["content"] == valid_utf8(value["content"]) for r in earlier), raw
        else:
            content, item_id = value.get("content"), value.get("id")
            well_formed = (isinstance(content, str)
                           and (item_id is None or (isinstance(item_id, (str, int)) and not isinstance(item_id, bool)))
                           and (value.get("project") is None or isinstance(value.get("project"), str))
                           and timestamp_ok(value.get("timestamp")))
            if well_formed:
                assert ref in kept or rejected[ref] == "duplicate_id", (raw, rejected.get(ref))
                if ref in kept:
                    assert kept[ref]["content"] == valid_utf8(content)
            else:
                assert ref in rejected and rejected[ref] != "duplicate_id", raw


# ---------------------------------------------------------------- transcripts

def _kept_texts(message: dict) -> list[str]:
    content = message.get("content")
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [b["text"] for b in content if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str)]
    return []


@FILES
@given(st.lists(transcript_lines, max_size=25), st.booleans(), st.booleans())
def test_transcripts_account_for_every_line_exactly_once(lines, crlf, bom):
    with tempfile.TemporaryDirectory() as tmp:
        seen = write_jsonl(Path(tmp) / "proj" / "file-stem.jsonl", lines, crlf, bom)
        read = read_transcripts(Path(tmp), max_chars=10**9)
    rejected = dict(zip(read.rejects["source_ref"], read.rejects["reason"]))
    assert len(rejected) == read.rejects.height
    assert set(rejected.values()) <= TRANSCRIPT_REASONS
    sessions = {r["natural_key"]: r["content"] for r in read.records.iter_rows(named=True)}
    expected_sessions: set[str] = set()
    uuids: dict[str, set] = {}
    for number, raw in enumerate(seen, start=1):
        ref = f"proj/file-stem.jsonl:{number}"
        status, event = parse(raw)
        if status != "object":
            assert rejected.get(ref) == (None if status == "blank" else status), raw
            continue
        kind = event.get("type")
        if kind not in ("user", "assistant") or event.get("isMeta") or event.get("isSidechain"):
            assert ref not in rejected, raw  # documented noise
            continue
        message = event.get("message")
        if not isinstance(message, dict):
            assert rejected.get(ref) == ("missing_field:message" if message is None else "wrong_type:message"), raw
            continue
        if not timestamp_ok(event.get("timestamp")):
            assert rejected.get(ref) == "bad_timestamp", raw
            continue
        assert ref not in rejected, raw
        sid = event["sessionId"] if isinstance(event.get("sessionId"), str) else "file-stem"
        uid = event.get("uuid")
        if isinstance(uid, str):
            if uid in uuids.setdefault(sid, set()):
                continue  # a repeated line of a resumed session, counted once
            uuids[sid].add(uid)
        for text in _kept_texts(message):
            stripped = text.strip()
            if stripped and not stripped.startswith(("<", "Caveat")):
                expected_sessions.add(sid)
                assert valid_utf8(stripped) in sessions[valid_utf8(sid)], (sid, stripped)
    assert {valid_utf8(s) for s in expected_sessions} <= set(sessions)


# ---------------------------------------------------------------- Crackerjack

cj_ids = st.sampled_from(["a", "b", "c", "d", "cj_unavailable_1"]) | st.none() | st.text(max_size=4)
cj_floats = st.none() | st.floats(allow_nan=True, allow_infinity=True) | st.floats(-10, 200)
cj_stamps = st.none() | iso_stamps | st.text(max_size=12) | st.integers(-(10**20), 10**20).map(str)


@st.composite
def cj_frames(draw):
    n, m = draw(st.integers(0, 12)), draw(st.integers(0, 15))
    results = pl.DataFrame({
        "id": [draw(cj_ids) for _ in range(n)],
        "command": [draw(st.sampled_from(["lint", "test", "<unavailable>"]) | texts) for _ in range(n)],
        "exit_code": [draw(st.none() | st.integers(-(2**63), 2**63 - 1)) for _ in range(n)],
        "execution_time": [draw(cj_floats) for _ in range(n)],
        "timestamp": [draw(cj_stamps) for _ in range(n)],
        "working_directory": [draw(st.none() | texts | st.sampled_from([".", "/tmp/x", "~/p/acb", "../../etc"])) for _ in range(n)],
    }, schema={"id": pl.Utf8, "command": pl.Utf8, "exit_code": pl.Int64, "execution_time": pl.Float64,
               "timestamp": pl.Utf8, "working_directory": pl.Utf8})
    metrics = pl.DataFrame({
        "id": [draw(cj_ids) for _ in range(m)],
        "project_path": [draw(texts) for _ in range(m)],
        "metric_type": [draw(st.sampled_from([*WHITELIST, "health_x", "unavailable"]) | texts) for _ in range(m)],
        "metric_value": [draw(cj_floats) for _ in range(m)],
        "timestamp": [draw(cj_stamps) for _ in range(m)],
        "result_id": [draw(cj_ids) for _ in range(m)],
    }, schema={"id": pl.Utf8, "project_path": pl.Utf8, "metric_type": pl.Utf8, "metric_value": pl.Float64,
               "timestamp": pl.Utf8, "result_id": pl.Utf8})
    return results, metrics


class _Read:
    available, notes = True, []
    test_results = progress_snapshots = None

    def __init__(self, results, metrics):
        self.results, self.metrics = results, metrics


@FAST
@given(cj_frames())
def test_crackerjack_normalise_accounts_for_every_row(frames):
    results, metrics = frames
    q = normalise(_Read(results, metrics))
    by_table = {"crackerjack_results": 0, "quality_metrics_history": 0}
    for r in q.rejects:
        by_table[r["source_ref"].split(":", 1)[0]] += 1
    assert q.runs.height + by_table["crackerjack_results"] + q.counts["synthetic_results"] == results.height
    foreign = sum(q.counts["foreign_metric_types"].values())
    assert q.points.height + by_table["quality_metrics_history"] + foreign + q.counts["synthetic_metric_rows"] == metrics.height
    assert q.runs["run_id"].is_unique().all() and q.points["source_ref"].is_unique().all()
    assert all(0 <= v <= 100 and math.isfinite(v) for v in q.points["value"])
    assert all(t is None or (t >= 0 and math.isfinite(t)) for t in q.runs["execution_time"])
    assert all(d.utcoffset() == timedelta(0) for d in q.runs["observed_at"].to_list() + q.points["observed_at"].to_list())


sqlite_values = st.none() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | texts.map(lambda t: t.replace("\x00", "")) | st.binary(max_size=8)


@DATABASES
@given(st.lists(st.tuples(*[sqlite_values] * 6), max_size=12), st.lists(st.tuples(*[sqlite_values] * 6), max_size=12))
def test_crackerjack_reader_survives_any_stored_value(results, metrics):
    """SQLite is dynamically typed: any value can sit in any column. The read never raises."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "cj.db"
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE crackerjack_results (id TEXT, command TEXT, exit_code INTEGER, execution_time REAL, "
                     "timestamp TIMESTAMP, working_directory TEXT)")
        conn.execute("CREATE TABLE quality_metrics_history (id TEXT, project_path TEXT, metric_type TEXT, metric_value REAL, "
                     "timestamp TIMESTAMP, result_id TEXT)")
        conn.executemany("INSERT INTO crackerjack_results VALUES (?, ?, ?, ?, ?, ?)", results)
        conn.executemany("INSERT INTO quality_metrics_history VALUES (?, ?, ?, ?, ?, ?)", metrics)
        conn.commit()
        conn.close()
        read = read_crackerjack(db, Path(tmp) / "snap")
    assert read.available, read.notes
    assert read.results.height == len(results) and read.metrics.height == len(metrics)
    q = normalise(read)
    assert q.runs.height + q.counts["synthetic_results"] + sum(r["source_ref"].startswith("crackerjack_results") for r in q.rejects) == len(results)


# ---------------------------------------------------------------- knowledge graph

@st.composite
def kg_frames(draw):
    n = draw(st.integers(0, 12))
    ids = st.sampled_from(["e1", "e2", "e3", "e4", "e5"]) | st.text(max_size=3)
    entities = pl.DataFrame({
        "source_id": [draw(ids) for _ in range(n)],
        "name": [draw(st.none() | texts | st.sampled_from(["FastAPI", "fastapi ", " FASTAPI", "\x00", "  "])) for _ in range(n)],
        "entity_type": [draw(st.none() | texts | st.sampled_from(["library", "Libary", "LIBRARIES", "proj", "widget"])) for _ in range(n)],
        "observations": [draw(st.lists(texts, max_size=3)) for _ in range(n)],
        "created_at": [draw(st.none() | st.datetimes(timezones=st.just(UTC))) for _ in range(n)],
        "updated_at": [None] * n,
    }, schema=ENTITY_SCHEMA)
    k = draw(st.integers(0, 8))
    relations = pl.DataFrame([(f"r{i}", draw(ids), draw(ids), draw(st.sampled_from(["uses", "tests"]))) for i in range(k)],
                             schema=RELATION_SCHEMA, orient="row")
    return entities, relations


@FAST
@given(kg_frames())
def test_entities_are_kept_merged_or_rejected_exactly_once(frames):
    entities, relations = frames
    kept, edges, rejects = normalise_entities(entities, relations)
    entity_rejects = [r for r in rejects if r["source_ref"].startswith("kg_entities:")]
    assert kept.height + len(entity_rejects) == entities.height
    assert {r["reason"] for r in entity_rejects} <= {"missing_name", "unknown_type", "duplicate_name", "duplicate_id"}
    assert kept["entity_id"].is_unique().all() and kept["source_id"].is_unique().all()
    assert all(name and "\x00" not in name and name == " ".join(name.split()) for name in kept["name"])
    assert len({n.casefold() for n in kept["name"]}) == kept.height
    relation_rejects = [r for r in rejects if r["source_ref"].startswith("kg_relationships:")]
    assert edges.height + len(relation_rejects) <= relations.height
    assert set(edges["source_entity_id"]) | set(edges["target_entity_id"]) <= set(kept["entity_id"])


# ---------------------------------------------------------------- reflection DB

duck_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@DATABASES
@given(st.lists(st.tuples(st.none() | duck_text, st.none() | duck_text | duck_text.map(lambda t: "__SB64__" + t),
                          st.none() | duck_text | st.sampled_from(["2026-10-01 10:00:00", "1790000000", "infinity"]),
                          st.none() | duck_text | st.just("[" * 3000 + "]" * 3000)), max_size=10))
def test_reflection_rows_are_read_or_rejected_exactly_once(rows):
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "r.duckdb"
        conn = duckdb.connect(str(db))
        conn.execute("CREATE TABLE conversations(id VARCHAR, content VARCHAR, timestamp VARCHAR, metadata VARCHAR)")
        if rows:
            conn.executemany("INSERT INTO conversations VALUES (?, ?, ?, ?)", [list(r) for r in rows])
        conn.close()
        read = read_reflection_db(db, Path(tmp) / "snap")
    assert read.available, read.notes
    assert read.records.height + read.rejects.height == len(rows)
    assert set(read.rejects["reason"]) <= {"missing_field:id", "wrong_type:content", "bad_sb64", "bad_timestamp"}
    assert read.records.height == sum(
        1 for rid, content, stamp, _ in rows
        if rid is not None and content is not None and timestamp_ok(stamp) and _sb64_ok(content))


def _sb64_ok(content: str) -> bool:
    try:
        decode_sb64(content)
        return True
    except (binascii.Error, ValueError):
        return False
