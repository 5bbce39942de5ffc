"""The embedding model's health: package found, cache built, hashes match the manifest, it loads, unit vectors.

Why not just call `load_embedder()`: it repairs a bad cache by rebuilding it, which is right for a run but
hides from a status check what was wrong, and writes under data/models. So the manifest is checked field by
field first, and the model is loaded only when the cache is valid (then loading builds nothing). Damage
(an ONNX file that no longer matches its sha256, an unreadable manifest) is a problem; a cache made by an
older recipe or from another package version is only out of date: the next run rebuilds it by itself.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from sb_pipeline.embedding import model_store
from sb_pipeline.health.report import ModelHealth


def _rebuild_hint(target: Path) -> str:
    return (f"Delete {target} (rm -rf) and run `make run`: the model is rebuilt from the installed package in a few "
            "seconds; vectors of the old model become stale and are re-embedded")


def _compare(manifest: dict, target: Path, profile: str) -> tuple[list[str], list[str]]:
    """(damage, out of date) as lists of reasons."""
    src = model_store.source_model_dir()
    damage, dated = [], []
    onnx = target / model_store.ONNX_FILE
    if not onnx.is_file():
        damage.append(f"{model_store.ONNX_FILE} is missing")
    elif manifest.get("onnx_sha256") != model_store.sha256_file(onnx):
        damage.append(f"{model_store.ONNX_FILE} does not match the sha256 in its manifest (edited or truncated)")
    if manifest.get("model_id") != model_store.make_model_id(profile, str(manifest.get("onnx_sha256", ""))):
        damage.append("the manifest's model_id does not match its ONNX sha256")
    if manifest.get("profile") != profile:
        damage.append(f"the manifest is for profile {manifest.get('profile')!r}, not {profile!r}")
    if manifest.get("recipe_version") != model_store.RECIPE_VERSION:
        dated.append(f"built by conversion recipe {manifest.get('recipe_version')}, the code uses {model_store.RECIPE_VERSION}")
    if manifest.get("source_version") != model_store.source_version():
        dated.append(f"built from {model_store.SOURCE_PACKAGE} {manifest.get('source_version')}, {model_store.source_version()} is installed")
    for key, name in (("tokenizer_sha256", "tokenizer.json"), ("safetensors_sha256", "model.safetensors")):
        if manifest.get(key) != model_store.sha256_file(src / name):
            dated.append(f"the installed package's {name} differs from the one the cache was built from")
    return damage, dated


def check_model(model_dir: Path, profile: str = "fp32", load: bool = True) -> ModelHealth:
    """Everything `sb-pipeline status` says about the embedding model; never builds or writes the cache."""
    health = ModelHealth(model_dir=str(model_dir), profile=profile)
    checks = health.checks
    try:
        model_store.source_model_dir()
        checks["package_found"] = True
    except model_store.ModelPackageMissing as exc:
        checks["package_found"] = False
        health.problems.append(str(exc).split(". ")[0])
        health.recommendations.append(f"Install it: .venv/bin/{model_store.INSTALL_HINT} (what `make` does)")
        return health
    target = model_store.cache_dir(model_dir, profile)
    if not target.exists():
        checks["built"] = False
        health.warnings.append(f"not built yet under {target}")
        health.recommendations.append("Nothing to do: it is built once (a few seconds) by the first run or search")
        return health
    checks["built"] = True
    try:
        manifest = json.loads((target / model_store.MANIFEST_FILE).read_text())
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        checks["sha256_matches"] = False
        health.problems.append(f"the manifest {target / model_store.MANIFEST_FILE} is unreadable ({exc})")
        health.recommendations.append(_rebuild_hint(target))
        return health
    health.model_id = manifest.get("model_id")
    damage, dated = _compare(manifest, target, profile)
    checks["sha256_matches"] = not damage
    if damage:
        health.problems.append("the cached model is damaged: " + "; ".join(damage))
        health.recommendations.append(_rebuild_hint(target))
        return health
    if dated:
        health.warnings.append("the cached model is out of date: " + "; ".join(dated))
        health.recommendations.append("Nothing to do: the next run rebuilds it; stored vectors then get a new model id and are re-embedded")
        return health
    if load:
        _load(health, model_dir, profile, target)
    return health


def _load(health: ModelHealth, model_dir: Path, profile: str, target: Path) -> None:
    from sb_pipeline.embedding import EMBEDDING_DIM, load_embedder

    try:
        vector = load_embedder(model_dir=model_dir, threads=1, batch_size=1, profile=profile).embed(["sb-pipeline status check"])[0]
        health.checks["loads"] = True
    except Exception as exc:  # noqa: BLE001  (onnxruntime refuses the graph, tokenizer unreadable, ...)
        health.checks["loads"] = False
        health.problems.append(f"does not load: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
        health.recommendations.append(_rebuild_hint(target))
        return
    norm = math.sqrt(float((vector.astype("float64") ** 2).sum()))
    ok = vector.shape == (EMBEDDING_DIM,) and math.isfinite(norm) and abs(norm - 1.0) < 1e-3
    health.checks["unit_vector"] = ok
    if not ok:
        health.problems.append(f"produces a {vector.shape} vector of norm {norm:.4f}, expected a unit vector of {EMBEDDING_DIM}")
        health.recommendations.append(_rebuild_hint(target))
