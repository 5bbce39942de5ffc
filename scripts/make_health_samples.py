"""Generate the two small SQLite samples `sb-pipeline status` reports on besides the flow's sources.

- `data/samples/interruption_manager.db`: Session Buddy's interruption manager database with its real schema
  and indexes (`session_buddy/interruption_manager.py::_init_database`, reference section 1.5) and every table
  empty, as on real machines: the manager's context writes fail (a datetime that json.dumps rejects), and the
  recorded status report of 2026-02-09 shows all three tables at 0 rows.
- `data/samples/crackerjack_metrics.db`: Crackerjack's own `~/.cache/crackerjack/metrics.db`
  (`crackerjack/services/metrics.py`, reference section 1.6) with three jobs, their agent executions and a
  few provider calls, ISO timestamps with a 'T' separator as Crackerjack writes them.

Both are rebuilt from scratch with fixed contents (timestamps relative to the samples' reference date
2026-11-20), so their rows are identical on every run:

    .venv/bin/python scripts/make_health_samples.py
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
REFERENCE = datetime(2026, 11, 20, tzinfo=timezone.utc)

INTERRUPTION_DDL = """
CREATE TABLE IF NOT EXISTS interruption_events (
    id TEXT PRIMARY KEY, event_type TEXT NOT NULL, timestamp TIMESTAMP, source_context TEXT, target_context TEXT,
    duration REAL, recovery_data TEXT, auto_saved BOOLEAN, user_id TEXT NOT NULL, project_id TEXT);
CREATE TABLE IF NOT EXISTS session_contexts (
    session_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, project_id TEXT, context_data TEXT, state TEXT NOT NULL,
    created_at TIMESTAMP, updated_at TIMESTAMP, preserved_at TIMESTAMP, restore_count INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS context_snapshots (
    id TEXT PRIMARY KEY, session_id TEXT NOT NULL, snapshot_type TEXT NOT NULL, timestamp TIMESTAMP, data BLOB,
    metadata TEXT);
CREATE INDEX IF NOT EXISTS idx_interruptions_timestamp ON interruption_events(timestamp);
CREATE INDEX IF NOT EXISTS idx_interruptions_user ON interruption_events(user_id);
CREATE INDEX IF NOT EXISTS idx_contexts_user ON session_contexts(user_id);
CREATE INDEX IF NOT EXISTS idx_contexts_state ON session_contexts(state);
CREATE INDEX IF NOT EXISTS idx_snapshots_session ON context_snapshots(session_id);
"""

METRICS_DDL = """
CREATE TABLE IF NOT EXISTS agent_executions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL, agent_name TEXT NOT NULL, issue_type TEXT NOT NULL,
    success INTEGER NOT NULL, confidence REAL NOT NULL, fixes_applied INTEGER DEFAULT 0, files_modified INTEGER DEFAULT 0,
    remaining_issues INTEGER DEFAULT 0, execution_time_ms REAL, timestamp TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS provider_performance (
    id INTEGER PRIMARY KEY AUTOINCREMENT, provider_id TEXT NOT NULL, success INTEGER NOT NULL, latency_ms REAL,
    error_message TEXT, timestamp TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT UNIQUE NOT NULL, start_time TIMESTAMP NOT NULL,
    end_time TIMESTAMP, status TEXT NOT NULL, issue_count INTEGER DEFAULT 0, fixes_applied INTEGER DEFAULT 0);
CREATE INDEX IF NOT EXISTS idx_agent_executions_job_id ON agent_executions(job_id);
CREATE INDEX IF NOT EXISTS idx_agent_executions_agent_name ON agent_executions(agent_name);
CREATE INDEX IF NOT EXISTS idx_provider_performance_provider_id ON provider_performance(provider_id);
"""

# (job id, hours before the reference date, minutes it ran, status, [(agent, issue type, success, confidence, fixes)])
JOBS = [
    ("job-acb-0001", 70.0, 4, "completed", [("RefactoringAgent", "complexity", 1, 0.82, 2),
                                            ("FormattingAgent", "formatting", 1, 0.95, 5)]),
    ("job-sb-0002", 30.5, 9, "completed", [("SecurityAgent", "security", 1, 0.71, 1),
                                           ("TestCreationAgent", "test_failure", 0, 0.38, 0),
                                           ("DRYAgent", "dry_violation", 1, 0.66, 3)]),
    ("job-cj-0003", 2.25, 6, "failed", [("TestSpecialistAgent", "test_failure", 0, 0.44, 0),
                                        ("ImportOptimizationAgent", "import_error", 1, 0.88, 1)]),
]
PROVIDERS = [("claude", 1, 812.0, None), ("claude", 1, 640.5, None), ("qwen", 0, 30012.0, "timeout after 30s"),
             ("qwen", 1, 1290.0, None), ("claude", 1, 705.25, None)]


def _iso(moment: datetime) -> str:
    return moment.isoformat()  # Crackerjack's form: 'T' separator, +00:00


def _fresh(path: Path) -> sqlite3.Connection:
    for side in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-journal")):
        side.unlink(missing_ok=True)
    return sqlite3.connect(path)


def make_interruption_db(path: Path) -> None:
    conn = _fresh(path)
    try:
        conn.executescript(INTERRUPTION_DDL)
        conn.commit()
    finally:
        conn.close()


def make_metrics_db(path: Path) -> None:
    conn = _fresh(path)
    try:
        conn.executescript(METRICS_DDL)
        for job_id, hours_ago, minutes, status, agents in JOBS:
            start = REFERENCE - timedelta(hours=hours_ago)
            conn.execute("INSERT INTO jobs (job_id, start_time, end_time, status, issue_count, fixes_applied) VALUES (?, ?, ?, ?, ?, ?)",
                         [job_id, _iso(start), _iso(start + timedelta(minutes=minutes)), status, len(agents),
                          sum(a[4] for a in agents)])
            for i, (agent, issue, success, confidence, fixes) in enumerate(agents):
                conn.execute(
                    "INSERT INTO agent_executions (job_id, agent_name, issue_type, success, confidence, fixes_applied, "
                    "files_modified, remaining_issues, execution_time_ms, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [job_id, agent, issue, success, confidence, fixes, min(fixes, 2), 0 if success else 1,
                     1500.0 + 250.0 * i, _iso(start + timedelta(minutes=i + 1))])
        for i, (provider, success, latency, error) in enumerate(PROVIDERS):
            conn.execute("INSERT INTO provider_performance (provider_id, success, latency_ms, error_message, timestamp) "
                         "VALUES (?, ?, ?, ?, ?)", [provider, success, latency, error, _iso(REFERENCE - timedelta(hours=48 - 10 * i))])
        conn.commit()
    finally:
        conn.close()


def main() -> None:
    make_interruption_db(SAMPLES / "interruption_manager.db")
    make_metrics_db(SAMPLES / "crackerjack_metrics.db")
    for name in ("interruption_manager.db", "crackerjack_metrics.db"):
        print(f"wrote {SAMPLES / name} ({(SAMPLES / name).stat().st_size} bytes)")


if __name__ == "__main__":
    main()
