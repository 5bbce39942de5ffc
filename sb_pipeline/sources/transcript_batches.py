"""Which transcript files `transcripts.iter_transcripts` reads together, so that every piece holds whole sessions.

A resumed session goes on in a new file, so files are grouped by every session id a line of theirs could be filed
under (found by scanning bytes, not by parsing every line); files of different groups share no session.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_SESSION_ID = re.compile(rb'"sessionId"\s*:\s*"((?:[^"\\]|\\.)*+)"')


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def session_keys(path: Path) -> set[str]:
    """Every session id `transcripts._read_files` could file a line of `path` under (a superset: its file name,
    and every `"sessionId": "..."` anywhere on a line). A line with a `\\u` escape is parsed, as the key itself or
    its value may be spelled with escapes; an unreadable file is read (and rejected) on its own."""
    keys = {path.stem}
    try:
        data = path.read_bytes()
    except OSError:
        return keys
    for raw in data.split(b"\n"):
        if b"\\u" in raw:
            try:
                event = json.loads(raw.decode("utf-8").lstrip("\ufeff"))
            except (ValueError, RecursionError):
                continue  # rejected by the reader: no session
            if isinstance(event, dict) and isinstance(event.get("sessionId"), str):
                keys.add(event["sessionId"])
        elif b'"sessionId"' in raw:
            for value in _SESSION_ID.findall(raw):
                try:
                    keys.add(json.loads(b'"' + value + b'"') if b"\\" in value else value.decode("utf-8"))
                except ValueError:
                    continue  # invalid UTF-8 or a bad escape: the reader rejects the line
    return keys


def session_groups(paths: list[Path]) -> list[list[Path]]:
    """`paths` (sorted) split into groups that share no session id, each group in order, ordered by its first file."""
    parent = list(range(len(paths)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, path in enumerate(paths):
        for key in session_keys(path):
            j = owner.setdefault(key, i)
            a, b = find(i), find(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, list[Path]] = {}
    for i, path in enumerate(paths):
        groups.setdefault(find(i), []).append(path)
    return list(groups.values())
