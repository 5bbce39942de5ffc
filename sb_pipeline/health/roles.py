"""What each known store is, what it should contain, and which schema era its tables come from.

Why per role: the same finding means different things in different files. Empty tables in
interruption_manager.db are normal (Session Buddy's interruption manager cannot save its contexts), but a
reflection DB without a single conversation table gives the pipeline nothing to read. Era names follow the
reference (section 0): a live reflection.duckdb usually holds several eras side by side. The table-name
patterns are the reader's own (`sources.reflection_db`), so status and ingestion agree on what is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from sb_pipeline.health.report import StoreHealth
from sb_pipeline.sources.reflection_db import CONVERSATION_TABLE, REFLECTION_TABLE


@dataclass(frozen=True)
class Role:
    key: str
    label: str
    engine: str
    setting: str | None
    source: bool                       # read by the pipeline: missing, phantom or unreadable is a problem
    home: str                          # where the owning tool keeps it
    expected: tuple[str, ...] = ()     # tables the owning tool always creates


ROLES = {
    "reflection": Role("reflection", "Session Buddy conversations and reflections", "duckdb", "SB_REFLECTION_DB", True,
                       "~/.claude/data/reflection.duckdb"),
    "knowledge_graph": Role("knowledge_graph", "Session Buddy knowledge graph", "duckdb", "SB_KNOWLEDGE_GRAPH_DB", True,
                            "~/.claude/data/knowledge_graph.duckdb", ("kg_entities", "kg_relationships")),
    "crackerjack": Role("crackerjack", "Crackerjack runs and quality metrics (Session Buddy)", "sqlite", "SB_CRACKERJACK_DB", True,
                        "~/.claude/data/crackerjack_integration.db", ("crackerjack_results", "quality_metrics_history")),
    "interruption": Role("interruption", "Session Buddy interruption manager", "sqlite", "SB_INTERRUPTION_DB", False,
                         "~/.claude/data/interruption_manager.db", ("interruption_events", "session_contexts", "context_snapshots")),
    "crackerjack_metrics": Role("crackerjack_metrics", "Crackerjack's own agent and provider metrics", "sqlite",
                                "SB_CRACKERJACK_METRICS_DB", False, "~/.cache/crackerjack/metrics.db",
                                ("agent_executions", "provider_performance", "jobs")),
    "other": Role("other", "other store in the Session Buddy folder", "", None, False, "~/.claude/data/"),
}

# Other files Session Buddy writes into its folder (reference 1.1), recognised by a table they always have.
_OTHER_KINDS = (("activity_events", "Session Buddy app monitor (activity.db)"), ("reminders", "Session Buddy reminders (natural_scheduler.db)"),
                ("team_reflections", "Session Buddy team knowledge (team_knowledge.db)"), ("session_metrics", "Session Buddy workflow metrics"),
                ("kg_entities", "a knowledge graph (another graph or collection)"), ("crackerjack_results", "a Crackerjack integration DB"),
                ("interruption_events", "an interruption manager DB"), ("agent_executions", "a Crackerjack metrics DB"))


def content_tables(columns: dict[str, set[str]]) -> list[str]:
    """The tables the reflection reader ingests (conversations and reflections of every era)."""
    return sorted(t for t in columns if CONVERSATION_TABLE.match(t) or REFLECTION_TABLE.match(t))


def reflection_eras(columns: dict[str, set[str]]) -> list[str]:
    """Schema eras present in a reflection DB, oldest first (several at once is normal)."""
    names = set(columns)
    eras = []
    if names & {"search_index", "search_facets"}:
        eras.append("E0 (search_index)")
    if [t for t in ("conversations", "reflections") if t in names and "category" not in columns[t]]:
        eras.append("V1 (conversations, reflections)")
    adapter = [t for t in content_tables(columns) if t not in {"conversations", "reflections", "conversations_v2", "reflections_v2",
                                                                "conversations_legacy"}]
    if adapter:
        eras.append(f"E1 adapter ({', '.join(adapter)})")
    if names & {"conversations_v2", "reflections_v2"}:
        eras.append("E3 v2 (conversations_v2, reflections_v2)")
    if [t for t in ("conversations", "reflections") if t in names and "category" in columns[t]]:
        eras.append("E4 canonical (after the uuid7 migration)")
    if "conversations_legacy" in names:
        eras.append("E4 migration unfinished (conversations_legacy kept)")
    return eras


def _columns(store: StoreHealth) -> dict[str, set[str]]:
    return {t.name: {c.lower() for c in t.columns} for t in store.tables}


def _rows(store: StoreHealth, table: str) -> int:
    return next((t.rows or 0 for t in store.tables if t.name == table), 0)


def _vector_note(store: StoreHealth, tables: list[str], what: str) -> None:
    covered = [t for t in store.tables if t.name in tables and t.vector_column and t.rows]
    rows, vectors = sum(t.rows for t in covered), sum(t.with_vectors or 0 for t in covered)
    if rows:
        store.notes.append(f"Session Buddy's own vectors cover {100 * vectors / rows:.1f} % of {what} ({vectors} of {rows}); "
                           "ignored: they come from several incompatible models, the pipeline embeds everything itself")


def _reflection(store: StoreHealth) -> None:
    columns = _columns(store)
    store.eras = reflection_eras(columns)
    read = content_tables(columns)
    if not read:
        store.problems.append("no conversation or reflection table of any known era: the pipeline reads nothing from it")
        store.recommendations.append(f"Check that {store.setting} points at Session Buddy's reflection.duckdb ({ROLES['reflection'].home})")
        return
    store.notes.append(f"{sum(_rows(store, t) for t in read)} rows in {len(read)} tables read by the pipeline: {', '.join(read)}")
    lacking = [t for t in read if not {"id", "content"} <= columns[t]]
    if lacking:  # the reader skips such a table whole (its rows are lost to the pipeline, so this is a problem)
        store.problems.append(f"no id/content column in {', '.join(lacking)}: the pipeline skips "
                              f"{sum(_rows(store, t) for t in lacking)} rows")
        store.recommendations.append("A damaged or foreign table: compare it with Session Buddy's schema (README, status)")
    _vector_note(store, read, "conversations and reflections")


def _knowledge_graph(store: StoreHealth) -> None:
    columns = _columns(store)
    if "kg_entities" not in columns:
        store.problems.append("no kg_entities table: the pipeline reads no entity from it")
        store.recommendations.append(f"Check that {store.setting} points at Session Buddy's knowledge_graph.duckdb")
        return
    store.eras.append("adapter (kg_entities.embedding)" if "embedding" in columns["kg_entities"] else "legacy (no embedding column)")
    if "__duckpgq_internal" in columns:
        store.eras.append("DuckPGQ property graph")
    store.notes.append(f"{_rows(store, 'kg_entities')} entities, {_rows(store, 'kg_relationships')} relationships")
    _vector_note(store, ["kg_entities"], "entities")


def _crackerjack(store: StoreHealth) -> None:
    columns = _columns(store)
    if "crackerjack_results" not in columns and "quality_metrics_history" not in columns:
        store.problems.append("neither crackerjack_results nor quality_metrics_history: the quality flow reads nothing from it")
        store.recommendations.append(f"Check that {store.setting} points at {ROLES['crackerjack'].home}")
        return
    store.notes.append(f"{_rows(store, 'crackerjack_results')} runs, {_rows(store, 'quality_metrics_history')} metric rows")


def _interruption(store: StoreHealth) -> None:
    present = [t for t in ROLES["interruption"].expected if t in _columns(store)]
    if present and all(_rows(store, t) == 0 for t in present):
        store.notes.append(f"all {len(present)} tables are empty, as usual: Session Buddy's interruption manager fails to save its "
                           "contexts (a datetime json.dumps rejects); nothing here is read by the pipeline")
    elif present:
        store.notes.append(f"{_rows(store, 'interruption_events')} interruption events (window_change rows are mostly noise: "
                           "Session Buddy fakes the window title every second); not read by the pipeline")
        if _rows(store, "session_contexts"):
            store.warnings.append("session_contexts has rows: their context_data may hold a copy of the environment, secrets included")


def _metrics(store: StoreHealth) -> None:
    if "jobs" in _columns(store):
        store.notes.append(f"{_rows(store, 'jobs')} jobs, {_rows(store, 'agent_executions')} agent executions, "
                           f"{_rows(store, 'provider_performance')} provider calls; not read by the pipeline")


def _other(store: StoreHealth) -> None:
    columns = _columns(store)
    if content_tables(columns):
        store.label = "a Session Buddy reflection DB (another collection?)"
        store.eras = reflection_eras(columns)
        return
    store.label = next((label for table, label in _OTHER_KINDS if table in columns), ROLES["other"].label)


def interpret(store: StoreHealth) -> None:
    """Add the role's eras, notes and problems to a store whose tables were read."""
    role = ROLES[store.role]
    missing = [t for t in role.expected if t not in {x.name for x in store.tables}]
    if missing and store.tables:
        (store.problems if role.source else store.warnings).append(f"expected tables missing: {', '.join(missing)}")
    {"reflection": _reflection, "knowledge_graph": _knowledge_graph, "crackerjack": _crackerjack, "interruption": _interruption,
     "crackerjack_metrics": _metrics, "other": _other}[store.role](store)
