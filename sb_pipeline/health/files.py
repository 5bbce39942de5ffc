"""What can be learnt about a database file without opening it with a database engine.

Why the header and not the extension: users rename files, and Session Buddy's folder holds `.db` files of
both engines. Opening a file with the wrong engine is not harmless either: DuckDB, handed a SQLite file,
tries to download its sqlite extension from the network. So the engine is read from the magic bytes first
(SQLite: `SQLite format 3\\0` at offset 0; DuckDB: `DUCK` at offset 8, after the header checksum).

Why `fcntl(F_GETLK)` for locks: it asks the kernel which process would block a lock, without taking one
and without opening the file in a database engine, so probing a store never disturbs the process that owns
it. DuckDB takes a whole-file POSIX lock (write lock when read-write), SQLite takes byte-range locks during
transactions; both show up. A lock held by this very process is invisible to F_GETLK (POSIX semantics), and
closing any descriptor of a file drops this process's locks on it, so the probe is never used on a file the
process itself may hold (the warehouse).
"""

from __future__ import annotations

import fcntl
import os
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"
DUCKDB_MAGIC = b"DUCK"
SIDE_SUFFIXES = (".wal", "-wal", "-journal", "-shm")

# struct flock differs by platform: Linux (type, whence, start, len, pid), BSD/macOS (start, len, pid, type, whence).
_FLOCK_DARWIN = sys.platform == "darwin"


def detect_engine(path: Path) -> str:
    """`duckdb`, `sqlite`, `empty` (0 bytes) or `unknown`, from the file's first bytes."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if not head:
        return "empty"
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if len(head) >= 12 and head[8:12] == DUCKDB_MAGIC:
        return "duckdb"
    return "unknown"


def side_files(path: Path) -> dict[str, int]:
    """Write-ahead logs and journals next to the file, with their sizes (they hold committed writes: never delete them)."""
    out = {}
    for suffix in SIDE_SUFFIXES:
        side = path.with_name(path.name + suffix)
        try:
            out[side.name] = side.stat().st_size
        except OSError:
            pass
    return out


@dataclass(frozen=True)
class LockState:
    locked: bool              # another process holds a write lock: DuckDB refuses every other opener
    holder: str | None        # "PID 1234 (python3)" when known
    kind: str | None          # "read-write" or "read-only"
    waited_seconds: float


def _query_lock(fd: int) -> tuple[int, int]:
    """(lock type that would block a whole-file write lock, holder pid); F_UNLCK when nothing would."""
    if _FLOCK_DARWIN:
        fmt = "qqihh"
        request = struct.pack(fmt, 0, 0, 0, fcntl.F_WRLCK, os.SEEK_SET)
        start, length, pid, ltype, whence = struct.unpack(fmt, fcntl.fcntl(fd, fcntl.F_GETLK, request))
    else:
        fmt = "hhqqi"
        request = struct.pack(fmt, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        ltype, whence, start, length, pid = struct.unpack(fmt, fcntl.fcntl(fd, fcntl.F_GETLK, request))
    return ltype, pid


def _process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def probe_lock(path: Path, wait_seconds: float = 2.0, poll: float = 0.1) -> LockState:
    """Whether another process holds `path`, waiting at most `wait_seconds` for a write lock to go away
    (a writer between two statements releases nothing, a finished transaction does). Never blocks longer."""
    started = time.monotonic()
    deadline = started + max(wait_seconds, 0.0)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return LockState(False, None, None, 0.0)
    try:
        while True:
            try:
                ltype, pid = _query_lock(fd)
            except OSError:
                return LockState(False, None, None, time.monotonic() - started)
            if ltype == fcntl.F_UNLCK:
                return LockState(False, None, None, time.monotonic() - started)
            name = _process_name(pid)
            holder = f"PID {pid}" + (f" ({name})" if name else "")
            if ltype == fcntl.F_RDLCK:  # readers do not block a snapshot copy, nor each other
                return LockState(False, holder, "read-only", time.monotonic() - started)
            if time.monotonic() >= deadline:
                return LockState(True, holder, "read-write", time.monotonic() - started)
            time.sleep(poll)
    finally:
        os.close(fd)
