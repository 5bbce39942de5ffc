"""`sb-pipeline graph` and `related`: the knowledge graph's report and an entity's relationships, read-only."""

from __future__ import annotations

import json
import sys

import typer
from rich.table import Table

from sb_pipeline import settings
from sb_pipeline.cli._app import app, console


def _read_graph(fn):
    """Run `fn(conn)` on the warehouse read-only, turning a missing, busy or not-yet-upgraded
    warehouse into a clear exit (readers never migrate: only a pipeline run writes)."""
    import duckdb

    from sb_pipeline.warehouse import WarehouseBusyError, WarehouseMissingError, connect

    try:
        with connect(settings.warehouse_path(), read_only=True, wait_seconds=5.0) as conn:
            return fn(conn)
    except (WarehouseBusyError, WarehouseMissingError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2)
    except duckdb.CatalogException:
        console.print("[red]This warehouse has no knowledge-graph tables yet: run `make run` first.[/red]")
        raise typer.Exit(2)


@app.command()
def graph(as_json: bool = typer.Option(False, "--json")) -> None:
    """The knowledge graph's connectivity report (from the latest graph_connectivity run)."""
    from sb_pipeline.warehouse import knowledge_graph as kg

    report = _read_graph(kg.latest_graph_metrics)
    if report is None:
        console.print("No connectivity report yet: materialize the knowledge_graph assets (make run).")
        raise typer.Exit(1)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return
    table = Table(show_header=False, title=f"knowledge graph: {report['health']}")
    for key in ("entities", "edges", "source_edges", "discovered_edges", "candidates", "connectivity_ratio", "avg_degree",
                "isolated_entities", "isolated_share", "embedding_coverage", "components", "largest_component_share", "entity_types", "relation_types",
                "evidence_kinds", "degree_distribution"):
        table.add_row(key, str(report.get(key)))
    console.print(table)
    for line in report.get("recommendations", []):
        console.print(f"• {line}")


@app.command()
def related(name: str = typer.Argument(..., help="An entity name (case-insensitive)"),
            candidates: bool = typer.Option(False, "--candidates", help="Also the edges below the publication cut"),
            as_json: bool = typer.Option(False, "--json")) -> None:
    """An entity's relationships (the source's, then the published ones by probability) with the evidence for each."""
    from sb_pipeline.knowledge_graph.explain import described
    from sb_pipeline.warehouse import knowledge_graph as kg

    entity, edges = _read_graph(lambda conn: kg.relationships_of(conn, name, candidates))
    if entity is None:
        console.print(f"No entity named {name!r}.")
        raise typer.Exit(1)
    rows = described(entity, edges)
    if as_json:
        sys.stdout.write(json.dumps({"entity": entity, "relationships": rows}, indent=2, default=str) + "\n")
        return
    title = f"{entity['name']} ({entity['entity_type']}): {len(rows)} relationships"
    table = Table(title=title + (" (with candidates below the cut)" if candidates else ""))
    for col in ("relation", "other", "p", "confidence", "evidence"):
        table.add_column(col, overflow="fold")
    for r in rows:
        arrow = f"{r['relation_type']} →" if r["direction"] == "out" else f"← {r['relation_type']}"
        p = "" if r["p_related"] is None else f"{r['p_related']:.2f}"
        table.add_row(arrow, r["other"], p, r["confidence"], r["why"])
    console.print(table)
    if not candidates:
        console.print("Candidates below the publication cut: sb-pipeline related NAME --candidates; every feature: --json")
