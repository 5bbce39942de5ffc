"""Words and markdown for a health report: shared by `sb-pipeline status` and the source_health asset's metadata.

Why here and not in the CLI: the UI (markdown) and the terminal (rich) must say the same thing about a store,
so the facts are put into words once; each front end only lays them out.
"""

from __future__ import annotations

from datetime import datetime

from sb_pipeline.health.report import HealthReport, ModelHealth, StoreHealth

ENGINES = {"duckdb": "DuckDB", "sqlite": "SQLite", "empty": "empty file", "unknown": "unknown"}
MARKS = {"ok": "ok", "warning": "WARNING", "unhealthy": "UNHEALTHY"}


def size(n: int | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return "-"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def coverage(store: StoreHealth) -> str:
    """Vector coverage of a store's tables with vectors, e.g. 'conversations 40 %, kg_entities 45 %'."""
    parts = [f"{t.name} {100 * t.coverage:.0f} %" for t in store.tables if t.coverage is not None]
    return ", ".join(parts) or "-"


def facts(store: StoreHealth) -> list[tuple[str, str]]:
    """The store's facts as (label, value) rows, in the order people look for them."""
    if not store.found:
        return [("what", store.label), ("path", _path(store)), ("found", "no")]
    engine = ENGINES.get(store.engine or "", store.engine or "-")
    if store.expected_engine and store.engine in ("duckdb", "sqlite") and store.engine != store.expected_engine:
        engine += f" (expected {ENGINES[store.expected_engine]})"
    rows = [("what", store.label), ("path", _path(store)), ("found", f"yes, {size(store.size_bytes)}"),
            ("engine", f"{engine} (from the file header)"),
            ("readable", {True: "yes", False: "no", None: "-"}[store.readable]),
            ("locked", f"yes, by {store.lock_holder}" if store.locked else "no")]
    if store.side_files:
        rows.append(("side files", ", ".join(f"{k} ({size(v)})" for k, v in store.side_files.items())))
    if store.tables or store.readable:
        rows.append(("tables", f"{len(store.tables)} tables, {store.total_rows} rows"
                     + (" (phantom)" if store.phantom else " (all empty)" if store.empty else "")))
    if store.eras:
        rows.append(("schema eras", "; ".join(store.eras)))
    if any(t.coverage is not None for t in store.tables):
        rows.append(("embedding coverage", coverage(store)))
    if store.role == "warehouse" and store.extra.get("vectors_by_model"):
        current = store.extra.get("current_model_id")
        rows.append(("model ids", "; ".join(f"{mid}{' (current)' if mid == current else ' (stale)' if current else ''}: "
                                            + ", ".join(f"{n} {t}" for t, n in v.items())
                                            for mid, v in store.extra["vectors_by_model"].items())))
    if store.readable:
        rows.append(("newest timestamp", when(store.newest)))
    return rows


def findings(item: StoreHealth | ModelHealth) -> list[tuple[str, str]]:
    """(kind, text) with kind in problem, warning, note, fix."""
    return ([("problem", t) for t in item.problems] + [("warning", t) for t in item.warnings]
            + [("note", t) for t in item.notes] + [("fix", t) for t in item.recommendations])


def model_facts(model: ModelHealth) -> list[tuple[str, str]]:
    names = {"package_found": "package found", "built": "cache built", "sha256_matches": "sha256 matches the manifest",
             "loads": "loads", "unit_vector": "unit vector"}
    rows = [("model dir", model.model_dir), ("profile", model.profile), ("model id", model.model_id or "-")]
    rows += [(label, {True: "yes", False: "NO", None: "-"}[model.checks.get(key)]) for key, label in names.items()]
    return rows


def verdict(report: HealthReport) -> str:
    if report.healthy:
        return "healthy: every store, the warehouse and the model"
    return "UNHEALTHY: " + ", ".join(report.unhealthy)


def _path(store: StoreHealth) -> str:
    return store.path + (f" ({store.setting})" if store.setting else "")


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_summary(report: HealthReport) -> str:
    lines = [f"**{verdict(report)}**", "", "| store | status | engine | size | tables | rows | newest | locked |", "|---|---|---|---|---|---|---|---|"]
    for s in report.stores:
        lines.append("| " + " | ".join(_cell(v) for v in (
            s.name, MARKS[s.status], ENGINES.get(s.engine or "", "-") if s.found else "missing", size(s.size_bytes),
            len(s.tables) if s.readable else "-", s.total_rows if s.readable else "-", when(s.newest), "yes" if s.locked else "no")) + " |")
    m = report.model
    lines.append(f"| embedding model | {MARKS[m.status]} | ONNX | - | - | - | - | - |")
    return "\n".join(lines + [""] + [f"- {n}" for n in report.notes])


def markdown_store(store: StoreHealth) -> str:
    lines = [f"**{store.name}: {MARKS[store.status]}**", "", "| | |", "|---|---|"]
    lines += [f"| {_cell(k)} | {_cell(v)} |" for k, v in facts(store)]
    if store.tables:
        lines += ["", "| table | rows | vectors | newest |", "|---|---|---|---|"]
        for t in store.tables:
            vec = "-" if t.coverage is None else f"{t.with_vectors} ({100 * t.coverage:.0f} %)"
            lines.append(f"| {_cell(t.name)} | {t.rows if t.error is None else 'error'} | {vec} | {when(t.newest)} |")
    lines += [""] + [f"- **{kind}**: {_cell(text)}" for kind, text in findings(store)]
    return "\n".join(lines)


def markdown_model(model: ModelHealth) -> str:
    lines = [f"**embedding model: {MARKS[model.status]}**", "", "| | |", "|---|---|"]
    lines += [f"| {_cell(k)} | {_cell(v)} |" for k, v in model_facts(model)]
    return "\n".join(lines + [""] + [f"- **{kind}**: {_cell(text)}" for kind, text in findings(model)])
