"""Helpers for materialization metadata shown in the Dagster UI."""

import polars as pl


def markdown_table(frame: pl.DataFrame, empty: str = "_none_") -> str:
    """A frame as a markdown table (pipes and newlines in values escaped), for `MetadataValue.md`."""
    if frame.height == 0:
        return empty
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * frame.width]
    for row in frame.iter_rows():
        lines.append("| " + " | ".join("" if v is None else str(v).replace("|", "\\|").replace("\n", " ") for v in row) + " |")
    return "\n".join(lines)
