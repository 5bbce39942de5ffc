"""`sb-pipeline search` and `stats`: the warehouse opened read-only, a missing or busy one said plainly (exit 2)."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import typer
from rich.table import Table

from sb_pipeline import settings
from sb_pipeline.cli._app import app, console


def _session():
    from sb_pipeline.conversations.service import SearchSession
    from sb_pipeline.embedding import load_embedder
    from sb_pipeline.embedding.model_store import cached_model_id

    profile = settings.embedding_profile()
    return SearchSession(settings.warehouse_path(), settings.cache_dir(), settings.lexical_index_dir(),
                         load_model=lambda: load_embedder(profile=profile), model_id=cached_model_id(settings.model_dir(), profile))


@app.command()
def search(
    query: str | None = typer.Argument(None, help="What you are looking for, in your own words or its exact identifiers"),
    project: str | None = typer.Option(None, help="Only this project"),
    kind: str | None = typer.Option(None, help="conversation, reflection or insight"),
    limit: int = typer.Option(10, min=1, help="How many conversations"),
    mode: str = typer.Option("hybrid", help="hybrid (words and meaning), semantic (meaning: cosine) or lexical (words: BM25)"),
    min_score: float | None = typer.Option(None, "--min-score",
                                           help="Floor on the mode's score: a cosine (semantic; Session Buddy used 0.7), "
                                                "a BM25 score (lexical), or the fused score in [0, 1] (hybrid)"),
    queries: Path | None = typer.Option(None, "--queries", help="A file of JSON lines {query, project?, kind?, limit?, mode?, "
                                                                  "min_score?}: one JSON line out per line in (with --json)"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output"),
) -> None:
    """Rank conversations by their best chunk: BM25 and vectors fused (hybrid, the default), or either alone."""
    from sb_pipeline.conversations.retrieval import MODES, LexicalIndexUnavailable
    from sb_pipeline.warehouse import WarehouseBusyError, WarehouseMissingError

    if (query is None) == (queries is None):
        console.print("[red]give either a QUERY or --queries FILE[/red]")
        raise typer.Exit(2)
    if mode not in MODES:
        console.print(f"[red]--mode must be one of {', '.join(MODES)}, not {mode!r}[/red]")
        raise typer.Exit(2)
    session = _session()
    try:
        if queries is not None:
            if not as_json:
                console.print("[red]--queries writes JSON lines: add --json[/red]")
                raise typer.Exit(2)
            _batch(session, queries)
            return
        answer = session.search(query, limit=limit, mode=mode, project=project, kind=kind, min_score=min_score)
    except (WarehouseBusyError, WarehouseMissingError, LexicalIndexUnavailable, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2)
    if as_json:
        sys.stdout.write(json.dumps({**answer.to_dict(), "model_id": session.model_id}, ensure_ascii=False, indent=2) + "\n")
        return
    _print_answer(answer, min_score, session)


def _print_answer(answer, min_score, session) -> None:
    if answer.notice:
        console.print(f"[yellow]{answer.notice}[/yellow]")
    if not answer.results:
        console.print("No embedded conversations yet: run `make run`." if not session.embedded_chunks
                      else f"No conversation scored {min_score} or more." if min_score is not None else "No match.")
        return
    console.print(_results_table(answer))


WIDE = 100  # terminal columns below which the score's parts and the kind are left out, so the snippet stays readable


def _results_table(answer) -> Table:
    table = Table(title=f"{len(answer.results)} conversations for “{answer.query}” ({answer.mode})")
    columns = ("score", "cosine", "BM25", "project", "date", "kind", "snippet") if console.width >= WIDE else \
        ("score", "project", "date", "snippet")
    for col in columns:
        table.add_column(col, overflow="fold", no_wrap=col in ("score", "cosine", "BM25", "date", "kind"))
    for r in answer.results:
        cells = {"score": f"{r['score']:.3f}", "cosine": "-" if r["semantic_score"] is None else f"{r['semantic_score']:.3f}",
                 "BM25": f"{r['lexical_score']:.1f}", "project": r["project"] or "-", "date": (r["started_at"] or "-")[:10],
                 "kind": r["kind"], "snippet": r["snippet"]}
        table.add_row(*(cells[c] for c in columns))
    return table


def _batch(session, path: Path) -> None:
    """One JSON line out per line in, in order; a bad line gets an error object and the rest still run."""
    from sb_pipeline.conversations.retrieval import LexicalIndexUnavailable

    allowed = {"query", "project", "kind", "limit", "mode", "min_score"}
    for lineno, line in enumerate(path.expanduser().read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("query"), str):
                raise ValueError('each line must be a JSON object with a "query" string')
            unknown = set(item) - allowed
            if unknown:
                raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
            answer = session.search(item["query"], limit=int(item.get("limit", 10)), mode=item.get("mode", "hybrid"),
                                    project=item.get("project"), kind=item.get("kind"), min_score=item.get("min_score"))
            out = answer.to_dict()
        except (ValueError, TypeError, LexicalIndexUnavailable) as exc:
            out = {"line": lineno, "error": str(exc)}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()


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

