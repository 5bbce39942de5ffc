"""The shape of a health report: one `StoreHealth` per database file, one `ModelHealth`, and the verdict.

Why three levels: a *problem* means something the pipeline relies on is broken or absent (the store is
unhealthy and `sb-pipeline status` exits 1); a *warning* is worth a look but breaks nothing (a phantom file
nobody reads, a source held open by Session Buddy, stale vectors); a *note* is plain information (the
interruption manager's tables are empty, as they usually are). Every finding that needs the user to act
comes with a recommendation that says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class TableInfo:
    """One table: its row count, vector coverage where it has an embedding column, and its newest timestamp."""

    name: str
    rows: int | None = None
    columns: list[str] = field(default_factory=list)
    vector_column: str | None = None
    with_vectors: int | None = None
    newest: datetime | None = None
    error: str | None = None

    @property
    def coverage(self) -> float | None:
        if self.vector_column is None or not self.rows or self.with_vectors is None:
            return None
        return self.with_vectors / self.rows

    def to_dict(self) -> dict:
        return {"name": self.name, "rows": self.rows, "vector_column": self.vector_column, "with_vectors": self.with_vectors,
                "embedding_coverage": None if self.coverage is None else round(self.coverage, 4),
                "newest": _iso(self.newest), "error": self.error}


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "unhealthy" if self.problems else "warning" if self.warnings else "ok"


@dataclass
class StoreHealth(Findings):
    """One database file (a Session Buddy or Crackerjack store, or the warehouse)."""

    role: str = "other"                 # reflection | knowledge_graph | crackerjack | interruption | crackerjack_metrics | other | warehouse
    label: str = ""                     # what it is, in words
    path: str = ""
    setting: str | None = None          # the environment variable that points at it
    found: bool = False
    size_bytes: int | None = None
    engine: str | None = None           # from the header: duckdb | sqlite | empty | unknown
    expected_engine: str | None = None
    readable: bool | None = None
    locked: bool = False
    lock_holder: str | None = None
    side_files: dict[str, int] = field(default_factory=dict)
    tables: list[TableInfo] = field(default_factory=list)
    eras: list[str] = field(default_factory=list)
    newest: datetime | None = None
    phantom: bool = False               # 0 bytes, or a database without a single table
    empty: bool = False                 # tables, but not one row in any of them
    extra: dict = field(default_factory=dict)
    title: str = ""                     # set when two stores share a file name (then the path tells them apart)

    @property
    def name(self) -> str:
        return self.title or (self.path.rsplit("/", 1)[-1] if self.path else self.role)

    @property
    def total_rows(self) -> int:
        return sum(t.rows or 0 for t in self.tables)

    def to_dict(self) -> dict:
        return {"name": self.name, "role": self.role, "label": self.label, "path": self.path, "setting": self.setting,
                "status": self.status, "found": self.found, "size_bytes": self.size_bytes, "engine": self.engine,
                "expected_engine": self.expected_engine, "readable": self.readable, "locked": self.locked,
                "lock_holder": self.lock_holder, "side_files": self.side_files, "eras": self.eras,
                "phantom": self.phantom, "empty": self.empty, "newest": _iso(self.newest), "total_rows": self.total_rows,
                "tables": [t.to_dict() for t in self.tables], "extra": self.extra, "problems": self.problems,
                "warnings": self.warnings, "notes": self.notes, "recommendations": self.recommendations}


@dataclass
class ModelHealth(Findings):
    """The embedding model: package found, cache built, hashes match the manifest, loads, unit vectors."""

    model_dir: str = ""
    profile: str = "fp32"
    model_id: str | None = None
    checks: dict[str, bool | None] = field(default_factory=dict)  # found, built, sha256_matches, loads, unit_vector

    def to_dict(self) -> dict:
        return {"model_dir": self.model_dir, "profile": self.profile, "model_id": self.model_id, "status": self.status,
                "checks": self.checks, "problems": self.problems, "warnings": self.warnings, "notes": self.notes,
                "recommendations": self.recommendations}


@dataclass
class HealthReport:
    stores: list[StoreHealth]
    model: ModelHealth
    generated_at: datetime
    notes: list[str] = field(default_factory=list)

    @property
    def unhealthy(self) -> list[str]:
        """Names of what is unhealthy, stores first, then the model."""
        out = [s.name for s in self.stores if s.status == "unhealthy"]
        return out + (["embedding model"] if self.model.status == "unhealthy" else [])

    @property
    def healthy(self) -> bool:
        return not self.unhealthy

    def store(self, role: str) -> StoreHealth | None:
        return next((s for s in self.stores if s.role == role), None)

    def to_dict(self) -> dict:
        return {"generated_at": _iso(self.generated_at), "healthy": self.healthy, "unhealthy": self.unhealthy,
                "warnings": [s.name for s in self.stores if s.status == "warning"]
                + (["embedding model"] if self.model.status == "warning" else []),
                "stores": [s.to_dict() for s in self.stores], "model": self.model.to_dict(), "notes": self.notes}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
