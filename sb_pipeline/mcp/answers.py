"""What each MCP tool answers, as plain functions over the warehouse (and the sources' health), so the tools in
server.py stay thin and every answer is what the CLI shows: the same search session, the same statistics, the
same graph report, the same alerts and the same health check.

Every read opens the warehouse read-only and briefly (waiting `wait_seconds` for a pipeline run's write lock);
nothing here writes it. Errors are `ToolFailure`s with a stable code the server turns into a structured error.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from sb_pipeline.conversations.retrieval import LexicalIndexUnavailable
from sb_pipeline.conversations.service import SearchSession
from sb_pipeline.knowledge_graph.explain import described
from sb_pipeline.warehouse import WarehouseBusyError, WarehouseMissingError, connect
from sb_pipeline.warehouse import conversations as store
from sb_pipeline.warehouse import knowledge_graph as kg
from sb_pipeline.warehouse import quality as quality_store

SNIPPET_CHARS = 200
MIN_STORED_CHARS, MAX_STORED_CHARS = 50, 50_000  # what the conversation flow keeps (IngestConfig's defaults)


class ToolFailure(Exception):
    def __init__(self, code: str, message: str, **details) -> None:
        super().__init__(message)
        self.code, self.details = code, details

    def to_dict(self) -> dict:
        return {"error": self.code, "message": str(self), **self.details}


@dataclass
class Answers:
    warehouse: Path | str
    search: SearchSession
    wait_seconds: float = 3.0

    def _read(self, fn):
        """`fn(conn)` on a short read-only connection (a missing, busy or not-yet-built warehouse: a ToolFailure)."""
        with self._warehouse_errors():
            with connect(self.warehouse, read_only=True, wait_seconds=self.wait_seconds) as conn:
                return fn(conn)

    @contextlib.contextmanager
    def _warehouse_errors(self):
        try:
            yield
        except WarehouseMissingError as exc:
            raise ToolFailure("warehouse_missing", f"{exc}") from exc
        except WarehouseBusyError as exc:
            raise ToolFailure("warehouse_busy", f"{exc} (waited {self.wait_seconds:g} s)", retry_after_seconds=10) from exc
        except duckdb.CatalogException as exc:
            raise ToolFailure("not_built_yet", "the warehouse has no such tables yet: run the pipeline (make run)") from exc

    def search_conversations(self, query: str, project: str | None, kind: str | None, limit: int, min_score: float | None,
                             mode: str) -> dict:
        if project is not None:
            known = self._read(store.projects)
            if project not in known:
                raise ToolFailure("unknown_project", f"no conversations in project {project!r}", known_projects=known[:50])
        try:
            with self._warehouse_errors():
                answer = self.search.search(query, limit=limit, mode=mode, project=project, kind=kind, min_score=min_score)
        except LexicalIndexUnavailable as exc:
            raise ToolFailure("lexical_index_unavailable", str(exc)) from exc
        except ValueError as exc:
            raise ToolFailure("invalid_input", str(exc)) from exc
        results = [{"conversation_id": r["conversation_id"], "project": r["project"], "date": (r["started_at"] or "")[:10] or None,
                    "kind": r["kind"], "score": round(r["score"], 3), "chunk": r["chunk"], "snippet": r["snippet"][:SNIPPET_CHARS],
                    "source_ref": r["source_ref"]} for r in answer.results]
        return {"query": query, "mode": answer.mode, "results": results, **({"notice": answer.notice} if answer.notice else {})}

    def get_conversation(self, conversation_id: str, around_chunk: int | None, max_chars: int) -> dict:
        if max_chars < 200:
            raise ToolFailure("invalid_input", "max_chars must be at least 200")

        def read(conn):
            row = store.conversation(conn, conversation_id)
            span = store.chunk_span(conn, conversation_id, around_chunk) if row is not None and around_chunk is not None else None
            return row, span

        row, span = self._read(read)
        if row is None:
            raise ToolFailure("unknown_conversation", f"no conversation with id {conversation_id!r} (ids come from search_conversations)")
        if around_chunk is not None and span is None:
            raise ToolFailure("unknown_chunk", f"conversation {conversation_id} has no chunk {around_chunk}")
        text, start = _window(row["content"], span, max_chars)
        meta = json.loads(row["metadata"]) if row["metadata"] else {}
        return {"conversation_id": row["conversation_id"], "project": row["project"], "kind": row["kind"], "source": row["source"],
                "source_ref": row["source_ref"], "started_at": row["started_at"].isoformat() if row["started_at"] else None,
                "title": meta.get("title"), "char_count": row["char_count"], "start_char": start, "end_char": start + len(text),
                "truncated": len(text) < row["char_count"], "text": text}

    def statistics(self) -> dict:
        model_id = self.search.model_id or self.search.model.model_id
        stats = self._read(lambda conn: store.statistics(conn, model_id, datetime.now(timezone.utc)))
        return {**stats, "model_id": model_id}

    def graph_connectivity(self) -> dict:
        report = self._read(kg.latest_graph_metrics)
        if report is None:
            raise ToolFailure("not_built_yet", "no connectivity report yet: run the pipeline (make run)")
        return report

    def related_entities(self, name: str, limit: int) -> dict:
        entity, edges = self._read(lambda conn: kg.relationships_of(conn, name))
        if entity is None:
            raise ToolFailure("unknown_entity", f"no entity named {name!r}")
        rows = [{k: _jsonable(v) for k, v in row.items()} for row in described(entity, edges.head(limit))]
        return {"entity": entity, "relationships": rows, "total": edges.height}

    def conversation_topics(self, project: str | None, weeks: int, limit: int) -> dict:
        """What `sb-pipeline topics --json` prints (sb_pipeline.conversations.topic_summary)."""
        from sb_pipeline.conversations.topic_summary import summarise
        from sb_pipeline.warehouse import topics as topic_store

        frames = self._read(topic_store.analytics_frames)
        if not frames["topics"].height:
            raise ToolFailure("not_built_yet", "no topics yet: run the pipeline (make run)")
        known = sorted(set(frames["conversations"]["project"].drop_nulls().to_list()))
        if project is not None and project not in known:
            raise ToolFailure("unknown_project", f"no conversations in project {project!r}", known_projects=known[:50])
        return summarise(frames, datetime.now(timezone.utc), weeks, project, top=limit)

    def quality_alerts(self, project: str | None, include_resolved: bool) -> dict:
        alerts = self._read(quality_store.previous_alerts)
        if project is not None:
            known = sorted(set(alerts["project"].to_list())) if alerts.height else []
            alerts = alerts.filter(alerts["project"] == project)
        if not include_resolved and alerts.height:
            alerts = alerts.filter(alerts["status"] != "resolved")
        rows = [{k: _jsonable(v) for k, v in row.items()} for row in alerts.iter_rows(named=True)]
        out = {"alerts": rows, "active": sum(r["status"] != "resolved" for r in rows)}
        if project is not None and not rows:
            out["note"] = f"no alerts for {project!r}" + ("" if project in known else " (no alert has ever named this project)")
        return out


def _window(text: str, span: tuple[int, int] | None, max_chars: int) -> tuple[str, int]:
    """The whole text if it fits, else `max_chars` of it: around the chunk when one is given, else the start."""
    if len(text) <= max_chars:
        return text, 0
    if span is None:
        return text[:max_chars], 0
    middle = (span[0] + span[1]) // 2
    start = max(0, min(middle - max_chars // 2, len(text) - max_chars))
    return text[start : start + max_chars], start


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
