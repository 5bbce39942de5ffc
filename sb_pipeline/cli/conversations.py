"""`sb-pipeline search` and `stats`: the warehouse opened read-only, a missing or busy one said plainly (exit 2)."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

import typer
from rich.table import Table

from sb_pipeline import settings
from sb_pipeline.cli._app import app, console


@app.command()
def search(
    query: str = typer.Argument(..., help="What you are looking for, in your own words"),
    project: str | None = typer.Option(None, help="Only this project"),
    kind: str | None = typer.Option(None, help="conversation, reflection or insight"),
    limit: int = typer.Option(10, min=1, help="How many conversations"),
    min_score: float = typer.Option(0.0, "--min-score", help="Cosine threshold (Session Buddy used 0.7)"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output"),
) -> None:
    """Rank conversations by their best-matching chunk."""
    from sb_pipeline.conversations.search import rank_conversations, snippet
    from sb_pipeline.embedding import load_embedder
    from sb_pipeline.warehouse import WarehouseBusyError, WarehouseMissingError, connect
    from sb_pipeline.warehouse import conversations as store

    from sb_pipeline.warehouse.search_matrix import load_search_matrix

    model = load_embedder(profile=settings.embedding_profile())
    query_vec = model.embed([query])[0]
    warehouse = settings.warehouse_path()
    try:
        with connect(warehouse, read_only=True, wait_seconds=5.0) as conn:
            matrix = load_search_matrix(conn, warehouse, model.model_id, settings.cache_dir()).only(project, kind)
            chunk_ids = matrix.ids["chunk_id"]
            hits = rank_conversations(query_vec, matrix.vectors, matrix.ids["conversation_id"], limit=limit, min_score=min_score)
            details = store.search_details(conn, [chunk_ids[h.chunk_row] for h in hits])
    except (WarehouseBusyError, WarehouseMissingError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2)
    results = []
    for hit in hits:
        d = details[chunk_ids[hit.chunk_row]]
        started = d["started_at"]
        results.append({
            "score": round(hit.score, 4),
            "conversation_id": hit.conversation_id,
            "project": d["project"],
            "kind": d["kind"],
            "source": d["source"],
            "source_ref": d["source_ref"],
            "started_at": started.isoformat() if started else None,
            "chunk": d["ordinal"],
            "snippet": snippet(d["text"], query),
        })
    if as_json:
        sys.stdout.write(json.dumps({"query": query, "model_id": model.model_id, "results": results}, ensure_ascii=False, indent=2) + "\n")
        return
    if not results:
        console.print(f"No conversation scored {min_score} or more." if matrix.vectors.shape[0] else "No embedded conversations yet: run `make run`.")
        return
    table = Table(title=f"{len(results)} conversations for “{query}”")
    for col in ("score", "project", "date", "kind", "snippet"):
        table.add_column(col, overflow="fold")
    for r in results:
        table.add_row(f"{r['score']:.3f}", r["project"] or "-", (r["started_at"] or "-")[:10], r["kind"], r["snippet"])
    console.print(table)


@app.command()
def stats(as_json: bool = typer.Option(False, "--json")) -> None:
    """Conversation statistics (Session Buddy's get_conversation_statistics, over every source)."""
    from sb_pipeline.embedding import load_embedder
    from sb_pipeline.warehouse import WarehouseBusyError, WarehouseMissingError, connect
    from sb_pipeline.warehouse import conversations as store

    model_id = load_embedder(profile=settings.embedding_profile()).model_id
    try:
        with connect(settings.warehouse_path(), read_only=True, wait_seconds=5.0) as conn:
            result = store.statistics(conn, model_id, datetime.now(timezone.utc))
    except (WarehouseBusyError, WarehouseMissingError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2)
    result["model_id"] = model_id
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        table = Table(show_header=False, title="conversation statistics")
        for k, v in result.items():
            table.add_row(k, str(v))
        console.print(table)

