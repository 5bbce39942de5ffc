"""A JSON-lines line is judged alike by every reader: an object, a blank, or the first thing wrong with it."""

from sb_pipeline.records import JsonObject, Rejected, json_object, numbered_lines


def test_each_way_a_line_goes_wrong_has_its_reason():
    assert json_object(b"   \r") is None
    assert json_object(b'{"a": 1}\r') == JsonObject({"a": 1}, '{"a": 1}')
    assert json_object(b"\xff\xfe{}") == Rejected("invalid_utf8", b"\xff\xfe{}")
    assert json_object(b'{"a": ') == Rejected("malformed_json", '{"a": ')
    assert json_object(b"[1, 2]") == Rejected("not_an_object", "[1, 2]")
    assert json_object(b"[" * 100_000 + b"]" * 100_000).reason == "malformed_json"


def test_lines_are_numbered_from_one_and_a_bom_is_dropped():
    assert list(numbered_lines(b'\xef\xbb\xbf{"a": 1}\n\n{"b": 2}')) == [(1, b'{"a": 1}'), (2, b""), (3, b'{"b": 2}')]
