"""Where things live. Every path comes from an environment variable with a default under `data/`.

Functions, not module constants: the environment is read when a path is needed, never at import
time, so tests and the Dagster processes (webserver, daemon, run workers) see the same values.
Only the wiring reads them (the CLI, `defs/resources.py`, the health check's CLI config, the model
cache's default); domain code is handed paths. A `.env` file is loaded by `sb-pipeline` on start (the
working directory's, then the project root's, never overriding variables already set) and by
Dagster's own commands from the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The checkout (the folder holding pyproject.toml), for the committed defaults."""
    return Path(__file__).resolve().parent.parent


def _path_from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else default


def data_dir() -> Path:
    return _path_from_env("SB_DATA_DIR", project_root() / "data")


def samples_dir() -> Path:
    return project_root() / "data" / "samples"


def warehouse_path() -> Path:
    return _path_from_env("SB_WAREHOUSE", data_dir() / "warehouse.duckdb")


def lexical_index_dir() -> Path:
    """SB_LEXICAL_INDEX: the BM25 index of the chunks; default `<warehouse>.lexical/` beside a local warehouse
    file (deleted with it by hand, never trusted for another: see warehouse/lexical_index.py), or under the data
    folder for a MotherDuck one."""
    warehouse = os.environ.get("SB_WAREHOUSE", "").strip()
    if warehouse.startswith(("md:", "motherduck:")):
        default = data_dir() / "lexical" / warehouse.split(":", 1)[1].replace("/", "_")
    else:
        default = warehouse_path().with_name(warehouse_path().name + ".lexical")
    return _path_from_env("SB_LEXICAL_INDEX", default)


def model_dir() -> Path:
    return _path_from_env("SB_MODEL_DIR", data_dir() / "models")


def snapshot_dir() -> Path:
    """Private copies of user databases are read from here, never the originals."""
    return _path_from_env("SB_SNAPSHOT_DIR", data_dir() / "snapshots")


def cache_dir() -> Path:
    """Reader-side caches (the search matrix); safe to delete at any time."""
    return _path_from_env("SB_CACHE_DIR", data_dir() / "cache")


def reflection_db_path() -> Path:
    return _path_from_env("SB_REFLECTION_DB", samples_dir() / "reflection.duckdb")


def knowledge_graph_db_path() -> Path:
    return _path_from_env("SB_KNOWLEDGE_GRAPH_DB", samples_dir() / "knowledge_graph.duckdb")


def crackerjack_db_path() -> Path:
    return _path_from_env("SB_CRACKERJACK_DB", samples_dir() / "crackerjack_integration.db")


def session_buddy_dir() -> Path:
    """SB_SESSION_BUDDY_DIR: Session Buddy's data folder (usually ~/.claude/data). `sb-pipeline status` and the
    source_health asset report every *.db / *.duckdb in it, phantoms included; nothing in it is ever written.
    Default: the folder of the reflection DB (Session Buddy keeps all its stores together), so a user who sets
    only SB_REFLECTION_DB has that folder surveyed; the samples' folder without configuration."""
    return _path_from_env("SB_SESSION_BUDDY_DIR", default_session_buddy_dir(reflection_db_path()))


def default_session_buddy_dir(reflection_db: Path) -> Path:
    return Path(reflection_db).expanduser().parent


def interruption_db_path() -> Path:
    """SB_INTERRUPTION_DB: Session Buddy's interruption_manager.db (SQLite). Session Buddy hard-codes it into its
    data folder, so the default follows SB_SESSION_BUDDY_DIR (the shipped sample without configuration)."""
    return _path_from_env("SB_INTERRUPTION_DB", session_buddy_dir() / "interruption_manager.db")


def crackerjack_metrics_db_path() -> Path:
    """SB_CRACKERJACK_METRICS_DB: Crackerjack's own metrics.db (usually ~/.cache/crackerjack/metrics.db), which
    Session Buddy's monitor never reads; only its health is reported."""
    return _path_from_env("SB_CRACKERJACK_METRICS_DB", samples_dir() / "crackerjack_metrics.db")


# The shipped Crackerjack samples end on this day; with them (and no SB_AS_OF) windows end here,
# so the embedded default shows its planted trends and alerts however old the checkout is.
SAMPLES_AS_OF = "2026-11-20T00:00:00Z"


def quality_as_of() -> str:
    """SB_AS_OF if set; the samples' reference instant when reading the samples; else '' (= now)."""
    explicit = os.environ.get("SB_AS_OF", "").strip()
    if explicit:
        return explicit
    return SAMPLES_AS_OF if crackerjack_db_path() == samples_dir() / "crackerjack_integration.db" else ""


def quality_project_aliases() -> dict[str, str]:
    """SB_QUALITY_PROJECT_ALIASES: JSON {path or path prefix: project}, e.g. {".": "session-buddy"} says where
    the runs recorded with a bare "." happened. Invalid JSON raises, naming the variable."""
    import json

    text = os.environ.get("SB_QUALITY_PROJECT_ALIASES", "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"SB_QUALITY_PROJECT_ALIASES is not valid JSON: {exc}") from exc
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError('SB_QUALITY_PROJECT_ALIASES must be a JSON object of strings, e.g. {".": "my-project"}')
    return value


def reports_dir() -> Path:
    return _path_from_env("SB_REPORTS_DIR", data_dir() / "reports")


def transcripts_dir() -> Path:
    return _path_from_env("SB_TRANSCRIPTS_DIR", samples_dir() / "transcripts")


def inbox_dir() -> Path:
    return _path_from_env("SB_INBOX_DIR", samples_dir() / "inbox")


def own_inbox_dir() -> Path:
    """Where the pipeline itself stores conversations it is handed (the MCP server's store_conversation): the
    inbox when SB_INBOX_DIR is set, else `data/inbox/` (the default inbox is the shipped samples, never written);
    the conversation flow reads it beside the inbox."""
    explicit = os.environ.get("SB_INBOX_DIR", "").strip()
    return Path(explicit).expanduser() if explicit else data_dir() / "inbox"


def embedding_profile() -> str:
    """`fp32` (exact, the default) or `int8` (faster, approximate: see the README for its cost)."""
    return os.environ.get("SB_EMBEDDING_PROFILE", "").strip() or "fp32"


def schedule_timezone() -> str:
    """SB_SCHEDULE_TZ: the zone the weekly schedule's Monday 09:00 is read in (default UTC)."""
    return os.environ.get("SB_SCHEDULE_TZ", "").strip() or "UTC"


def executor_name() -> str:
    """SB_EXECUTOR: multiprocess (default), in_process or module:attribute (see executor.py)."""
    return os.environ.get("SB_EXECUTOR", "").strip() or "multiprocess"


def source_timezone() -> str:
    """SB_SOURCE_TZ: the zone of Session Buddy's naive timestamps (default UTC)."""
    return os.environ.get("SB_SOURCE_TZ", "").strip() or "UTC"


def load_dotenv_files() -> None:
    """Read `.env` from the working directory and the project root; real env wins."""
    from dotenv import load_dotenv

    for candidate in (Path.cwd() / ".env", project_root() / ".env"):
        if candidate.is_file():
            load_dotenv(candidate, override=False)


def dagster_home() -> Path:
    """The instance folder; its committed dagster.yaml turns telemetry off and sets the write pool."""
    return _path_from_env("DAGSTER_HOME", project_root() / "data" / "dagster_home")
