"""The lexical (BM25) index of every chunk, kept beside the warehouse with tantivy.

Why tantivy (bench/lexical_libraries.py has the figures): it persists on disk, adds and deletes documents
in place (an update after 100 new conversations is a few hundred documents, not a rebuild of every chunk),
filters by project and kind inside the query, and ranks with BM25 (k1 1.2, b 0.75) in Rust.

What is indexed: each chunk's `sb_pipeline.text.tokens` (the same function tokenises queries), as
space-joined words under tantivy's whitespace tokenizer, so tantivy never re-tokenises our tokens; the
chunk's `key` (the first 15 hex digits of its chunk_id as an integer: unique in practice, and a fast field),
its conversation's project and kind as raw terms for filters.

Staying in step: `sync` makes the index hold exactly the warehouse's chunks (adds what is new, deletes what
is gone: a changed chunk has a new id; a kill before the commit loses nothing but time), commits, and then stamps the index with the warehouse's
`chunks_generation` and the tokeniser version. A reader uses the index only while both stamps still match
(`open_current`); a deleted or rebuilt warehouse (a fresh token), a chunk written since, or a new tokeniser
makes it stale, never silently wrong. Only the pipeline writes it (pool `duckdb_write`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from sb_pipeline.text.tokens import tokens

HIT_SCHEMA = {"chunk_id": pl.Utf8, "conversation_id": pl.Utf8, "lexical_score": pl.Float32}
INDEX_VERSION = 1  # bump when the tokeniser or the schema here changes: every index is then rebuilt
STAMP = "stamp.json"
WRITER_HEAP = 128_000_000  # bytes tantivy buffers before it flushes a segment
ADD_BATCH = 5_000  # chunks read from the warehouse and tokenised at once


def chunk_key(chunk_id: str) -> int:
    return int(chunk_id[:15], 16)


def chunk_keys(chunk_ids: pl.Series) -> pl.Series:
    return chunk_ids.str.slice(0, 15).str.to_integer(base=16).alias("key")


def _schema():
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("key", indexed=True, fast=True)
    builder.add_text_field("text", tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field("project", tokenizer_name="raw")
    builder.add_text_field("kind", tokenizer_name="raw")
    builder.add_text_field("chunk_id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("conversation_id", stored=True, tokenizer_name="raw", index_option="basic")
    return builder.build()


@dataclass
class SyncResult:
    docs: int
    added: int
    deleted: int
    rebuilt: bool
    generation: str


def read_stamp(folder: Path) -> dict | None:
    try:
        return json.loads((folder / STAMP).read_text())
    except (OSError, ValueError):
        return None


def _write_stamp(folder: Path, stamp: dict) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".stamp-", dir=folder)
    with os.fdopen(fd, "w") as handle:
        json.dump(stamp, handle)
    os.replace(tmp, folder / STAMP)


def sync(read: Callable[[], ContextManager[duckdb.DuckDBPyConnection]], folder: Path, generation: str,
         on_progress: Callable[[int, int], None] | None = None) -> SyncResult:
    """Make the index at `folder` hold exactly the warehouse's chunks as of `generation` (its chunks token,
    `generations.ensure`d by the caller). `read()` opens a short read-only connection: the chunks are read a
    batch at a time, so the warehouse is never held while words are tokenised. `on_progress(done, total)`
    after each batch of added chunks."""
    import tantivy

    stamp = read_stamp(folder)
    rebuilt = stamp is None or stamp.get("version") != INDEX_VERSION
    if rebuilt and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(_schema(), path=str(folder), reuse=True)
    with read() as conn:
        wanted = conn.sql("SELECT chunk_id FROM conversation_chunks").pl()["chunk_id"]
    keys = chunk_keys(wanted)
    held = _held_keys(index)
    gone, new = held - set(keys.to_list()), wanted.filter(~keys.is_in(list(held)))
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
    for key in gone:
        writer.delete_documents_by_term("key", key)
    added = 0
    for frame in _chunk_rows(read, new):
        _add(writer, frame)
        added += frame.height
        if on_progress is not None:
            on_progress(added, new.len())
    writer.commit()
    writer.wait_merging_threads()
    _write_stamp(folder, {"chunks_generation": generation, "version": INDEX_VERSION, "docs": wanted.len()})
    return SyncResult(docs=wanted.len(), added=added, deleted=len(gone), rebuilt=rebuilt, generation=generation)


def in_memory(chunks: pl.DataFrame, fold_plurals: bool = False) -> "LexicalIndex":
    """An index held in memory of `chunks` (chunk_id, conversation_id, text, project, kind): for measuring
    retrieval on a labelled corpus without touching any warehouse."""
    import tantivy

    index = tantivy.Index(_schema())
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
    _add(writer, chunks.select(chunk_keys(chunks["chunk_id"]), "chunk_id", "conversation_id", "text", "project", "kind"), fold_plurals)
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return LexicalIndex(index)


def _add(writer, frame: pl.DataFrame, fold_plurals: bool = False) -> None:
    import tantivy

    for key, chunk_id, conversation_id, text, project, kind in frame.iter_rows():
        writer.add_document(tantivy.Document(key=key, chunk_id=chunk_id, conversation_id=conversation_id,
                                             text=" ".join(tokens(text, fold_plurals)), project=project or "", kind=kind))


def _held_keys(index) -> set[int]:
    import tantivy

    index.reload()
    searcher = index.searcher()
    if searcher.num_docs == 0:
        return set()
    hits = searcher.search(tantivy.Query.all_query(), limit=searcher.num_docs).hits
    return set(searcher.fast_field_values("key", [address for _, address in hits]))


def _chunk_rows(read, chunk_ids: pl.Series) -> Iterator[pl.DataFrame]:
    """(key, chunk_id, conversation_id, text, project, kind) of the given chunks, ADD_BATCH at a time."""
    for start in range(0, chunk_ids.len(), ADD_BATCH):
        with read() as conn:
            frame = conn.sql(
                """SELECT k.chunk_id, k.conversation_id, k.text, c.project, c.kind FROM conversation_chunks k
                   JOIN conversations c ON c.conversation_id = k.conversation_id
                   WHERE k.chunk_id IN (SELECT unnest(?::VARCHAR[]))""",
                params=[chunk_ids.slice(start, ADD_BATCH).to_list()]).pl()
        yield frame.select(chunk_keys(frame["chunk_id"]), "chunk_id", "conversation_id", "text", "project", "kind")


class LexicalIndex:
    """A current index, opened for queries."""

    def __init__(self, index) -> None:
        self._index = index
        self._searcher = index.searcher()
        self._schema = index.schema

    @property
    def docs(self) -> int:
        return self._searcher.num_docs

    def search(self, query_tokens: list[str], limit: int, project: str | None = None, kind: str | None = None,
               boosts: dict[str, float] | None = None) -> pl.DataFrame:
        """The best `limit` chunks (chunk_id, conversation_id, lexical_score: BM25), best first. Repeated query
        words count once; `boosts` multiply chosen words' weight (e.g. identifiers)."""
        import tantivy

        words = list(dict.fromkeys(query_tokens))
        if not words or limit <= 0:
            return pl.DataFrame(schema=HIT_SCHEMA)
        clauses = []
        for word in words:
            term = tantivy.Query.term_query(self._schema, "text", word)
            factor = (boosts or {}).get(word, 1.0)
            clauses.append((tantivy.Occur.Should, term if factor == 1.0 else tantivy.Query.boost_query(term, factor)))
        query = tantivy.Query.boolean_query(clauses)
        filters = [(tantivy.Occur.Must, tantivy.Query.term_query(self._schema, field, value))
                   for field, value in (("project", project), ("kind", kind)) if value is not None]
        if filters:
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), *filters])
        hits = self._searcher.search(query, limit=limit).hits
        docs = [self._searcher.doc(address) for _, address in hits]
        return pl.DataFrame({"chunk_id": [d.get_first("chunk_id") for d in docs],
                             "conversation_id": [d.get_first("conversation_id") for d in docs],
                             "lexical_score": [score for score, _ in hits]}, schema=HIT_SCHEMA)


def open_current(folder: Path, generation: str | None) -> LexicalIndex | None:
    """The index at `folder` if it reflects the warehouse's chunks as of `generation`, else None (missing,
    stale, or built by another tokeniser)."""
    stamp = read_stamp(folder)
    if generation is None or stamp is None or stamp.get("chunks_generation") != generation \
            or stamp.get("version") != INDEX_VERSION:
        return None
    import tantivy

    try:
        return LexicalIndex(tantivy.Index.open(str(folder)))
    except (OSError, ValueError):
        return None
