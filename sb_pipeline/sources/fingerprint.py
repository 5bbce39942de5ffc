"""What a sensor may know about a source without touching it: names, sizes and mtimes.

Sensors tick every 60 s (120 s for the embedding backfill) inside the code server and must never
open (so never lock) a user's database or the warehouse; a `stat` is enough to tell that something
changed. A folder stands for the files below it that a reader would read.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sb_pipeline.sources.snapshot import SIDE_FILES


def _entry(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def fingerprint(files: list[Path] = (), folders: list[tuple[Path, str]] = ()) -> dict:
    """{"digest", "files"}: a digest of (path, size, mtime) for each file (and its DuckDB/SQLite WAL) and
    each folder's matching files; missing paths count as missing, never as an error."""
    entries: dict[str, list[int] | None] = {}
    for path in files:
        path = Path(path).expanduser()
        for candidate in (path, *(path.with_name(path.name + suffix) for suffix in SIDE_FILES)):
            if candidate == path or candidate.exists():
                entries[str(candidate)] = _entry(candidate)
    for folder, pattern in folders:
        folder = Path(folder).expanduser()
        matches = sorted(folder.rglob(pattern)) if folder.is_dir() else []
        entries[str(folder)] = [len(matches)] if folder.is_dir() else None
        for match in matches:
            entries[str(match)] = _entry(match)
    digest = hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()[:24]
    return {"digest": digest, "files": sum(1 for v in entries.values() if v is not None)}
