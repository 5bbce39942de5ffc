"""The one entry point Dagster loads (`dagster dev -w workspace.yaml`, `dg dev`, run workers)."""

from pathlib import Path

import dagster as dg

from sb_pipeline.defs.resources import build_resources


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(resources=build_resources()),
    )
