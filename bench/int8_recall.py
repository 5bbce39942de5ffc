"""What the optional int8 profile costs: recall@10 of its nearest neighbours against fp32's, and speed.

Corpus: every chunk of the shipped samples (the warehouse `make run` builds); each chunk is a query
against all the others, plus the sample probes. recall@10 = |top10(int8) & top10(fp32)| / 10.

    .venv/bin/python bench/int8_recall.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb
import numpy as np

from sb_pipeline import settings
from sb_pipeline.embedding import load_embedder


def main() -> None:
    conn = duckdb.connect(str(settings.warehouse_path()), read_only=True)
    try:
        texts = [r[0] for r in conn.execute("SELECT DISTINCT text FROM conversation_chunks ORDER BY text").fetchall()]
    finally:
        conn.close()
    probes = [p["query"] for p in json.loads((settings.samples_dir() / "MANIFEST.json").read_text())["probes"]]
    vectors, seconds = {}, {}
    for profile in ("fp32", "int8"):
        emb = load_embedder(profile=profile)
        emb.embed(texts[:32])  # warm-up
        t = time.perf_counter()
        vectors[profile] = (emb.embed(texts), emb.embed(probes))
        seconds[profile] = time.perf_counter() - t
    recalls = []
    for which in (0, 1):
        base_q, base_c = vectors["fp32"][which], vectors["fp32"][0]
        test_q, test_c = vectors["int8"][which], vectors["int8"][0]
        for i in range(len(base_q)):
            a, b = base_c @ base_q[i], test_c @ test_q[i]
            if which == 0:
                a[i] = b[i] = -np.inf  # a chunk is not its own neighbour
            recalls.append(len(set(np.argsort(-a)[:10]) & set(np.argsort(-b)[:10])) / 10)
    cos = np.sum(vectors["fp32"][0] * vectors["int8"][0], axis=1)
    print(f"{len(texts)} chunk texts + {len(probes)} probes")
    print(f"recall@10 of int8 against fp32: mean {np.mean(recalls):.3f}, min {np.min(recalls):.2f}")
    print(f"cosine(int8, fp32) per text: mean {cos.mean():.4f}, min {cos.min():.4f}")
    print(f"speed: fp32 {len(texts) / seconds['fp32']:.0f} texts/s, int8 {len(texts) / seconds['int8']:.0f} texts/s, "
          f"ratio {seconds['fp32'] / seconds['int8']:.2f}x")


if __name__ == "__main__":
    main()
