"""The one entry point Dagster loads (`dagster dev -w workspace.yaml`, `dg dev`, run workers).

Assets, checks and sensors come from the `defs/` folder; the resources are registered here and only
here (`defs/resources.py`), with the schedule, the automation sensor and the executor. Nothing is
read or written at import: the environment is read when Dagster calls `defs()`.
"""

from pathlib import Path

import dagster as dg

from sb_pipeline import settings
from sb_pipeline.defs.automation import build_automation
from sb_pipeline.defs.resources import build_resources
from sb_pipeline.executor import configured_executor


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(resources=build_resources(), executor=configured_executor()),
        build_automation(settings.schedule_timezone()),
    )
