"""The pipeline's own DuckDB warehouse: short-lived connections, one schema, explicit SQL."""

from sb_pipeline.warehouse.connection import WarehouseBusyError, WarehouseMissingError, connect

__all__ = ["WarehouseBusyError", "WarehouseMissingError", "connect"]
