"""Readers for the stores AI-coding tools keep. None writes to its source; a database is read from a
private copy. The conversation readers return `sb_pipeline.records.SourceRead`; the knowledge-graph and
Crackerjack readers return frames of their own with rejects in the same shape."""
