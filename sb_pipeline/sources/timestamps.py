"""Timestamps from many writers, parsed to aware UTC datetimes.

Session Buddy writes naive TIMESTAMP columns (their zone is the writer's session zone, which is
not recorded), Claude Code writes `...Z` strings, SQLite rows mix 'T' and ' ' separators, and
inbox tools send whatever they like. Naive values are read in `naive_tz` (default UTC,
`SB_SOURCE_TZ` to change it); anything unparseable raises ValueError so the caller can reject it.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timezone, tzinfo
from zoneinfo import ZoneInfo

_MIN_YEAR, _MAX_YEAR = 1990, 2200


def zone(name: str | None) -> tzinfo:
    if not name or name.upper() == "UTC":
        return timezone.utc
    return ZoneInfo(name)


def to_utc(value: object, naive_tz: tzinfo = timezone.utc) -> datetime | None:
    """Parse `value` to an aware UTC datetime; None stays None; garbage raises ValueError.

    Only ValueError: absurd values (`1e20` or a 400-digit epoch, year 1 with a positive offset)
    make the datetime machinery raise OverflowError or OSError, which are turned into ValueError
    here so that every caller's `except ValueError` rejects the row instead of failing the read."""
    if value is None:
        return None
    try:
        return _to_utc(value, naive_tz)
    except (OverflowError, OSError) as exc:
        raise ValueError(f"timestamp out of range: {str(value)[:40]!r}") from exc


def _to_utc(value: object, naive_tz: tzinfo) -> datetime:
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    elif isinstance(value, (int, float)):
        dt = _from_epoch(float(value))
    elif isinstance(value, str):
        dt = _from_string(value.strip())
    else:
        raise ValueError(f"not a timestamp: {type(value).__name__}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=naive_tz)
    dt = dt.astimezone(timezone.utc)
    if not (_MIN_YEAR <= dt.year <= _MAX_YEAR):
        raise ValueError(f"timestamp out of range: {dt.isoformat()}")
    return dt


def _from_epoch(seconds: float) -> datetime:
    if math.isnan(seconds) or math.isinf(seconds):
        raise ValueError("timestamp is not finite")
    if seconds > 1e11:  # milliseconds since the epoch
        seconds /= 1000.0
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def _from_string(text: str) -> datetime:
    if not text:
        raise ValueError("empty timestamp")
    if text.replace(".", "", 1).isdigit():
        return _from_epoch(float(text))
    normalised = text.replace(" ", "T", 1)
    if normalised.endswith(("Z", "z")):
        normalised = normalised[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(normalised)
    except ValueError as exc:
        raise ValueError(f"unparseable timestamp: {text[:40]!r}") from exc
