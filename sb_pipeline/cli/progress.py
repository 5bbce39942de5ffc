"""A live view of a run: per step, items done of total, rate and ETA, then the counts it ended with.

`sb-pipeline run` executes the run in its own thread of control (Dagster's in-process executor) while a
watcher thread reads the run's events from the instance (the same records the UI's run view shows):
STEP_START, the steps' `progress` log lines (`sb_pipeline.defs.progress`), STEP_SUCCESS / STEP_FAILURE.
On a terminal they drive a redrawing rich display; anywhere else (CI, a pipe) each becomes one plain line.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from sb_pipeline.defs.progress import ProgressLine, parse_progress

# The few counts worth a line when a step ends, by what the step's assets report.
SUMMARY_KEYS = ("read", "new", "updated", "rejected", "chunks_written", "embedded", "added", "deleted", "edges", "alerts_active",
                "unhealthy")
POLL_SECONDS = 0.5


def eta(line: ProgressLine) -> str:
    if not line.rate or line.done >= line.total:
        return ""
    seconds = int((line.total - line.done) / line.rate)
    return f", ETA {seconds // 3600}h{seconds // 60 % 60:02d}m" if seconds >= 3600 else f", ETA {seconds // 60}m{seconds % 60:02d}s"


def describe(line: ProgressLine) -> str:
    rate = f", {line.rate:.1f} {line.unit}/s" if line.rate else ""
    return f"{line.done:,}/{line.total:,} {line.unit}{rate}{eta(line)}"


def summary(metadata: dict) -> str:
    values = {k: getattr(v, "value", v) for k, v in metadata.items()}
    return ", ".join(f"{k} {values[k]}" for k in SUMMARY_KEYS if isinstance(values.get(k), (int, float)))


@dataclass
class RunView:
    """What the watcher prints: a rich display on a terminal, plain lines elsewhere."""

    console: Console
    live: bool
    progress: Progress | None = None
    tasks: dict[str, TaskID] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.live:
            self.progress = Progress(SpinnerColumn(), TextColumn("{task.description:<26}"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), console=self.console, transient=False)

    def step_started(self, step: str) -> None:
        self.started[step] = time.monotonic()
        if self.progress is not None:
            self.tasks[step] = self.progress.add_task(step, total=None, detail="")
        else:
            self._line(f"{step}: started")

    def step_progress(self, step: str, line: ProgressLine) -> None:
        if self.progress is not None and step in self.tasks:
            self.progress.update(self.tasks[step], total=line.total, completed=line.done, detail=describe(line))
        elif self.progress is None:
            self._line(f"{step}: {describe(line)}")

    def step_ended(self, step: str, ok: bool, counts: str) -> None:
        took = time.monotonic() - self.started.get(step, time.monotonic())
        text = f"{'done' if ok else 'FAILED'} in {took:.1f} s" + (f": {counts}" if counts else "")
        if self.progress is not None and step in self.tasks:
            task = self.tasks[step]
            total = self.progress.tasks[task].total or 1
            self.progress.update(task, total=total, completed=total if ok else self.progress.tasks[task].completed, detail=text)
        else:
            self._line(f"{step}: {text}")

    def warn(self, step: str, message: str) -> None:
        text = f"[yellow]{step}: {message}[/yellow]"
        (self.progress.console if self.progress is not None else self.console).print(text, highlight=False, soft_wrap=True)

    def _line(self, text: str) -> None:
        self.console.print(f"{time.strftime('%H:%M:%S')} {text}", highlight=False, soft_wrap=True)


class RunWatcher(threading.Thread):
    """Reads a run's events from the instance as they are written and shows them in a `RunView`."""

    def __init__(self, instance, run_id: str, view: RunView) -> None:
        super().__init__(daemon=True)
        self.instance, self.run_id, self.view = instance, run_id, view
        self.cursor: str | None = None
        self.finished = threading.Event()
        self.materialized: dict[str, list[dict]] = {}

    def run(self) -> None:
        if self.view.progress is not None:
            self.view.progress.start()
        try:
            while not self.finished.is_set():
                self.drain()
                self.finished.wait(POLL_SECONDS)
            self.drain()
        finally:
            if self.view.progress is not None:
                self.view.progress.stop()

    def drain(self) -> None:
        while True:
            batch = self.instance.get_records_for_run(self.run_id, cursor=self.cursor)
            for record in batch.records:
                self.show(record.event_log_entry)
            self.cursor = batch.cursor or self.cursor
            if not batch.has_more:
                return

    def show(self, entry) -> None:
        step, event = entry.step_key, entry.dagster_event
        if step is None:
            return
        if event is None:
            line = parse_progress(entry.user_message)
            if line is not None:
                self.view.step_progress(step, line)
            elif entry.level >= logging.WARNING:
                self.view.warn(step, entry.user_message)
            return
        kind = event.event_type_value
        if kind == "STEP_START":
            self.view.step_started(step)
        elif kind == "ASSET_MATERIALIZATION":
            self.materialized.setdefault(step, []).append(event.event_specific_data.materialization.metadata)
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            counts = "; ".join(filter(None, (summary(m) for m in self.materialized.get(step, []))))
            self.view.step_ended(step, kind == "STEP_SUCCESS", counts)
