"""The search matrix (every embedded chunk's vector with its ids), cached next to the warehouse.

Why a cache: moving 100k x 384 float32 out of DuckDB costs ~150-300 ms per query, more than the
search itself. The matrix is written once to `<cache>/<key>/vectors.npy` (memory-mapped on
reads) with the ids in a parquet file, and reused while the warehouse's `search_generation`
is unchanged. Every transaction that changes conversations, chunks or vectors renews that token
(a random uuid, so a deleted and rebuilt warehouse never matches an old cache). The cache is a
reader's convenience: if it cannot be written (read-only disk), search works without it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from sb_pipeline.constants import EMBEDDING_DIM
from sb_pipeline.warehouse import generations

_ID_COLUMNS = ["chunk_id", "conversation_id", "project", "kind"]


@dataclass(frozen=True)
class SearchMatrix:
    ids: pl.DataFrame  # chunk_id, conversation_id, project, kind; row i describes vectors[i]
    vectors: np.ndarray  # (n, 384) float32, unit rows
    from_cache: bool = False

    def mask(self, project: str | None = None, kind: str | None = None) -> np.ndarray:
        """Which rows belong to `project` and `kind` (None: any)."""
        keep = pl.lit(True)
        if project is not None:
            keep = keep & (pl.col("project") == project)
        if kind is not None:
            keep = keep & (pl.col("kind") == kind)
        return self.ids.select(keep.fill_null(False).alias("m"))["m"].to_numpy()

    def only(self, project: str | None = None, kind: str | None = None) -> "SearchMatrix":
        if project is None and kind is None:
            return self
        keep = self.mask(project, kind)
        return SearchMatrix(self.ids.filter(pl.Series(keep)), np.asarray(self.vectors[keep]), self.from_cache)


ROWS_PER_BATCH = 65_536


def _from_warehouse(conn: duckdb.DuckDBPyConnection, model_id: str) -> SearchMatrix:
    """The ids first (chunks whose text has a vector of the model), then the vectors streamed a batch at a time
    into one array, each placed at the rows of its text. Joining the vectors to the chunks in SQL held them three
    times over (DuckDB's join, its result, numpy): 3.7 GiB at 555k chunks, where the matrix itself is 0.8 GiB."""
    rows = conn.sql(
        """SELECT k.chunk_id, k.conversation_id, c.project, c.kind, k.text_hash
           FROM conversation_chunks k JOIN conversations c ON c.conversation_id = k.conversation_id
           WHERE k.text_hash IN (SELECT text_hash FROM conversation_embeddings WHERE model_id = ?)""",
        params=[model_id],
    ).pl().with_row_index("row")
    vectors = np.empty((rows.height, EMBEDDING_DIM), dtype=np.float32)
    places = rows.select("text_hash", "row")
    reader = conn.sql("SELECT text_hash, embedding FROM conversation_embeddings WHERE model_id = ?",
                      params=[model_id]).to_arrow_reader(ROWS_PER_BATCH)
    for batch in reader:
        frame = pl.from_arrow(batch).with_row_index("at")
        hit = frame.select("text_hash", "at").join(places, on="text_hash")
        vectors[hit["row"].to_numpy()] = frame["embedding"].to_numpy()[hit["at"].to_numpy()]
    return SearchMatrix(rows.select(_ID_COLUMNS), vectors)


def load_search_matrix(conn: duckdb.DuckDBPyConnection, warehouse: Path, model_id: str, cache_root: Path | None) -> SearchMatrix:
    """The matrix for `model_id`, from the cache when it is current, else from the warehouse (then cached)."""
    token = generations.current(conn, generations.SEARCH)
    if cache_root is None or token is None:
        return _from_warehouse(conn, model_id)
    folder = Path(cache_root) / hashlib.sha256(f"{Path(warehouse).resolve()}\x1f{model_id}".encode()).hexdigest()[:16]
    stamp = {"generation": token, "model_id": model_id, "warehouse": str(Path(warehouse).resolve())}
    try:
        if json.loads((folder / "stamp.json").read_text()) == stamp:
            vectors = np.load(folder / "vectors.npy", mmap_mode="r")
            return SearchMatrix(pl.read_parquet(folder / "ids.parquet"), vectors, from_cache=True)
    except (OSError, ValueError):
        pass
    matrix = _from_warehouse(conn, model_id)
    _write_cache(folder, matrix, stamp)
    return matrix


def _write_cache(folder: Path, matrix: SearchMatrix, stamp: dict) -> None:
    """Build beside the final folder and swap it in, so a reader never sees half a cache."""
    tmp: Path | None = None
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=folder.parent))
        np.save(tmp / "vectors.npy", matrix.vectors)
        matrix.ids.write_parquet(tmp / "ids.parquet")
        (tmp / "stamp.json").write_text(json.dumps(stamp))
        stale = folder.with_name(f"{folder.name}.stale-{os.getpid()}")
        if folder.exists():
            os.replace(folder, stale)
        os.replace(tmp, folder)
        shutil.rmtree(stale, ignore_errors=True)
    except OSError:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
