"""One health check over every store the pipeline knows about, the warehouse and the embedding model.

Why a config object: the CLI builds it from the environment (settings.py), the Dagster asset from its
resources, so `sb-pipeline status` and the `source_health` asset report on exactly the files the pipeline
reads. A path that differs from its embedded default was configured by the user (`is_explicit`): an
optional store missing at its default place is a note, but a path the user typed that leads nowhere is a
problem. Comparing with the default rather than asking the environment also works in Dagster processes,
whose resources hold the defaults as values.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sb_pipeline.health.embedding import check_model
from sb_pipeline.health.report import HealthReport, ModelHealth, StoreHealth
from sb_pipeline.health.stores import check_store
from sb_pipeline.health.warehouse import check_warehouse

STORE_ROLES = ("reflection", "knowledge_graph", "crackerjack", "interruption", "crackerjack_metrics")
PATTERNS = ("*.db", "*.duckdb")


@dataclass(frozen=True)
class HealthConfig:
    stores: dict[str, Path]             # role -> path, for STORE_ROLES
    session_buddy_dir: Path
    warehouse: Path
    model_dir: Path
    snapshot_dir: Path
    profile: str = "fp32"
    source_timezone: str = "UTC"
    lock_wait_seconds: float = 2.0
    load_model: bool = True

    @classmethod
    def from_settings(cls, **overrides) -> "HealthConfig":
        from sb_pipeline import settings

        stores = {"reflection": settings.reflection_db_path(), "knowledge_graph": settings.knowledge_graph_db_path(),
                  "crackerjack": settings.crackerjack_db_path(), "interruption": settings.interruption_db_path(),
                  "crackerjack_metrics": settings.crackerjack_metrics_db_path()}
        values = dict(stores=stores, session_buddy_dir=settings.session_buddy_dir(), warehouse=settings.warehouse_path(),
                      model_dir=settings.model_dir(), snapshot_dir=settings.snapshot_dir(), profile=settings.embedding_profile(),
                      source_timezone=settings.source_timezone())
        values.update(overrides)
        return cls(**values)

    def is_explicit(self, role: str) -> bool:
        """Whether `role`'s path differs from its embedded default (settings.py: the reflection DB's folder, the
        samples, Session Buddy's interruption_manager.db inside SB_SESSION_BUDDY_DIR). Stores the pipeline reads
        count as configured."""
        from sb_pipeline.settings import default_session_buddy_dir, samples_dir

        defaults = {"folder": (self.session_buddy_dir, default_session_buddy_dir(self.stores["reflection"])),
                    "interruption": (self.stores["interruption"], self.session_buddy_dir / "interruption_manager.db"),
                    "crackerjack_metrics": (self.stores["crackerjack_metrics"], samples_dir() / "crackerjack_metrics.db")}
        if role not in defaults:
            return True
        actual, default = defaults[role]
        return actual.expanduser().resolve() != default.resolve()


def _folder(config: HealthConfig, known: set[Path]) -> tuple[list[StoreHealth], list[str]]:
    """Every other *.db / *.duckdb in Session Buddy's folder (top level, as Session Buddy writes them)."""
    folder = config.session_buddy_dir
    if not folder.is_dir():
        if not config.is_explicit("folder"):
            return [], [f"Session Buddy folder {folder} not found: no other stores scanned"]
        missing = StoreHealth(role="folder", label="Session Buddy data folder", path=str(folder), setting="SB_SESSION_BUDDY_DIR")
        missing.problems.append(f"not found: {folder}")
        missing.recommendations.append("Set SB_SESSION_BUDDY_DIR to Session Buddy's data folder (usually ~/.claude/data), or unset it")
        return [missing], []
    others = sorted({p for pattern in PATTERNS for p in folder.glob(pattern) if p.is_file() and p.resolve() not in known})
    return [_guarded(check_store, "other", p, "other", config.snapshot_dir, _zone(config), lock_wait_seconds=config.lock_wait_seconds)
            for p in others], []


def _zone(config: HealthConfig):
    from sb_pipeline.sources.timestamps import zone

    try:
        return zone(config.source_timezone)
    except Exception:  # noqa: BLE001  (unknown zone name): reported once by check_all
        return timezone.utc


def _guarded(check, role: str, path: Path, *args, **kwargs) -> StoreHealth:
    """Run one store's check; an unforeseen failure becomes that store's problem, never the whole report's crash."""
    try:
        return check(path, *args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        store = StoreHealth(role=role, label=role, path=str(path))
        store.problems.append(f"the health check itself failed: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
        store.recommendations.append("Please report this with the output of `sb-pipeline status --json`")
        return store


def check_all(config: HealthConfig) -> HealthReport:
    """The whole report. Never raises for a bad store, a busy warehouse or a broken model."""
    from sb_pipeline.embedding.model_store import cached_model_id

    notes = []
    tz = _zone(config)
    if tz is timezone.utc and config.source_timezone.upper() != "UTC":
        notes.append(f"SB_SOURCE_TZ={config.source_timezone!r} is not a known time zone: naive timestamps read as UTC")
    stores = [_guarded(check_store, role, config.stores[role], role, config.snapshot_dir, tz, explicit=config.is_explicit(role),
                       lock_wait_seconds=config.lock_wait_seconds) for role in STORE_ROLES]
    known = {config.stores[role].resolve() for role in STORE_ROLES} | {config.warehouse.resolve()}
    try:
        others, folder_notes = _folder(config, known)
    except OSError as exc:  # an unreadable folder
        others, folder_notes = [], [f"Session Buddy folder {config.session_buddy_dir} could not be listed: {exc}"]
    try:
        model = check_model(config.model_dir, config.profile, load=config.load_model)
    except Exception as exc:  # noqa: BLE001  (an unreadable cache file, ...)
        model = ModelHealth(model_dir=str(config.model_dir), profile=config.profile)
        model.problems.append(f"the model check itself failed: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
        model.recommendations.append(f"Delete {config.model_dir} and run `make run`: the model is rebuilt in a few seconds")
    warehouse = _guarded(check_warehouse, "warehouse", config.warehouse, cached_model_id(config.model_dir, config.profile),
                         lock_wait_seconds=max(config.lock_wait_seconds, 0.5))
    everything = stores + others + [warehouse]
    names = Counter(s.name for s in everything)
    for store in everything:
        if names[store.name] > 1:  # e.g. the configured reflection DB and the sample one in Session Buddy's folder
            store.title = store.path
    return HealthReport(stores=everything, model=model, generated_at=datetime.now(timezone.utc), notes=notes + folder_notes)
