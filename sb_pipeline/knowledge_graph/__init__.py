"""Knowledge-graph relationship discovery: exact neighbours, null-model thresholds, typed evidence-backed edges (pure numpy/polars)."""
