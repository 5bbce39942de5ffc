"""Vectors of a fixed set of texts kept on disk per model, so re-measuring with them costs seconds, not minutes.

The `retrieval_quality` check embeds the same labelled corpus on every run; its vectors depend only on the
model and the text, so they are kept beside the model cache (`<model_dir>/text-vectors/<model id>.npz`, text
sha256 -> vector). A new model id means a new file: nothing stale is ever reused. Writes are atomic (a temp
file renamed), so two processes at worst both embed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np


def cached_embedder(embed: Callable[[list[str]], np.ndarray], model_id: str, model_dir: Path) -> Callable[[list[str]], np.ndarray]:
    """`embed` with a persistent per-model store of every text it has embedded in batches (single queries are not kept)."""
    path = Path(model_dir) / "text-vectors" / (model_id.replace("/", "_") + ".npz")

    def run(texts: list[str]) -> np.ndarray:
        if len(texts) <= 1:
            return embed(texts)
        store = _load(path)
        keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in store]
        if missing:
            for i, vector in zip(missing, embed([texts[i] for i in missing])):
                store[keys[i]] = vector
            _save(path, store)
        return np.stack([store[k] for k in keys]).astype(np.float32)

    return run


def _load(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path) as data:
            return dict(zip(data["keys"].tolist(), data["vectors"]))
    except (OSError, ValueError, KeyError):
        return {}


def _save(path: Path, store: dict[str, np.ndarray]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".vectors-", suffix=".npz", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, keys=np.array(list(store)), vectors=np.stack(list(store.values())))
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the model folder is shared by the pipeline's users
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only model folder costs time, never a result
