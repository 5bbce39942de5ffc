"""Crackerjack quality metrics: normalisation of runs and metric points, trends and degradation alerts (plain polars, no Dagster)."""
