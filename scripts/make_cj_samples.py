"""Rebuild the sample Crackerjack integration database under data/samples/ from scratch.

    .venv/bin/python scripts/make_cj_samples.py

Writes crackerjack_integration.db (Session Buddy's SQLite schema, section 1.4 of the reference, with
its real indexes), the ground truth CJ_MANIFEST.json and CJ_README.md. Fixed seed, timestamps relative
to the fixed reference date 2026-11-20T00:00Z: table contents, manifest and README are identical on
every run. Rows are written the way Crackerjack writes them (ids `cj_<ms>`, `metric_<result_id>_<metric>`,
'T' + '+00:00' timestamps in results/metrics/progress, ' ' separator in test_results), including the traps:
"."/trailing-slash/`~`/duplicate-slash/absolute paths for one project, foreign `health_*` rows on a 0/1
scale, synthetic `<unavailable>` rows, legacy `test_pass_rate`/`parsed_quality` rows before 2026-07-27,
the 2026-07-27 lint/security/complexity formula change (a level shift), timeouts (-1), exceptions (-2).
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
DB_NAME = "crackerjack_integration.db"
SEED = 20261120
UTC = timezone.utc
REF = datetime(2026, 11, 20, tzinfo=UTC)
FIRST_DAY = datetime(2026, 7, 13, tzinfo=UTC)  # thin tail before the 2026-07-27 formula change
FORMULA_CHANGE = datetime(2026, 7, 27, tzinfo=UTC)
UNAVAILABLE_FROM = datetime(2026, 8, 1, tzinfo=UTC)
RECENT_DAYS, BASELINE_DAYS = 7, 28
WHITELIST = ("build_status", "code_coverage", "lint_score", "security_score", "complexity_score", "test_pass_rate")
HOME = "/home/les"

DDL = """
CREATE TABLE crackerjack_results (id TEXT PRIMARY KEY, command TEXT NOT NULL, exit_code INTEGER, stdout TEXT,
  stderr TEXT, execution_time REAL, timestamp TIMESTAMP, working_directory TEXT, parsed_data TEXT,
  quality_metrics TEXT, memory_insights TEXT);
CREATE TABLE test_results (id TEXT PRIMARY KEY, result_id TEXT NOT NULL, test_name TEXT NOT NULL, status TEXT NOT NULL,
  duration REAL, file_path TEXT, line_number INTEGER, error_message TEXT, timestamp TIMESTAMP,
  FOREIGN KEY (result_id) REFERENCES crackerjack_results(id));
CREATE TABLE progress_snapshots (id TEXT PRIMARY KEY, project_path TEXT NOT NULL, command TEXT NOT NULL, stage TEXT,
  progress_percentage REAL, current_task TEXT, completed_tasks TEXT, failed_tasks TEXT, quality_metrics TEXT,
  timestamp TIMESTAMP, memory_context TEXT);
CREATE TABLE quality_metrics_history (id TEXT PRIMARY KEY, project_path TEXT NOT NULL, metric_type TEXT NOT NULL,
  metric_value REAL NOT NULL, timestamp TIMESTAMP, result_id TEXT,
  FOREIGN KEY (result_id) REFERENCES crackerjack_results(id));
CREATE INDEX idx_results_timestamp ON crackerjack_results(timestamp);
CREATE INDEX idx_results_command ON crackerjack_results(command);
CREATE INDEX idx_test_results_status ON test_results(status);
CREATE INDEX idx_progress_project ON progress_snapshots(project_path);
CREATE INDEX idx_metrics_type ON quality_metrics_history(metric_type);
"""

# Mean execution time (s) per command; `all` runs every hook (~117 s).
EXEC_TIME = {"analyze": 64.0, "check": 41.0, "test": 88.0, "lint": 7.5, "format": 2.8, "typecheck": 24.0,
             "security": 11.5, "complexity": 5.5, "all": 117.0}
EMITS = {  # which score a command's parsed output yields (besides build_status)
    "code_coverage": {"test", "check", "all"},
    "lint_score": {"lint", "check", "all", "analyze"},
    "security_score": {"security", "all", "analyze"},
    "complexity_score": {"complexity", "all", "analyze"},
    "test_pass_rate": {"test", "all"},  # legacy, until 2026-07-27
}
FULL_MIX = {"analyze": 3, "check": 5, "test": 6, "lint": 6, "format": 3, "typecheck": 3, "security": 2, "complexity": 2, "all": 3}
SMALL_MIX = {"check": 5, "test": 6, "lint": 6, "format": 3, "typecheck": 3}  # E: no security/complexity/all/analyze


def _path_variants(name: str) -> list[tuple[str, float]]:
    abs_path = f"{HOME}/projects/{name}"
    return [(abs_path, 0.7), (abs_path + "/", 0.12), (f"~/projects/{name}", 0.1), (f"{HOME}//projects/{name}", 0.08)]


PROJECTS = {
    "session-buddy": dict(rate=2.6, mix=FULL_MIX),
    "crackerjack": dict(rate=2.6, mix=FULL_MIX),
    "acb": dict(rate=2.3, mix=FULL_MIX),
    "fastblocks": dict(rate=2.3, mix=FULL_MIX, dot_share=0.15),
    "splashstand": dict(rate=2.1, mix=SMALL_MIX),
}
# v2-era stable means; v1 (before 2026-07-27) for lint/security/complexity is the old formula's level.
BASE = {
    "session-buddy": dict(code_coverage=78, lint_score=88, security_score=94, complexity_score=72),
    "crackerjack": dict(code_coverage=82, lint_score=90, security_score=96, complexity_score=68),
    "acb": dict(code_coverage=71, lint_score=86, security_score=92, complexity_score=66),
    "fastblocks": dict(code_coverage=64, lint_score=84, security_score=90, complexity_score=74),
    "splashstand": dict(code_coverage=88, lint_score=92, security_score=97, complexity_score=80),
}
V1_LEVEL = {"lint_score": 97.0, "security_score": 100.0, "complexity_score": 93.0}
NOISE = {"code_coverage": 1.2, "lint_score": 1.5, "security_score": 1.5, "complexity_score": 1.5}
NOISY = {"fastblocks": 4.0}  # pure noise around a stable mean

TESTS = ["test_store_result", "test_parse_output", "test_quality_trends", "test_progress_snapshot", "test_health_check",
         "test_failure_patterns", "test_metrics_history", "test_command_mapping", "test_timeout_path", "test_json_roundtrip"]


def iso(dt: datetime) -> str:
    return dt.isoformat()  # 'T', '+00:00'; no fraction when microsecond == 0 (Python's isoformat)


def planted_value(rng: random.Random, project: str, metric: str, t: datetime) -> float | None:
    days_before_ref = (REF - t).total_seconds() / 86400
    base = BASE[project][metric]
    sd = NOISY.get(project, NOISE[metric])
    if metric in V1_LEVEL and t < FORMULA_CHANGE:
        base, sd = V1_LEVEL[metric] - (3.0 if metric == "lint_score" else 0.0), 1.0
        return round(min(100.0, max(0.0, rng.gauss(base, sd))), 2)
    if project == "session-buddy" and metric == "lint_score" and days_before_ref <= RECENT_DAYS:
        base = 61.0  # sustained ~30% drop
    if project == "crackerjack" and metric == "code_coverage" and days_before_ref <= RECENT_DAYS:
        base = 71.5  # ~13% drop
    if project == "acb" and metric == "complexity_score" and days_before_ref <= 30:
        base = 66.0 + (30 - days_before_ref) / 30 * 20.0  # improves from 66 to 86 over the last 30 days
    return round(min(100.0, max(0.0, rng.gauss(base, sd))), 2)


def build(rng: random.Random):
    results, metrics, tests, progress = [], [], [], []
    expected_key: dict[str, str] = {}  # result id -> project key the normaliser must give
    used_ms: set[int] = set()

    def new_ms(t: datetime) -> int:
        ms = int(t.timestamp() * 1000)
        while ms in used_ms:
            ms += 1
        used_ms.add(ms)
        return ms

    def add_metric(rid, path, metric, value, ts, key):
        metrics.append(dict(id=f"metric_{rid}_{metric}", project_path=path, metric_type=metric, metric_value=value,
                            timestamp=ts, result_id=rid, _key=key))

    days = (REF - FIRST_DAY).days
    for name, spec in PROJECTS.items():
        variants = _path_variants(name)
        for d in range(days):
            day = FIRST_DAY + timedelta(days=d)
            n = min(8, int(rng.expovariate(1 / spec["rate"]) + 0.5))
            for _ in range(n):
                start = day + timedelta(seconds=rng.randint(7 * 3600, 21 * 3600), microseconds=rng.randint(0, 999) * 1000)
                command = rng.choices(list(spec["mix"]), weights=list(spec["mix"].values()))[0]
                r = rng.random()
                exit_code = -1 if r < 0.012 else -2 if r < 0.018 else 1 if r < 0.05 else 0
                exec_time = 300.0 + rng.random() if exit_code == -1 else round(rng.uniform(0.2, 3.0), 3) if exit_code == -2 \
                    else round(max(0.5, rng.lognormvariate(0, 0.25) * EXEC_TIME[command]), 3)
                end = start + timedelta(seconds=exec_time)
                if rng.random() < 0.3:
                    end = end.replace(microsecond=0)  # isoformat then has no fraction
                if spec.get("dot_share") and rng.random() < spec["dot_share"]:
                    path, key = ".", "unknown"
                else:
                    path, key = rng.choices([v for v, _ in variants], weights=[w for _, w in variants])[0], name
                rid = f"cj_{new_ms(start)}"
                results.append(_result(rid, command, exit_code, exec_time, iso(end), path))
                expected_key[rid] = key
                qm = {"build_status": 100.0 if exit_code == 0 else 0.0}
                if exit_code in (0, 1):
                    for metric, cmds in EMITS.items():
                        if command not in cmds:
                            continue
                        if metric == "test_pass_rate":
                            if end < FORMULA_CHANGE:
                                qm[metric] = round(min(100.0, rng.gauss(97.0, 1.5)), 2)
                            continue
                        qm[metric] = planted_value(rng, name, metric, end)
                    if end < FORMULA_CHANGE and command in ("analyze", "all", "check") and rng.random() < 0.5:
                        qm["parsed_quality"] = float(rng.randint(70, 95))
                for metric, value in qm.items():
                    add_metric(rid, path, metric, value, iso(end), key)
                results[-1]["quality_metrics"] = json.dumps(qm)
                if command == "test" and exit_code in (0, 1):
                    for tn in rng.sample(TESTS, rng.randint(2, 4)):
                        status = "failed" if exit_code == 1 and rng.random() < 0.5 else rng.choices(["passed", "skipped"], [9, 1])[0]
                        tests.append(dict(id=f"test_{rid}_{rng.randint(-2**62, 2**62)}", result_id=rid, test_name=tn,
                                          status=status, duration=round(rng.uniform(0.01, 2.5), 4),
                                          file_path=f"tests/unit/test_{tn[5:]}.py", line_number=rng.randint(10, 400),
                                          error_message="AssertionError: expected 1 == 2" if status == "failed" else None,
                                          timestamp=str(end)))  # SQLite's default adapter: ' ' separator
                if command in ("analyze", "all", "check") and rng.random() < 0.5:
                    done = exit_code == 0
                    progress.append(dict(id=f"progress_{rid}", project_path=path, command=command,
                                         stage="complete" if done else "failed", progress_percentage=100.0 if done else 60.0,
                                         current_task="finalize" if done else "tests",
                                         completed_tasks=json.dumps(["format", "lint", "tests"] if done else ["format", "lint"]),
                                         failed_tasks=json.dumps([] if done else ["tests"]), quality_metrics=json.dumps(qm),
                                         timestamp=iso(end), memory_context=json.dumps({})))

    # E (splashstand): a single bad lint run 3 days ago; security_score with only 3 points; a few failed builds.
    for days_ago, command, exit_code, extra in [(3.4, "lint", 1, {"lint_score": 40.0}),
                                                (19.2, "security", 0, {"security_score": 96.5}),
                                                (11.6, "security", 0, {"security_score": 97.0}),
                                                (2.3, "security", 0, {"security_score": 96.0})]:
        end = REF - timedelta(days=days_ago)
        rid = f"cj_{new_ms(end - timedelta(seconds=10))}"
        path = f"{HOME}/projects/splashstand"
        qm = {"build_status": 100.0 if exit_code == 0 else 0.0, **extra}
        results.append(_result(rid, command, exit_code, 9.8, iso(end), path, quality_metrics=json.dumps(qm)))
        expected_key[rid] = "splashstand"
        for metric, value in qm.items():
            add_metric(rid, path, metric, value, iso(end), "splashstand")

    # A few throw-away temp directories (crackerjack's own tests): project "unknown".
    for i in range(6):
        end = REF - timedelta(days=80 - 12 * i, hours=3)
        rid = f"cj_{new_ms(end - timedelta(seconds=4))}"
        path = f"/tmp/tmp{uuid.UUID(int=rng.getrandbits(128)).hex[:8]}"
        results.append(_result(rid, "test", 0, 3.9, iso(end), path, quality_metrics=json.dumps({"build_status": 100.0})))
        expected_key[rid] = "unknown"
        add_metric(rid, path, "build_status", 100.0, iso(end), "unknown")

    # Synthetic <unavailable> rows (since 2026-08): every quality source failed.
    for i in range(12):
        name = list(PROJECTS)[i % len(PROJECTS)]
        end = UNAVAILABLE_FROM + timedelta(days=7 * i + 1.3, minutes=i)
        ms = new_ms(end)
        rid = f"cj_unavailable_{ms}"
        path = f"{HOME}/projects/{name}"
        results.append(_result(rid, "<unavailable>", -1, 0.0, iso(end), path, quality_metrics=json.dumps({"unavailable": 1})))
        expected_key[rid] = name
        metrics.append(dict(id=f"metric_{rid}_unavailable", project_path=path, metric_type="unavailable", metric_value=1.0,
                            timestamp=iso(end), result_id=rid, _key=name))

    # Foreign `crackerjack health` rows: 0/1 scale, result_id health_<uuid> with no parent row.
    for name in PROJECTS:
        for week in range(0, 18):
            end = FIRST_DAY + timedelta(days=7 * week + 2, hours=rng.randint(8, 18), seconds=rng.randint(0, 3599))
            hid = f"health_{uuid.UUID(int=rng.getrandbits(128), version=4)}"
            for metric in ("health_adapters", "health_managers", "health_services"):
                metrics.append(dict(id=f"metric_{hid}_{metric}", project_path=f"{HOME}/projects/{name}", metric_type=metric,
                                    metric_value=0.0 if rng.random() < 0.1 else 1.0, timestamp=iso(end), result_id=hid, _key=name))

    # Traps for the normaliser (fastblocks, kept off the planted series' windows).
    traps = Counter()
    fb = f"{HOME}/projects/fastblocks"
    for days_ago, metric, value, ts, reason in [(40.2, "code_coverage", 104.7, None, "value_out_of_range"),
                                                (45.5, "lint_score", -3.0, None, "value_out_of_range"),
                                                (50.1, "security_score", 93.0, "2026-13-45T25:61:00+00:00", "bad_timestamp")]:
        end = REF - timedelta(days=days_ago)
        rid = f"cj_{new_ms(end - timedelta(seconds=60))}"
        qm = {"build_status": 100.0, metric: value}
        results.append(_result(rid, "analyze", 0, 61.2, iso(end), fb, quality_metrics=json.dumps(qm)))
        expected_key[rid] = "fastblocks"
        add_metric(rid, fb, "build_status", 100.0, iso(end), "fastblocks")
        metrics.append(dict(id=f"metric_{rid}_{metric}", project_path=fb, metric_type=metric, metric_value=value,
                            timestamp=ts or iso(end), result_id=rid, _key="fastblocks", _reject=reason))
        traps[("metric", reason)] += 1
    for days_ago, exec_time, ts, reason in [(60.3, -4.2, None, "bad_execution_time"), (61.7, None, None, None),
                                            (62.9, 12.0, "not a timestamp", "bad_timestamp")]:
        end = REF - timedelta(days=days_ago)
        rid = f"cj_{new_ms(end - timedelta(seconds=12))}"
        results.append(_result(rid, "lint", 0, exec_time, ts or iso(end), fb, quality_metrics=json.dumps({})))
        results[-1]["_reject"] = reason
        expected_key[rid] = "fastblocks"
        if reason:
            traps[("run", reason)] += 1
    return results, metrics, tests, progress, expected_key, traps


def _result(rid, command, exit_code, exec_time, ts, path, quality_metrics="{}"):
    ok = exit_code == 0
    return dict(id=rid, command=command, exit_code=exit_code,
                stdout=f"crackerjack {command}: {'passed' if ok else 'failed'}",
                stderr="" if exit_code >= 0 else ("Command timed out after 300 seconds" if exit_code == -1 else "Execution failed: OSError"),
                execution_time=exec_time, timestamp=ts, working_directory=path,
                parsed_data=json.dumps({"lint_summary": {"total_issues": 0 if ok else 3}}), quality_metrics=quality_metrics,
                memory_insights="[]")


def _clean(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def write_db(path: Path, results, metrics, tests, progress) -> None:
    for side in (path, path.with_name(path.name + "-journal"), path.with_name(path.name + "-wal")):
        side.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(DDL)
    for table, rows in (("crackerjack_results", results), ("quality_metrics_history", metrics),
                        ("test_results", tests), ("progress_snapshots", progress)):
        rows = sorted((_clean(r) for r in rows), key=lambda r: r["id"])
        cols = list(rows[0])
        conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                         [tuple(r[c] for c in cols) for r in rows])
    conn.commit()
    conn.execute("VACUUM")
    conn.close()


def series_stats(metrics, expected_key) -> dict:
    """Per (project key, metric): v2-era valid points in the recent and baseline windows."""
    recent_from = REF - timedelta(days=RECENT_DAYS)
    base_from = recent_from - timedelta(days=BASELINE_DAYS)
    out = defaultdict(lambda: {"recent": [], "baseline": [], "all_v2": 0})
    for m in metrics:
        if m["metric_type"] not in WHITELIST or m.get("_reject"):
            continue
        t = datetime.fromisoformat(m["timestamp"])
        if m["metric_type"] in V1_LEVEL and t < FORMULA_CHANGE:
            continue
        s = out[(m["_key"], m["metric_type"])]
        s["all_v2"] += 1
        if t >= recent_from:
            s["recent"].append(m["metric_value"])
        elif t >= base_from:
            s["baseline"].append(m["metric_value"])
    return out


def main() -> None:
    rng = random.Random(SEED)
    results, metrics, tests, progress, expected_key, traps = build(rng)
    SAMPLES.mkdir(parents=True, exist_ok=True)
    write_db(SAMPLES / DB_NAME, results, metrics, tests, progress)

    stats = series_stats(metrics, expected_key)

    def summary(project, metric):
        s = stats[(project, metric)]
        b = round(statistics.fmean(s["baseline"]), 2) if s["baseline"] else None
        r = round(statistics.fmean(s["recent"]), 2) if s["recent"] else None
        pct = round((r - b) / b * 100, 2) if b and r is not None else None
        return dict(project=project, metric=metric, baseline_mean=b, recent_mean=r, change_pct=pct,
                    n_baseline=len(s["baseline"]), n_recent=len(s["recent"]), n_v2_points=s["all_v2"])

    planted = [
        ("lint_drop", "session-buddy", "lint_score", "critical", "sustained ~30% drop over the last 7 days"),
        ("coverage_drop", "crackerjack", "code_coverage", "warning", "sustained 10-15% drop over the last 7 days"),
        ("complexity_improves", "acb", "complexity_score", "none", "higher-is-better score rising 66 -> 86 over 30 days"),
        ("pure_noise", "fastblocks", "lint_score", "none", "noise (sd 4) around a stable mean"),
        ("pure_noise_coverage", "fastblocks", "code_coverage", "none", "noise (sd 4) around a stable mean"),
        ("single_bad_run", "splashstand", "lint_score", "none", "one run at 40 three days ago in a stable ~92 series"),
        ("too_few_points", "splashstand", "security_score", "none", "only 3 points in total"),
        ("build_status_mostly_100", "splashstand", "build_status", "none", "100 with a few 0 (failed runs)"),
    ]
    series = [dict(name=n, expected_alert=e, description=d, **summary(p, m)) for n, p, m, e, d in planted]
    # Everything else is stable by construction: expected no alert.
    planted_keys = {(p, m) for _, p, m, _, _ in planted}
    others = [dict(name=f"stable:{p}:{m}", expected_alert="none", description="stable", **summary(p, m))
              for (p, m) in sorted(stats) if (p, m) not in planted_keys and m != "test_pass_rate"]

    synthetic = [r for r in results if r["command"] == "<unavailable>"]
    real = [r for r in results if r["command"] != "<unavailable>"]
    run_rejects = Counter(r["_reject"] for r in real if r.get("_reject"))
    types = Counter(m["metric_type"] for m in metrics)
    foreign = {t: n for t, n in sorted(types.items()) if t not in WHITELIST}
    metric_rejects = Counter(m["_reject"] for m in metrics if m.get("_reject"))
    good_points = [m for m in metrics if m["metric_type"] in WHITELIST and not m.get("_reject")]
    by_project_runs = Counter(expected_key[r["id"]] for r in real if not r.get("_reject"))
    v1 = [m for m in good_points if m["metric_type"] in V1_LEVEL and datetime.fromisoformat(m["timestamp"]) < FORMULA_CHANGE]

    manifest = {
        "reference_date": REF.isoformat(),
        "first_day": FIRST_DAY.date().isoformat(),
        "formula_change": FORMULA_CHANGE.isoformat(),
        "windows": {"recent_days": RECENT_DAYS, "baseline_days_before_recent": BASELINE_DAYS,
                    "note": "means below use v2-era whitelisted, valid points; recent = [ref-7d, ref), baseline = the 28 days before"},
        "tables": {"crackerjack_results": len(results), "quality_metrics_history": len(metrics),
                   "test_results": len(tests), "progress_snapshots": len(progress)},
        "counts": {
            "runs": len(real) - sum(run_rejects.values()),
            "synthetic_results": len(synthetic),
            "metric_points": len(good_points),
            "metric_points_by_type": dict(sorted(Counter(m["metric_type"] for m in good_points).items())),
            "metric_points_v1_era": len(v1),
            "foreign_metric_types": foreign,
            "rejects": {"run": dict(sorted(run_rejects.items())), "metric": dict(sorted(metric_rejects.items()))},
            "runs_by_project": dict(sorted(by_project_runs.items())),
            "runs_by_exit_code": {str(k): v for k, v in sorted(Counter(r["exit_code"] for r in real if not r.get("_reject")).items())},
            "runs_with_null_execution_time": sum(1 for r in real if r["execution_time"] is None),
        },
        "path_examples": {
            f"{HOME}/projects/session-buddy": "session-buddy",
            f"{HOME}/projects/session-buddy/": "session-buddy",
            "~/projects/crackerjack": "crackerjack",
            f"{HOME}//projects/acb": "acb",
            ".": "unknown",
            "/tmp/tmpab12cd34": "unknown",
        },
        "series": series,
        "stable_series": others,
    }
    (SAMPLES / "CJ_MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (SAMPLES / "CJ_README.md").write_text(readme(manifest))
    size = (SAMPLES / DB_NAME).stat().st_size
    print(f"{DB_NAME}: {size / 1e6:.2f} MB; {manifest['tables']}")
    for s in series:
        print(f"  {s['name']:24} {s['project']:14} {s['metric']:16} {s['baseline_mean']} -> {s['recent_mean']} "
              f"({s['change_pct']}%) n={s['n_baseline']}/{s['n_recent']} expect {s['expected_alert']}")


def readme(m: dict) -> str:
    rows = "\n".join(f"| `{s['name']}` | {s['project']} | `{s['metric']}` | {s['baseline_mean']} | {s['recent_mean']} | "
                     f"{s['change_pct']} | {s['n_baseline']}/{s['n_recent']} | **{s['expected_alert']}** |" for s in m["series"])
    c = m["counts"]
    return f"""# Sample Crackerjack integration database

`crackerjack_integration.db` is an invented Session Buddy `crackerjack_integration.db` (SQLite, schema and
indexes of section 1.4 of the reference), generated by `scripts/make_cj_samples.py`; do not edit by hand,
change the generator and run

    .venv/bin/python scripts/make_cj_samples.py

Fixed seed; every timestamp is relative to the reference date {m['reference_date']}, so table contents,
`CJ_MANIFEST.json` and this file are identical on every run. Activity runs from {m['first_day']} to the
reference date (about 90 dense days plus a thinner tail before the {m['formula_change'][:10]} formula change).

## Contents

Tables: {', '.join(f'`{k}` {v}' for k, v in m['tables'].items())}.

Five projects under `/home/les/projects/<name>`: session-buddy, crackerjack, acb, fastblocks, splashstand.
The same project is written as an absolute path, with a trailing slash, as `~/projects/<name>` and with a
duplicate slash; 15% of fastblocks' runs say `"."` and six runs sit in `/tmp/tmpXXXXXXXX` (both map to the
project `unknown`). Commands analyze/check/test/lint/format/typecheck/security/complexity/all, `all` around
117 s; exit codes {c['runs_by_exit_code']} (-1 timeout at ~300 s, -2 exception).

Traps, as Crackerjack and its neighbours write them:
- ids `cj_<ms>`, `metric_<result_id>_<metric>`, `progress_<result_id>`, `test_<result_id>_<salted hash>`;
- timestamps `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00` (no fraction when the microseconds are 0) in results,
  metrics and progress; `YYYY-MM-DD HH:MM:SS[.ffffff]+00:00` in `test_results`;
- foreign metric types {c['foreign_metric_types']}: `health_*` on a 0/1 scale with `result_id` `health_<uuid>`
  and no parent row, `unavailable` = 1 from synthetic `<unavailable>` results (`cj_unavailable_<ms>`, exit -1,
  time 0.0; {c['synthetic_results']} rows from 2026-08), `parsed_quality` before 2026-07-27;
- `test_pass_rate` only before 2026-07-27; lint/security/complexity jump at 2026-07-27 (old formulas gave
  ~94-100, the new ones lower): a level shift, never a trend;
- planted bad rows: metric rejects {c['rejects']['metric']}, run rejects {c['rejects']['run']}, one run with a
  NULL execution time.

## Planted series (v2 era; recent = last 7 days, baseline = the 28 days before)

| series | project | metric | baseline mean | recent mean | change % | n base/recent | expected alert |
|---|---|---|---|---|---|---|---|
{rows}

Every other (project, metric) series is stable and must not alert (`stable_series` in the manifest).
"""


if __name__ == "__main__":
    main()
