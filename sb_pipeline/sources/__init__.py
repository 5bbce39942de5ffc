"""Readers for the stores AI-coding tools keep. Each returns a `SourceRead`; none writes to its source."""

from sb_pipeline.sources.records import SourceRead

__all__ = ["SourceRead"]
