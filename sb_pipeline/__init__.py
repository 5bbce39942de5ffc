"""sb-pipeline: a local-first Dagster pipeline over the records AI-coding tools already keep."""
