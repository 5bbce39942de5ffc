"""The Embedder: tokenizers + onnxruntime, mean pooling, L2 normalisation.

Why the tokenizer is reconfigured: the shipped tokenizer.json hard-codes truncation and *fixed*
padding at 128. sentence-transformers truncates at 256 (max_seq_length) and pads per batch, so
we call `enable_truncation(256)` + `no_padding()` and pad each batch to its own longest text.
Fixed padding to 128 was measured ~10x slower on short texts, and truncating at 128 would
silently diverge from the reference vectors on long texts.

Why texts are sorted by token length: a batch costs as much as its longest member, so grouping
texts of similar length wastes almost no compute on padding. Padding cannot change a vector
(masked keys get exp(-10000) = 0 weight, pooling ignores padded rows), so results do not depend
on how a text is batched (fp32; the optional int8 profile quantises activations per batch, so
its vectors move slightly with batch composition); they are returned in input order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sb_pipeline.constants import EMBEDDING_DIM, MAX_TOKENS
from sb_pipeline.embedding import model_store


def _tokenizer_path() -> Path:
    return model_store.source_model_dir() / "tokenizer.json"


def load_tokenizer():
    """The package's `tokenizers.Tokenizer` with truncation AND padding disabled.

    For chunking: callers split long texts into <= MAX_TOKENS windows using the offsets.
    """
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(_tokenizer_path()))
    tok.no_truncation()
    tok.no_padding()
    return tok


def mean_pool_normalise(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' Pooling(mean) + Normalize, in float32.

    hidden (batch, seq, dim); mask (batch, seq) of 0/1.
    """
    m = mask.astype(np.float32)[:, :, None]
    summed = (hidden * m).sum(axis=1)
    counts = np.maximum(m.sum(axis=1), 1e-9)
    pooled = summed / counts
    norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return (pooled / norms).astype(np.float32, copy=False)


class Embedder:
    """A plain holder of an onnxruntime InferenceSession and a tokenizer.

    Not thread-safe to reconfigure, but `embed` may be called from several threads
    (onnxruntime's `run` and tokenizers' `encode_batch` are both re-entrant).
    """

    def __init__(self, session, tokenizer, manifest: dict, onnx_path: Path, batch_size: int):
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.session = session
        self.tokenizer = tokenizer
        self.manifest = manifest
        self.model_id: str = manifest["model_id"]
        self.onnx_path = onnx_path
        self.batch_size = batch_size
        self.dim = EMBEDDING_DIM
        self._input_names = {i.name for i in session.get_inputs()}

    def __repr__(self) -> str:
        return f"Embedder(model_id={self.model_id!r}, batch_size={self.batch_size})"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm float32 vectors, shape (len(texts), 384), in input order.

        Texts longer than MAX_TOKENS tokens are truncated (chunking is the caller's job).
        """
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of strings, not a single string")
        texts = list(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(texts)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(texts))
        order = np.argsort(lengths, kind="stable")
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            width = int(lengths[idx].max())
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                enc_ids = encodings[i].ids
                ids[row, : len(enc_ids)] = enc_ids
                mask[row, : len(enc_ids)] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            (hidden,) = self.session.run(["last_hidden_state"], feeds)
            out[idx] = mean_pool_normalise(hidden, mask)
        return out


def _session(onnx_path: Path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    return ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])


def load_embedder(
    model_dir: Path | None = None,
    threads: int = 2,
    batch_size: int = 16,
    profile: str = "fp32",
) -> Embedder:
    """Load (building once, if needed) the ONNX model and return a ready Embedder.

    model_dir: cache root (default `sb_pipeline.settings.model_dir()`); threads: onnxruntime
    intra-op threads; batch_size: texts per run (4-32 all work; 16 measured best on 2 cores);
    profile: "fp32" (exact) or "int8" (dynamic quantisation, its own model_id, approximate).
    """
    if threads < 1:
        raise ValueError("threads must be >= 1")
    for _attempt in range(3):
        cached = model_store.ensure_model(model_dir, profile=profile)
        session = _session(cached.onnx_path, threads)
        # The session must hold the file that was hashed; a concurrent rebuild could have
        # swapped the directory between validation and loading. If so, validate again.
        try:
            same_file = model_store.file_key(cached.onnx_path) == cached.file_key
        except OSError:
            same_file = False
        if same_file:
            break
    else:
        raise RuntimeError(f"model cache under {model_dir} keeps changing while loading")

    tokenizer = load_tokenizer()
    tokenizer.enable_truncation(MAX_TOKENS)
    return Embedder(session, tokenizer, cached.manifest, cached.onnx_path, batch_size)

