"""Run assets the way Dagster loads them: taken by key from `sb_pipeline.definitions.defs()`, with the
definitions' own (EnvVar-configured) resources, the environment pointed at a private folder.

Nothing here imports an asset function or a resource class by module path, so moving modules inside
`sb_pipeline/` cannot break the tests that use it. Module-scoped fixtures use `sb_env` (the autouse
`clean_sb_env` fixture is function-scoped and has not run yet when they are set up).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import dagster as dg
import pytest

from sb_pipeline.definitions import defs
from sb_pipeline_tests.conftest import REPO

KG_FLOW = ("kg_entities", "entity_embeddings", "entity_mentions", "discovered_relationships", "graph_connectivity")


def sb_variables(folder: Path, **overrides: str) -> dict[str, str]:
    """Every SB_* variable a run writes through, pointed into `folder` (sources default to the samples)."""
    values = {
        "SB_DATA_DIR": str(folder / "data"),
        "SB_WAREHOUSE": str(folder / "warehouse.duckdb"),
        "SB_SNAPSHOT_DIR": str(folder / "snapshots"),
        "SB_REPORTS_DIR": str(folder / "reports"),
        "SB_CACHE_DIR": str(folder / "cache"),
        "SB_MODEL_DIR": str(REPO / "data" / "models"),  # a shared cache, as in conftest
    }
    values.update(overrides)
    return values


@contextlib.contextmanager
def sb_env(folder: Path, **overrides: str) -> Iterator[dict[str, str]]:
    """Only these SB_* variables are set inside the block; afterwards the environment is as before (any
    SB_* variable something set meanwhile, e.g. a `.env` loaded by python-dotenv, is removed again)."""
    before = {k: v for k, v in os.environ.items() if k.startswith("SB_")}
    with pytest.MonkeyPatch.context() as mp:
        for name in before:
            mp.delenv(name)
        values = sb_variables(folder, **overrides)
        for name, value in values.items():
            mp.setenv(name, value)
        mp.setenv("DAGSTER_DISABLE_TELEMETRY", "1")
        try:
            yield values
        finally:
            for name in [k for k in os.environ if k.startswith("SB_") and k not in before]:
                del os.environ[name]


def materialize(keys: Iterable[str], run_config: dict | None = None, checks: Iterable[str] = ()) -> dg.ExecuteInProcessResult:
    """Materialize the assets `keys` (and the standalone asset checks named in `checks`) from the loaded
    definitions, with their resources, in process, on an ephemeral instance. Raises if the run fails."""
    d = defs()
    graph = d.resolve_asset_graph()
    nodes = list({id(node): node for node in (d.resolve_assets_def(key) for key in keys)}.values())  # a multi-asset once
    wanted = set(checks)
    nodes += [node for node in graph.assets_defs if not node.keys and {k.name for k in node.check_keys} & wanted]
    found = {k.name for node in nodes for k in node.check_keys}
    assert wanted <= found, f"no such asset check in the definitions: {sorted(wanted - found)}"
    return dg.materialize(nodes, run_config=run_config or {}, instance=dg.DagsterInstance.ephemeral())  # resources: bound by defs()


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
            for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}


def metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    (mat,) = result.asset_materializations_for_node(asset)
    return {k: v.value for k, v in mat.metadata.items()}


_BUILT: dict[str, Path] = {}


def sample_graph(tmp_path_factory: pytest.TempPathFactory, stage: str = "connected") -> Path:
    """A warehouse file built from the samples' knowledge graph, once per test session and stage:
    `embedded` (kg_entities, entity_embeddings) or `connected` (all of KG_FLOW, default config). Callers
    get the shared file: copy it before writing to it."""
    if stage not in _BUILT:
        folder = tmp_path_factory.mktemp(f"sample_graph_{stage}")
        if stage == "embedded":
            with sb_env(folder):
                materialize(KG_FLOW[:2])
        elif stage == "connected":
            shutil.copyfile(sample_graph(tmp_path_factory, "embedded"), folder / "warehouse.duckdb")
            with sb_env(folder):
                materialize(KG_FLOW[2:])
        else:
            raise ValueError(stage)
        _BUILT[stage] = folder / "warehouse.duckdb"
    return _BUILT[stage]
