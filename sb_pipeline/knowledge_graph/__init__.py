"""Knowledge-graph domain logic, pure numpy/polars: entities, exact neighbours, null-model thresholds, typed relationship discovery, connectivity."""
