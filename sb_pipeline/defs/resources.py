"""Resources: the warehouse, the sources and the embedder, configured by environment variables.

`build_resources()` is called when definitions load (never at import). It gives every unset
`SB_*` variable its embedded default under `data/` before wrapping it in `EnvVar`, so the UI
shows which variable configures what and every process (webserver, daemon, run workers) resolves
the same values.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from sb_pipeline import settings
from sb_pipeline.sources import SourceRead
from sb_pipeline.sources.inbox import read_inbox
from sb_pipeline.sources.reflection_db import read_reflection_db
from sb_pipeline.sources.timestamps import zone
from sb_pipeline.sources.transcripts import read_transcripts
from sb_pipeline.warehouse import connect


def _expand(value: str) -> Path:
    """Configured paths may start with ~ (python-dotenv does not expand it)."""
    return Path(value).expanduser()


class WarehouseResource(dg.ConfigurableResource):
    """The pipeline's DuckDB file. Connections are short-lived; writers go through pool `duckdb_write`."""

    path: str
    lock_wait_seconds: float = 30.0

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(_expand(self.path), read_only=read_only, wait_seconds=self.lock_wait_seconds) as conn:
            yield conn


class ConversationSourcesResource(dg.ConfigurableResource):
    """Where raw conversations come from. Each is read-only; a database is read from a snapshot copy."""

    reflection_db: str
    transcripts_dir: str
    inbox_dir: str
    snapshot_dir: str
    source_timezone: str = "UTC"  # the zone of naive timestamps in Session Buddy's files

    def read_all(self, max_chars: int) -> list[SourceRead]:
        tz = zone(self.source_timezone)
        return [
            read_reflection_db(_expand(self.reflection_db), _expand(self.snapshot_dir), tz),
            read_transcripts(_expand(self.transcripts_dir), max_chars=max_chars),
            read_inbox(_expand(self.inbox_dir), tz),
        ]


class KnowledgeGraphSourceResource(dg.ConfigurableResource):
    """Session Buddy's knowledge_graph.duckdb, read from a snapshot copy, never written."""

    path: str
    snapshot_dir: str
    source_timezone: str = "UTC"

    def read(self):
        from sb_pipeline.sources.knowledge_graph_db import read_knowledge_graph

        return read_knowledge_graph(_expand(self.path), _expand(self.snapshot_dir), zone(self.source_timezone))


class QualityResource(dg.ConfigurableResource):
    """Crackerjack's SQLite database (read from a snapshot copy) and the analysis window.

    `as_of` (SB_AS_OF, ISO 8601; empty = now) fixes the instant every window ends at, so a past week's
    trends, alerts and report can be regenerated exactly."""

    crackerjack_db: str
    snapshot_dir: str
    reports_dir: str
    as_of: str = ""
    window_days: float = 30.0
    recent_days: float = 7.0  # the part of the window compared with the rest (a weekly report's week)
    project_aliases: str = ""  # JSON {path or prefix: project}, see settings.quality_project_aliases

    def read(self):
        from sb_pipeline.sources.crackerjack_db import read_crackerjack

        return read_crackerjack(_expand(self.crackerjack_db), _expand(self.snapshot_dir))

    def aliases(self) -> dict[str, str]:
        import json

        return json.loads(self.project_aliases) if self.project_aliases.strip() else {}

    def as_of_instant(self):
        from datetime import datetime, timezone

        from sb_pipeline.sources.timestamps import to_utc

        return to_utc(self.as_of) if self.as_of.strip() else datetime.now(timezone.utc)


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

            self._embedder = load_embedder(
                model_dir=_expand(self.model_dir), threads=self.threads, batch_size=self.batch_size, profile=self.profile
            )
        return self._embedder


def _env(name: str, default: Path | str) -> dg.EnvVar:
    os.environ.setdefault(name, str(default))
    return dg.EnvVar(name)


def build_resources() -> dict[str, dg.ConfigurableResource]:
    settings.load_dotenv_files()
    return {
        "warehouse": WarehouseResource(path=_env("SB_WAREHOUSE", settings.warehouse_path())),
        "conversation_sources": ConversationSourcesResource(
            reflection_db=_env("SB_REFLECTION_DB", settings.reflection_db_path()),
            transcripts_dir=_env("SB_TRANSCRIPTS_DIR", settings.transcripts_dir()),
            inbox_dir=_env("SB_INBOX_DIR", settings.inbox_dir()),
            snapshot_dir=_env("SB_SNAPSHOT_DIR", settings.snapshot_dir()),
            source_timezone=_env("SB_SOURCE_TZ", "UTC"),
        ),
        "knowledge_graph_source": KnowledgeGraphSourceResource(
            path=_env("SB_KNOWLEDGE_GRAPH_DB", settings.knowledge_graph_db_path()),
            snapshot_dir=_env("SB_SNAPSHOT_DIR", settings.snapshot_dir()),
            source_timezone=_env("SB_SOURCE_TZ", "UTC"),
        ),
        "quality": QualityResource(
            crackerjack_db=_env("SB_CRACKERJACK_DB", settings.crackerjack_db_path()),
            snapshot_dir=_env("SB_SNAPSHOT_DIR", settings.snapshot_dir()),
            reports_dir=_env("SB_REPORTS_DIR", settings.reports_dir()),
            as_of=_env("SB_AS_OF", settings.quality_as_of()),
            project_aliases=_env("SB_QUALITY_PROJECT_ALIASES", json.dumps(settings.quality_project_aliases())),
        ),
        "embedder": EmbedderResource(
            model_dir=_env("SB_MODEL_DIR", settings.model_dir()),
            profile=_env("SB_EMBEDDING_PROFILE", settings.embedding_profile()),
        ),
    }
