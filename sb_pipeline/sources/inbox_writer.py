"""Writing one item to a pipeline-owned inbox folder: how the MCP server stores a conversation.

The server never writes the warehouse (one writer: the pipeline). It appends one line in the inbox format
(`inbox.py`) to `<folder>/mcp-<YYYY-MM>.jsonl`; the `new_conversations_sensor` sees the file change and
the normal flow ingests, chunks, embeds and indexes it. Secrets are redacted before the line is written.
The line is written with one `write()` on a file opened for appending, under an exclusive `flock`, so two
writers (two assistants, two server processes) never interleave half lines.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sb_pipeline.records import redact


@dataclass(frozen=True)
class Stored:
    id: str
    file: Path
    secrets_redacted: int


def append_to_inbox(folder: Path, content: str, project: str | None = None, now: datetime | None = None,
                    origin: str = "mcp") -> Stored:
    """Append one redacted item; its id is a hash of its text and time, so a retry of the same call with the
    same clock is the same item (the reader merges identical lines)."""
    now = now or datetime.now(timezone.utc)
    red = redact(content)
    project = redact(project).text if project else None
    item_id = f"{origin}-" + hashlib.sha256(f"{now.isoformat()}\x1f{red.text}".encode()).hexdigest()[:24]
    line = json.dumps({"id": item_id, "project": project, "timestamp": now.isoformat(), "content": red.text},
                      ensure_ascii=False) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{origin}-{now:%Y-%m}.jsonl"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        data = line.encode("utf-8")
        written = os.write(fd, data)
        if written != len(data):  # a full disk: never leave half a line behind a later whole one
            raise OSError(f"wrote {written} of {len(data)} bytes to {path}")
    finally:
        os.close(fd)  # closing releases the lock
    return Stored(item_id, path, red.count)
