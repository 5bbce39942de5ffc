"""Source health: the truth about every Session Buddy / Crackerjack store, the warehouse and the model.

Plain Python, no Dagster: `sb-pipeline status` and the `source_health` asset both call `check_all`.

    from sb_pipeline.health import HealthConfig, check_all
    report = check_all(HealthConfig.from_settings())
    report.healthy, report.unhealthy, report.to_dict()

Modules: files.py (engine from the header, side files, lock probe), tables.py (tables, rows, vectors,
newest timestamps from a private copy), roles.py (what each store should hold, schema eras), stores.py
(one store), warehouse.py, embedding.py (the model), report.py (the report's shape), render.py (markdown),
checkup.py (everything at once).
"""

from sb_pipeline.health.checkup import HealthConfig, check_all
from sb_pipeline.health.report import HealthReport, ModelHealth, StoreHealth, TableInfo

__all__ = ["HealthConfig", "HealthReport", "ModelHealth", "StoreHealth", "TableInfo", "check_all"]
