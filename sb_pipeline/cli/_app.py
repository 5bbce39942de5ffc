"""`sb-pipeline`: run the whole pipeline, search conversations, show statistics, check the sources' health.

`run` executes every asset once in this process, recorded in the Dagster instance under
`DAGSTER_HOME` (so the run shows in the UI). `search` and `stats` open the warehouse read-only
and say plainly when it is missing or busy. `status` reports on every store, the warehouse and the model.
"""

from __future__ import annotations

import typer
from rich.console import Console

from sb_pipeline import settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console()


@app.callback()
def _load_environment() -> None:
    """A `.env` in the working directory or the project root configures every command (set variables win)."""
    settings.load_dotenv_files()
