"""The sessions around each quality alert's change: the composition of the conversations and quality flows.

The domain packages are independent (a contract), so they meet here, in the wiring that the report asset and
`sb-pipeline quality-report` share: for each active alert, the project's conversations that started within
[change_at - before, change_at + after] come from the warehouse, are ranked by the project's search
(`SearchSession`, hybrid; restricted to those conversations) by relevance to the metric's words, and go back
to the quality code as plain data (`sb_pipeline.quality.context`). Conversations without vectors yet are still
listed, after the ranked ones. A missing or busy warehouse is said, never raised: the report still renders.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import polars as pl

from sb_pipeline.conversations.service import SearchSession
from sb_pipeline.quality.context import SHOWN, context, session_query, session_window, unavailable
from sb_pipeline.warehouse import WarehouseBusyError, WarehouseMissingError, connect
from sb_pipeline.warehouse import conversations as store


def sessions_for_alerts(alerts: pl.DataFrame, warehouse: Path | str, index_dir: Path, load_model: Callable[[], object],
                        before_days: float, after_days: float, cache_dir: Path | None = None,
                        wait_seconds: float = 5.0) -> dict[tuple[str, str], dict]:
    """{(project, metric): context} for every alert row with a change_at that is not resolved."""
    rows = [r for r in _active(alerts).iter_rows(named=True) if r.get("change_at") is not None]
    if not rows:
        return {}
    if isinstance(warehouse, Path) and not warehouse.exists():
        return {(r["project"], r["metric"]): unavailable(f"no warehouse at {warehouse}: run the pipeline to see the sessions")
                for r in rows}
    session = SearchSession(warehouse, cache_dir, index_dir, load_model=load_model, wait_seconds=wait_seconds)
    try:
        return {(r["project"], r["metric"]): _around(session, warehouse, r, before_days, after_days, wait_seconds) for r in rows}
    except (WarehouseBusyError, WarehouseMissingError) as exc:
        return {(r["project"], r["metric"]): unavailable(str(exc)) for r in rows}


def _active(alerts: pl.DataFrame) -> pl.DataFrame:
    if alerts is None or alerts.is_empty() or "change_at" not in alerts.columns:
        return pl.DataFrame()
    return alerts.filter(pl.col("status") != "resolved") if "status" in alerts.columns else alerts


def _around(session: SearchSession, warehouse, alert: dict, before_days: float, after_days: float, wait: float) -> dict:
    window = session_window(alert["change_at"], before_days, after_days)
    with connect(warehouse, read_only=True, wait_seconds=wait) as conn:
        total = store.project_conversation_count(conn, alert["project"])
        candidates = store.conversations_between(conn, alert["project"], *window) if total else pl.DataFrame()
    if not total or candidates.is_empty():
        return context(window, total, [])
    facts = {r["conversation_id"]: r for r in candidates.iter_rows(named=True)}
    answer = session.search(session_query(alert["metric"]), limit=len(facts), conversation_ids=facts)
    ranked = [_session(facts[h["conversation_id"]], h["snippet"], h["score"]) for h in answer.results]
    seen = {s["conversation_id"] for s in ranked}
    unranked = [_session(f, f["title"], None) for cid, f in facts.items() if cid not in seen]  # no vector yet
    return context(window, total, (ranked + unranked)[:SHOWN], answer.notice)


def _session(fact: dict, snippet: str, score: float | None) -> dict:
    started: datetime | None = fact["started_at"]
    return {"conversation_id": fact["conversation_id"], "started_at": started.isoformat() if started else None,
            "title": fact["title"], "snippet": snippet, "source_ref": fact["source_ref"], "kind": fact["kind"],
            "score": score}
