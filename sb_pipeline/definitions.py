"""The one entry point Dagster loads (`dagster dev -w workspace.yaml`, `dg dev`, run workers)."""

from pathlib import Path

import dagster as dg

from sb_pipeline import settings
from sb_pipeline.defs.automation import apply_policies, build_automation
from sb_pipeline.defs.resources import build_resources
from sb_pipeline.executor import configured_executor


@dg.definitions
def defs() -> dg.Definitions:
    resources = dg.Definitions(resources=build_resources())  # also reads .env
    assets = dg.Definitions.merge(dg.load_from_defs_folder(path_within_project=Path(__file__).parent), resources)
    return dg.Definitions.merge(apply_policies(assets), build_automation(settings.schedule_timezone()),
                                dg.Definitions(executor=configured_executor()))
