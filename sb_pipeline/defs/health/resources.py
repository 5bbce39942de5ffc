"""The stores only the health check reads: Session Buddy's folder, the interruption manager, Crackerjack's metrics.

Its own `@dg.definitions` (picked up by the defs-folder loader) so the shared resources module stays as it
is. Like the shared resources, every unset variable is given its embedded default before it is wrapped in
`EnvVar`, so the UI shows which variable configures what and every Dagster process resolves the same paths.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from sb_pipeline import settings


class HealthStoresResource(dg.ConfigurableResource):
    """Paths the pipeline does not ingest but `source_health` reports on (read from private copies, never written)."""

    session_buddy_dir: str
    interruption_db: str
    crackerjack_metrics_db: str
    lock_wait_seconds: float = 2.0  # how long a store held read-write by another process is waited for before "locked"


def _env(name: str, default: Path) -> dg.EnvVar:
    os.environ.setdefault(name, str(default))
    return dg.EnvVar(name)


@dg.definitions
def health_resources() -> dg.Definitions:
    settings.load_dotenv_files()
    return dg.Definitions(resources={"health_stores": HealthStoresResource(
        session_buddy_dir=_env("SB_SESSION_BUDDY_DIR", settings.session_buddy_dir()),
        interruption_db=_env("SB_INTERRUPTION_DB", settings.interruption_db_path()),
        crackerjack_metrics_db=_env("SB_CRACKERJACK_METRICS_DB", settings.crackerjack_metrics_db_path()),
    )})
