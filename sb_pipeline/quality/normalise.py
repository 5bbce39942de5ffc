"""Crackerjack results and metric rows -> runs, metric points, rejects and counts.

Input: the raw frames of `sb_pipeline.sources.crackerjack_db.read_crackerjack`. Output (`QualityFrames`):

- runs: run_id, command, exit_code, success, execution_time, observed_at, project, source_ref
  (one per `crackerjack_results` row except the synthetic `<unavailable>` rows, which are counted);
- points: project, metric, value, observed_at, run_id, formula_era, source_ref
  (whitelisted metric types only; the others are counted by type);
- rejects: dicts {source: "crackerjack", source_ref, reason, excerpt};
- counts: table sizes, kept rows, foreign metric types by type, synthetic results, rejects by reason.

Ids are the source's own: `run_id` is the result id, `source_ref` is `<table>:<id>`, so a re-read of the
same file gives the same rows.

Timestamps: every writer's format ('T' or ' ' separator, with or without fraction, any offset, `Z`) is
parsed with `to_utc` to an aware UTC instant; naive values are read in `naive_tz` (UTC by default, as
Crackerjack writes UTC). Unparseable -> reject `bad_timestamp`. A metric row without a timestamp takes its
result's.

Project rule (`project_key`), deterministic and documented:
1. Normalise the path text: trim, backslashes -> '/', a leading `~` or `~user` is dropped (the home
   directory carries no project name), duplicate slashes collapsed, `.`/`..` segments and trailing slashes
   removed (`posixpath.normpath`).
2. An explicit alias in `known_roots` wins: the longest entry that equals the normalised path or is a
   directory prefix of it gives the project name (`{".": "session-buddy"}` says where the server ran).
3. Nothing left, or only `.`/`..` (the server's working directory, not recorded) -> `unknown`.
4. A temporary directory (`/tmp`, `/var/tmp`, `/private/tmp`, `/var/folders`, `/private/var/folders`) -> `unknown`.
5. Otherwise the last path component: `/home/les/projects/acb/`, `~/projects/acb` and `/home/les//projects/acb`
   are all `acb`. Two different directories with the same final name merge; use `known_roots` to split them.
For a metric row whose own `project_path` gives `unknown`, the project of its linked result is used when
that is known (Crackerjack writes both from the same string, so this rarely changes anything).

Metric types: only WHITELIST reaches `points`. `health_*` (0/1 scale, `crackerjack health`), `unavailable`
(synthetic rows) and the legacy `parsed_*` scores are counted by type in `counts["foreign_metric_types"]`.
Values must be finite and within 0-100 (every whitelisted score is a percentage) -> else `value_out_of_range`.

Ids: a row without an id is rejected (`missing_id`); a second row with an id already read (possible in a
table without a primary key) is rejected as `duplicate_id` and the first, in the file's row order, is kept:
the warehouse appends by id, so the second would otherwise vanish without a trace.
An `execution_time` that is NaN, infinite or negative -> `bad_execution_time`.
A run's `command` is stored with secrets redacted (a `--token=...` on the command line).

`formula_era`: lint_score, security_score and complexity_score changed formula on 2026-07-27 (Crackerjack
commit 7b1a379 and neighbours), a level shift: points before 2026-07-27T00:00Z are `v1`, from then `v2`.
Every other metric is `v2` throughout. Trend code must never compare across eras.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import NamedTuple

import polars as pl

from sb_pipeline.records import redact
from sb_pipeline.records import excerpt
from sb_pipeline.sources.timestamps import to_utc

SOURCE = "crackerjack"
UNKNOWN = "unknown"
WHITELIST = ("build_status", "code_coverage", "lint_score", "security_score", "complexity_score", "test_pass_rate")
PERCENT_METRICS = frozenset(WHITELIST)
FORMULA_CHANGE = datetime(2026, 7, 27, tzinfo=timezone.utc)
ERA_METRICS = frozenset({"lint_score", "security_score", "complexity_score"})
SYNTHETIC_COMMAND = "<unavailable>"
SYNTHETIC_PREFIX = "cj_unavailable_"
TEMP_ROOTS = ("/tmp", "/var/tmp", "/private/tmp", "/var/folders", "/private/var/folders")

RUN_SCHEMA: dict[str, pl.DataType] = {
    "run_id": pl.Utf8,
    "command": pl.Utf8,
    "exit_code": pl.Int64,
    "success": pl.Boolean,
    "execution_time": pl.Float64,
    "observed_at": pl.Datetime("us", "UTC"),
    "project": pl.Utf8,
    "source_ref": pl.Utf8,
}
POINT_SCHEMA: dict[str, pl.DataType] = {
    "project": pl.Utf8,
    "metric": pl.Utf8,
    "value": pl.Float64,
    "observed_at": pl.Datetime("us", "UTC"),
    "run_id": pl.Utf8,
    "formula_era": pl.Utf8,
    "source_ref": pl.Utf8,
}

_TILDE = re.compile(r"^~[^/]*")


@dataclass
class QualityFrames:
    runs: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=RUN_SCHEMA))
    points: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=POINT_SCHEMA))
    rejects: list[dict] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def normalise_path(path: str | None) -> str:
    """The path text in canonical form ('' for nothing); see the module docstring, step 1."""
    if path is None:
        return ""
    text = str(path).strip().replace("\\", "/")
    if not text:
        return ""
    text = _TILDE.sub("", text, count=1)
    if not text:
        return ""
    norm = posixpath.normpath(text)
    if norm.startswith("//"):  # normpath keeps a leading '//' (POSIX allows it); we do not
        norm = "/" + norm.lstrip("/")
    return "" if norm in (".", "/") else norm


def project_key(path: str | None, known_roots: Mapping[str, str] | None = None) -> str:
    """The project a `working_directory` / `project_path` belongs to; the rule is in the module docstring."""
    raw = "" if path is None else str(path).strip()
    norm = normalise_path(raw)
    if known_roots:
        aliases = {normalise_path(k) if k.strip() not in (".", "") else ".": v for k, v in known_roots.items()}
        probe = norm or "."
        best = max((k for k in aliases if k == probe or (k != "." and probe.startswith(k.rstrip("/") + "/"))),
                   key=len, default=None)
        if best is not None:
            return aliases[best]
    if not norm or all(part in ("", ".", "..") for part in norm.split("/")):
        return UNKNOWN
    if any(norm == root or norm.startswith(root + "/") for root in TEMP_ROOTS):
        return UNKNOWN
    return norm.rstrip("/").rsplit("/", 1)[-1] or UNKNOWN


def formula_era(metric: str, observed_at: datetime) -> str:
    return "v1" if metric in ERA_METRICS and observed_at < FORMULA_CHANGE else "v2"


def _reject(rejects: list, ref: str, reason: str, raw: object) -> None:
    text = raw if isinstance(raw, str) else json.dumps(raw, default=str, ensure_ascii=False)
    rejects.append(dict(source=SOURCE, source_ref=ref, reason=reason, excerpt=excerpt(text)))


def _rows(frame: pl.DataFrame | None) -> list[dict]:
    return [] if frame is None or frame.is_empty() else frame.to_dicts()


def normalise(read, known_roots: Mapping[str, str] | None = None, naive_tz: tzinfo = timezone.utc) -> QualityFrames:
    """Runs, metric points, rejects and counts from a `CrackerjackRead` (or anything with the same frames)."""
    out = QualityFrames(notes=list(getattr(read, "notes", [])))
    if not getattr(read, "available", True):
        out.counts = {"available": False}
        return out
    result_rows, metric_rows = _rows(read.results), _rows(read.metrics)
    judge = _RowJudge(known_roots, naive_tz)
    runs = judge.keep(result_rows, "crackerjack_results", judge.run)  # first: metric rows look their result up
    points = judge.keep(metric_rows, "quality_metrics_history", judge.point)
    out.runs = _frame(runs, RUN_SCHEMA, ["observed_at", "run_id"])
    out.points = _frame(points, POINT_SCHEMA, ["project", "metric", "observed_at", "source_ref"])
    out.rejects = judge.rejects
    out.counts = _counts(read, len(result_rows), len(metric_rows), runs, points, judge)
    return out


class _Rejected(NamedTuple):
    reason: str
    raw: object  # what the reject's excerpt is made of


def _utc_or_none(stamp: object, naive_tz: tzinfo) -> datetime | None:
    """`to_utc`, but None for a stamp that does not parse as for a missing one: both are `bad_timestamp`."""
    try:
        return to_utc(stamp, naive_tz)
    except ValueError:
        return None


class _RowJudge:
    """Judges rows one at a time, remembering what later rows are judged against: the ids already read, and
    each result's project, time and synthetic flag (which its metric rows use)."""

    def __init__(self, known_roots: Mapping[str, str] | None, naive_tz: tzinfo) -> None:
        self.known_roots, self.naive_tz = known_roots, naive_tz
        self.rejects: list[dict] = []
        self.result_project: dict[str, str] = {}  # every result id read, synthetic or rejected after the id check too
        self.result_time: dict[str, datetime] = {}  # also of a run rejected for its execution_time
        self.synthetic: set[str] = set()
        self.metric_ids: set = set()
        self.foreign: Counter = Counter()  # metric rows of a type outside WHITELIST, by type
        self.counts: Counter = Counter()  # synthetic_metric_rows, points_project_from_result

    def keep(self, rows: list[dict], table: str, judge) -> list[dict]:
        """The rows `judge` turns into dicts; the ones it rejects go to `rejects`, the ones it skips (None) nowhere."""
        kept = []
        for row in rows:
            ref = f"{table}:{row.get('id')}"
            verdict = judge(row, ref)
            if isinstance(verdict, _Rejected):
                _reject(self.rejects, ref, verdict.reason, verdict.raw)
            elif verdict is not None:
                kept.append(verdict)
        return kept

    def run(self, row: dict, ref: str) -> dict | _Rejected | None:
        """A `crackerjack_results` row as a run, a reject, or None for a synthetic result (counted, not a run).
        The result's project and time are recorded as soon as known, for its metric rows."""
        rid = row.get("id")
        if rid is None:
            return _Rejected("missing_id", row)
        if rid in self.result_project:
            return _Rejected("duplicate_id", row)
        project = self.result_project[rid] = project_key(row.get("working_directory"), self.known_roots)
        if row.get("command") == SYNTHETIC_COMMAND or str(rid).startswith(SYNTHETIC_PREFIX):
            self.synthetic.add(rid)
            return None
        observed = _utc_or_none(row.get("timestamp"), self.naive_tz)
        if observed is None:
            return _Rejected("bad_timestamp", str(row.get("timestamp")))
        self.result_time[rid] = observed
        exec_time = row.get("execution_time")
        if exec_time is not None and (math.isnan(exec_time) or math.isinf(exec_time) or exec_time < 0):
            return _Rejected("bad_execution_time", str(exec_time))
        exit_code = row.get("exit_code")
        command = row.get("command")
        command = redact(command).text if isinstance(command, str) else command  # `--token=...` on a command line
        return dict(run_id=rid, command=command, exit_code=exit_code, success=exit_code == 0,
                    execution_time=exec_time, observed_at=observed, project=project, source_ref=ref)

    def point(self, row: dict, ref: str) -> dict | _Rejected | None:
        """A `quality_metrics_history` row as a metric point, a reject, or None for a row that is only counted
        (a type outside WHITELIST, a synthetic result's metric). Without a timestamp it takes its result's."""
        mid, metric, rid = row.get("id"), row.get("metric_type"), row.get("result_id")
        if metric not in PERCENT_METRICS:
            self.foreign[str(metric)] += 1
            return None
        if rid in self.synthetic:
            self.counts["synthetic_metric_rows"] += 1
            return None
        if mid is None:
            return _Rejected("missing_id", row)
        if mid in self.metric_ids:
            return _Rejected("duplicate_id", row)
        self.metric_ids.add(mid)
        stamp = row.get("timestamp")
        observed = _utc_or_none(stamp, self.naive_tz) if stamp is not None else self.result_time.get(rid)
        if observed is None:
            return _Rejected("bad_timestamp", str(stamp))
        value = row.get("metric_value")
        if value is None:
            return _Rejected("missing_value", row)
        if math.isnan(value) or math.isinf(value) or value < 0 or value > 100:
            return _Rejected("value_out_of_range", f"{metric}={value}")
        return dict(project=self._point_project(row, rid), metric=metric, value=float(value), observed_at=observed,
                    run_id=rid, formula_era=formula_era(metric, observed), source_ref=ref)

    def _point_project(self, row: dict, rid: object) -> str:
        """The row's own project, or its result's when its own is `unknown` (see the module docstring)."""
        project = project_key(row.get("project_path"), self.known_roots)
        if project == UNKNOWN and self.result_project.get(rid, UNKNOWN) != UNKNOWN:
            project = self.result_project[rid]
            self.counts["points_project_from_result"] += 1
        return project


def _frame(rows: list[dict], schema: dict[str, pl.DataType], sort_by: list[str]) -> pl.DataFrame:
    return (pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)).sort(sort_by)


def _counts(read, n_results: int, n_metric_rows: int, runs: list[dict], points: list[dict], judge: _RowJudge) -> dict:
    """`QualityFrames.counts`: table sizes, what was kept, what was only counted, and rejects by reason."""
    reasons: Counter = Counter((r["source_ref"].split(":", 1)[0], r["reason"]) for r in judge.rejects)

    def rejects_of(table: str) -> dict[str, int]:
        return dict(sorted((r, n) for (t, r), n in reasons.items() if t == table))

    return {
        "available": True,
        "tables": {"crackerjack_results": n_results, "quality_metrics_history": n_metric_rows,
                   "test_results": 0 if read.test_results is None else read.test_results.height,
                   "progress_snapshots": 0 if read.progress_snapshots is None else read.progress_snapshots.height},
        "runs": len(runs),
        "synthetic_results": len(judge.synthetic),
        "synthetic_metric_rows": judge.counts["synthetic_metric_rows"],
        "metric_points": len(points),
        "metric_points_by_type": dict(sorted(Counter(p["metric"] for p in points).items())),
        "foreign_metric_types": dict(sorted(judge.foreign.items())),
        "rejects": {"run": rejects_of("crackerjack_results"), "metric": rejects_of("quality_metrics_history")},
        "runs_by_project": dict(sorted(Counter(r["project"] for r in runs).items())),
        "points_project_from_result": judge.counts["points_project_from_result"],
    }
