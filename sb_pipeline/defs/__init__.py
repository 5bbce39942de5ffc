"""Dagster definitions, one folder per domain; loaded by `sb_pipeline.definitions`."""
