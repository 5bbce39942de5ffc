"""Every resource, registered in one place (`build_resources`, called by `definitions.py` when the
definitions load, never at import).

Each field is configured by its environment variable when that variable is set (`dg.EnvVar`, so the
UI shows which variable configures what) and otherwise by the embedded default under `data/` from
`settings.py`, given as a plain value: the environment is never modified. Dagster's own CLI and
`dagster dev` load `.env` from the working directory; `sb-pipeline` loads it on start. Paths are
expanded (`~`) inside the resources.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from sb_pipeline import settings
from sb_pipeline.records import SourceRead
from sb_pipeline.sources import inbox, reflection_db, transcripts
from sb_pipeline.sources.timestamps import to_utc, zone
from sb_pipeline.warehouse import connect


def _path(value: str) -> Path:
    """Configured paths may start with ~ (neither python-dotenv nor Dagster expands it)."""
    return Path(value).expanduser()


class WarehouseResource(DuckDBResource):
    """The pipeline's DuckDB file, on dagster-duckdb's resource (`database`, `connection_config`,
    `get_connection()`), with what the stock connection lacks for a file several processes share:
    read-only connections, a bounded wait for the lock (the stock one retries for ~100 s, longer than
    a sensor tick), a memory cap on writers, and a close in `finally` (a failed step that keeps its
    exception alive must not keep the lock). Writers go through pool `duckdb_write`."""

    lexical_index: str = ""  # the chunks' BM25 index (conversation_lexical_index); "" = `<database>.lexical` beside it
    lock_wait_seconds: float = 30.0
    write_memory_limit: str = "512MB"  # DuckDB's buffer pool would otherwise grow to 80 % of RAM (README: ingest at scale)

    @contextlib.contextmanager
    def get_connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        memory = None if read_only else self.write_memory_limit
        with connect(self.path, read_only=read_only, wait_seconds=self.lock_wait_seconds, memory_limit=memory,
                     config=self.connection_config) as conn:
            yield conn

    @property
    def path(self) -> Path | str:
        return self.database if self.database.startswith(("md:", "motherduck:")) else _path(self.database)

    @property
    def lexical_index_path(self) -> Path:
        if self.lexical_index.strip():
            return _path(self.lexical_index)
        if isinstance(self.path, str):  # MotherDuck: no folder beside it
            raise ValueError("set SB_LEXICAL_INDEX (the lexical index's folder) for a MotherDuck warehouse")
        return self.path.with_name(self.path.name + ".lexical")


class ConversationSourcesResource(dg.ConfigurableResource):
    """Where raw conversations come from. Each is read-only; a database is read from a snapshot copy."""

    reflection_db: str
    transcripts_dir: str
    inbox_dir: str
    snapshot_dir: str
    own_inbox_dir: str = ""  # where the pipeline stores what it is handed (MCP); read too when it is another folder
    source_timezone: str = "UTC"  # the zone of naive timestamps in Session Buddy's files

    def iter_batches(self, max_chars: int) -> Iterator[SourceRead]:
        """Every source in order (reflection DB, transcripts, inbox), a bounded batch at a time (each reader
        module's BATCH_* size), so memory does not grow with a user's history."""
        tz = zone(self.source_timezone)
        yield from reflection_db.iter_reflection_db(_path(self.reflection_db), self.snapshots(), tz, reflection_db.BATCH_ROWS)
        yield from transcripts.iter_transcripts(_path(self.transcripts_dir), max_chars, transcripts.BATCH_BYTES)
        yield from inbox.iter_inbox(_path(self.inbox_dir), tz, inbox.BATCH_ROWS)
        own = self._own_inbox()
        if own is not None and own.is_dir():
            yield from inbox.iter_inbox(own, tz, inbox.BATCH_ROWS)

    def _own_inbox(self) -> Path | None:
        own = _path(self.own_inbox_dir) if self.own_inbox_dir.strip() else None
        return None if own is None or own.resolve() == _path(self.inbox_dir).resolve() else own

    def snapshots(self) -> Path:
        return _path(self.snapshot_dir)

    @property
    def reflection_db_path(self) -> Path:
        return _path(self.reflection_db)

    def watched(self) -> tuple[list[Path], list[tuple[Path, str]]]:
        """(files, (folder, pattern)) a sensor stats to tell that something changed."""
        folders = [(_path(self.transcripts_dir), "*.jsonl"), (_path(self.inbox_dir), "*.jsonl")]
        own = self._own_inbox()
        return [_path(self.reflection_db)], folders + ([(own, "*.jsonl")] if own is not None else [])


class KnowledgeGraphSourceResource(dg.ConfigurableResource):
    """Session Buddy's knowledge_graph.duckdb, read from a snapshot copy, never written."""

    path: str
    snapshot_dir: str
    source_timezone: str = "UTC"

    def read(self):
        from sb_pipeline.sources.knowledge_graph_db import read_knowledge_graph

        return read_knowledge_graph(self.db_path, _path(self.snapshot_dir), zone(self.source_timezone))

    @property
    def db_path(self) -> Path:
        return _path(self.path)


class QualityResource(dg.ConfigurableResource):
    """Crackerjack's SQLite database (read from a snapshot copy) and the analysis window.

    `as_of` (SB_AS_OF, ISO 8601; empty = now) fixes the instant every window ends at, so a past week's
    trends, alerts and report can be regenerated exactly."""

    crackerjack_db: str
    snapshot_dir: str
    reports_dir: str
    as_of: str = ""
    window_days: float = 30.0
    sessions_before_days: float = 2.0  # an alert lists the project's sessions from this long before its change_at
    sessions_after_days: float = 1.0  # ... to this long after it
    project_aliases: str = ""  # JSON {path or prefix: project}, see settings.quality_project_aliases

    def read(self):
        from sb_pipeline.sources.crackerjack_db import read_crackerjack

        return read_crackerjack(self.crackerjack_path, _path(self.snapshot_dir))

    @property
    def crackerjack_path(self) -> Path:
        return _path(self.crackerjack_db)

    def aliases(self) -> dict[str, str]:
        return json.loads(self.project_aliases) if self.project_aliases.strip() else {}

    def as_of_instant(self) -> datetime:
        return to_utc(self.as_of) if self.as_of.strip() else datetime.now(timezone.utc)

    def reports(self) -> Path:
        return _path(self.reports_dir)


class EmbedderResource(dg.ConfigurableResource):
    """all-MiniLM-L6-v2 on onnxruntime, loaded once per step process and only when a step needs it."""

    model_dir: str
    profile: str = "fp32"  # "int8" trades accuracy for speed; vectors carry the profile in their model id
    threads: int = 2
    batch_size: int = 16
    _embedder = PrivateAttr(default=None)

    def get(self):
        if self._embedder is None:
            from sb_pipeline.embedding import load_embedder

            self._embedder = load_embedder(model_dir=self.models(), threads=self.threads, batch_size=self.batch_size,
                                           profile=self.profile)
        return self._embedder

    def models(self) -> Path:
        return _path(self.model_dir)


class HealthStoresResource(dg.ConfigurableResource):
    """Paths the pipeline does not ingest but `source_health` reports on (read from private copies, never written)."""

    session_buddy_dir: str
    interruption_db: str
    crackerjack_metrics_db: str
    lock_wait_seconds: float = 2.0  # how long a store held read-write by another process is waited for before "locked"

    @property
    def folder(self) -> Path:
        return _path(self.session_buddy_dir)

    @property
    def interruption_path(self) -> Path:
        return _path(self.interruption_db)

    @property
    def metrics_path(self) -> Path:
        return _path(self.crackerjack_metrics_db)


def _configured(name: str, default: Path | str) -> str:
    """The variable itself when it is set (the UI then names it), else the embedded default as a value."""
    return dg.EnvVar(name) if os.environ.get(name, "").strip() else str(default)


def build_resources() -> dict[str, dg.ConfigurableResource]:
    snapshots = _configured("SB_SNAPSHOT_DIR", settings.snapshot_dir())
    source_tz = _configured("SB_SOURCE_TZ", "UTC")
    return {
        "warehouse": WarehouseResource(database=_configured("SB_WAREHOUSE", settings.warehouse_path()),
                                       lexical_index=_configured("SB_LEXICAL_INDEX", settings.lexical_index_dir())),
        "conversation_sources": ConversationSourcesResource(
            reflection_db=_configured("SB_REFLECTION_DB", settings.reflection_db_path()),
            transcripts_dir=_configured("SB_TRANSCRIPTS_DIR", settings.transcripts_dir()),
            inbox_dir=_configured("SB_INBOX_DIR", settings.inbox_dir()),
            own_inbox_dir=str(settings.own_inbox_dir()),
            snapshot_dir=snapshots, source_timezone=source_tz,
        ),
        "knowledge_graph_source": KnowledgeGraphSourceResource(
            path=_configured("SB_KNOWLEDGE_GRAPH_DB", settings.knowledge_graph_db_path()), snapshot_dir=snapshots,
            source_timezone=source_tz,
        ),
        "quality": QualityResource(
            crackerjack_db=_configured("SB_CRACKERJACK_DB", settings.crackerjack_db_path()), snapshot_dir=snapshots,
            reports_dir=_configured("SB_REPORTS_DIR", settings.reports_dir()),
            as_of=_configured("SB_AS_OF", settings.quality_as_of()),
            project_aliases=_configured("SB_QUALITY_PROJECT_ALIASES", json.dumps(settings.quality_project_aliases())),
        ),
        "embedder": EmbedderResource(
            model_dir=_configured("SB_MODEL_DIR", settings.model_dir()),
            profile=_configured("SB_EMBEDDING_PROFILE", settings.embedding_profile()),
        ),
        "health_stores": HealthStoresResource(
            session_buddy_dir=_configured("SB_SESSION_BUDDY_DIR", settings.session_buddy_dir()),
            interruption_db=_configured("SB_INTERRUPTION_DB", settings.interruption_db_path()),
            crackerjack_metrics_db=_configured("SB_CRACKERJACK_METRICS_DB", settings.crackerjack_metrics_db_path()),
        ),
    }
