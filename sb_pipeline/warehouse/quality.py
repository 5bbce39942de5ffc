"""Reads and writes of the Crackerjack quality flow.

Runs and metric points are appended by their source ids (a re-run adds nothing twice); the trend
tables hold the latest computation for its `as_of`; `quality_alerts` holds each (project, metric)'s
lifecycle and is replaced as a whole each run, in one transaction.
"""

from __future__ import annotations

import duckdb
import polars as pl

from sb_pipeline.warehouse.connection import transaction


def _append(conn: duckdb.DuckDBPyConnection, table: str, key: str, frame: pl.DataFrame) -> int:
    """Insert rows whose `key` is new; returns how many were new."""
    if frame.height == 0:
        return 0
    before = conn.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    conn.register("incoming_rows", frame)
    try:
        cols = ", ".join(frame.columns)
        transaction(conn, [(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM incoming_rows ON CONFLICT ({key}) DO NOTHING", [])])
    finally:
        conn.unregister("incoming_rows")
    return conn.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] - before


def append_runs(conn, runs: pl.DataFrame) -> int:
    return _append(conn, "crackerjack_runs", "run_id", runs)


def append_points(conn, points: pl.DataFrame) -> int:
    return _append(conn, "quality_metric_points", "source_ref", points)


def all_runs(conn) -> pl.DataFrame:
    return conn.sql("SELECT * FROM crackerjack_runs ORDER BY observed_at, run_id").pl()


def all_points(conn) -> pl.DataFrame:
    return conn.sql("SELECT project, metric, value, observed_at, run_id, formula_era, source_ref FROM quality_metric_points "
                    "ORDER BY project, metric, observed_at, source_ref").pl()


def replace_for_as_of(conn, table: str, frame: pl.DataFrame, as_of, window_days: float) -> None:
    """The trend rows of one (as_of, window) computation replace any earlier ones for the same pair."""
    conn.register("incoming_trends", frame)
    try:
        cols = ", ".join(frame.columns)
        transaction(conn, [
            (f"DELETE FROM {table} WHERE as_of = ? AND window_days = ?", [as_of, window_days]),
            (f"INSERT INTO {table} (as_of, window_days, {cols}) SELECT ?, ?, {cols} FROM incoming_trends", [as_of, window_days]),
        ])
    finally:
        conn.unregister("incoming_trends")


def previous_alerts(conn) -> pl.DataFrame:
    return conn.sql("SELECT * FROM quality_alerts").pl()


def replace_alerts(conn, alerts: pl.DataFrame) -> None:
    conn.register("incoming_alerts", alerts)
    try:
        cols = ", ".join(alerts.columns)
        transaction(conn, [("DELETE FROM quality_alerts", []),
                           (f"INSERT INTO quality_alerts ({cols}) SELECT {cols} FROM incoming_alerts", [])])
    finally:
        conn.unregister("incoming_alerts")


def replace_report_table(conn, table: str, frame: pl.DataFrame, as_of, window_days: float) -> None:
    """Derived report tables (command statistics, project insights) hold the latest computation only;
    their columns follow the domain functions, so the table is recreated with them each run."""
    conn.register("incoming_report_rows", frame)
    try:
        transaction(conn, [(f"CREATE OR REPLACE TABLE {table} AS SELECT ?::TIMESTAMPTZ AS as_of, ?::DOUBLE AS window_days, * "
                            "FROM incoming_report_rows", [as_of, window_days])])
    finally:
        conn.unregister("incoming_report_rows")


def row_counts(conn) -> tuple[int, int]:
    """(Crackerjack runs, metric points) held."""
    return conn.execute("SELECT (SELECT count(*) FROM crackerjack_runs), (SELECT count(*) FROM quality_metric_points)").fetchall()[0]
