"""How every flow accounts for its input: raw records, rejects and their quarantine, secret redaction,
JSON lines judged alike in every reader.

The bottom of the package (above only `constants`): source readers, the domain flows and the
warehouse all use it, and it imports none of them.
"""

from sb_pipeline.records.frames import (
    RECORD_SCHEMA,
    REJECT_SCHEMA,
    SourceRead,
    records_frame,
    rejects_frame,
    valid_utf8,
)
from sb_pipeline.records.json_lines import JsonObject, Rejected, json_object, numbered_lines
from sb_pipeline.records.quarantine import EXCERPT_CHARS, excerpt, quarantine_frame
from sb_pipeline.records.redaction import Redaction, redact, redact_json

__all__ = [
    "EXCERPT_CHARS",
    "JsonObject",
    "RECORD_SCHEMA",
    "REJECT_SCHEMA",
    "Redaction",
    "Rejected",
    "SourceRead",
    "excerpt",
    "json_object",
    "numbered_lines",
    "quarantine_frame",
    "records_frame",
    "redact",
    "redact_json",
    "rejects_frame",
    "valid_utf8",
]
