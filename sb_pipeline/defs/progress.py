"""Progress of a long step, as lines in the Dagster run log that people and `sb-pipeline run` can read.

The first embedding of a heavy user's history takes hours (~23 texts/s on 2 cores). A step reports
`progress <asset>: <done>/<total> <unit>, <rate> <unit>/s` after each group it commits, so the UI's
run view shows where it is, and `sb-pipeline run` parses the same lines into its live display.
One format, written and read here only.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

_LINE = re.compile(r"progress (?P<stage>[\w.]+): (?P<done>\d+)/(?P<total>\d+) (?P<unit>\w+)(?:, (?P<rate>[0-9.]+) \w+/s)?")


@dataclass(frozen=True)
class ProgressLine:
    stage: str
    done: int
    total: int
    unit: str
    rate: float | None  # units per second since the step began its work, None before the first group


def parse_progress(message: str | None) -> ProgressLine | None:
    found = _LINE.fullmatch((message or "").strip())
    if found is None:
        return None
    rate = found["rate"]
    return ProgressLine(found["stage"], int(found["done"]), int(found["total"]), found["unit"], float(rate) if rate else None)


@dataclass
class StepProgress:
    """Logs `done/total` after each group; the rate is over the work so far (not the model load before it)."""

    log: object  # the step's context.log
    stage: str
    total: int
    unit: str
    started: float = field(default_factory=time.perf_counter)

    def begin(self) -> None:
        self.log.info(f"progress {self.stage}: 0/{self.total} {self.unit}")
        self.started = time.perf_counter()

    def advance(self, done: int) -> None:
        seconds = time.perf_counter() - self.started
        rate = f", {done / seconds:.1f} {self.unit}/s" if seconds > 0 and done else ""
        self.log.info(f"progress {self.stage}: {done}/{self.total} {self.unit}{rate}")
