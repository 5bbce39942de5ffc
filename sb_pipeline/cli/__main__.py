"""`python -m sb_pipeline.cli`, as the old single-module CLI allowed."""

from sb_pipeline.cli import app

app()
