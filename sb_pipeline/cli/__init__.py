"""The `sb-pipeline` command line (console entry point `sb_pipeline.cli:app`).

One module per domain registers its commands on the shared `app`; the import order below is the order
`sb-pipeline --help` lists them in.
"""

from sb_pipeline.cli._app import app, console
from sb_pipeline.cli import pipeline, conversations, analytics, knowledge_graph, quality, health, assistant  # noqa: E402,F401  (registers commands)

__all__ = ["app", "console"]
