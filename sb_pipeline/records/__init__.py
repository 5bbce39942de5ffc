"""How every flow accounts for its input: raw records, rejects and their quarantine, secret redaction.

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
from sb_pipeline.records.quarantine import EXCERPT_CHARS, excerpt, quarantine_frame
from sb_pipeline.records.redaction import Redaction, redact, redact_json

__all__ = [
    "EXCERPT_CHARS",
    "RECORD_SCHEMA",
    "REJECT_SCHEMA",
    "Redaction",
    "SourceRead",
    "excerpt",
    "quarantine_frame",
    "records_frame",
    "redact",
    "redact_json",
    "rejects_frame",
    "valid_utf8",
]
