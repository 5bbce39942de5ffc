"""One line of a JSON-lines file as an object, or the first thing wrong with it.

The inbox and Claude Code transcripts are both JSON lines, and a line goes wrong in the same few ways in
either: it is not UTF-8, not JSON, or not an object. Each reader then judges the object's own fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import NamedTuple

BOM = b"\xef\xbb\xbf"


class Rejected(NamedTuple):
    """A line that is not taken: why (the reject's reason), and the line for its excerpt."""

    reason: str
    line: str | bytes


class JsonObject(NamedTuple):
    value: dict
    text: str  # the line, decoded


def numbered_lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, raw line); a leading BOM (an editor's save) is dropped, or line 1 would be malformed."""
    return enumerate((data[len(BOM):] if data.startswith(BOM) else data).split(b"\n"), start=1)


def json_object(raw: bytes) -> JsonObject | Rejected | None:
    """The line's object; None for a blank line; else `invalid_utf8`, `malformed_json` or `not_an_object`."""
    raw = raw.rstrip(b"\r")
    if not raw.strip():
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Rejected("invalid_utf8", raw)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return Rejected("malformed_json", text)
    if not isinstance(value, dict):
        return Rejected("not_an_object", text)
    return JsonObject(value, text)
