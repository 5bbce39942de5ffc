"""Runs whose processes were killed (SIGKILL, the OOM killer, a power cut) give back their pool slots.

A step takes a slot of pool `duckdb_write` (limit 1) and returns it when it ends. A process killed
outright returns nothing: its run stays STARTED in Dagster's storage and holds the slot, so every later
run waits forever for the warehouse. Dagster frees slots only for runs that have finished, and its
default run launcher cannot tell that a worker died.

Here a run counts as abandoned when it is not finished, holds slots, and none of the processes that
wrote its events is alive on this machine. It is then marked failed (with a message saying why) and
its slots are freed. That judgement needs the run's processes to be local, so it is made only with
Dagster's local (SQLite) storage; with shared storage (Postgres, several machines) use Dagster's run
monitoring with a launcher that checks worker health instead.

Called by `sb-pipeline run` before it starts and by `abandoned_runs_sensor` under `dagster dev`.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._core.storage.event_log.sqlite import ConsolidatedSqliteEventLogStorage, SqliteEventLogStorage

@dataclass(frozen=True)
class Recovered:
    run_id: str
    job_name: str
    dead_pids: tuple[int, ...]


def _alive(pid: int) -> bool:
    """A killed process stays a zombie until its new parent reaps it (in a container that may be never):
    a zombie counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc here: trust kill(0)
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _worker_event(event) -> bool:
    """Written by the run's own processes (its orchestrator and step workers), not by the daemon that
    launched it, which outlives a killed run worker."""
    return bool(event.step_key) or event.event_type_value == "RUN_START"


def _local_storage(instance: dg.DagsterInstance) -> bool:
    return isinstance(instance.event_log_storage, (SqliteEventLogStorage, ConsolidatedSqliteEventLogStorage))


def recover_abandoned_runs(instance: dg.DagsterInstance) -> list[Recovered]:
    """Mark runs abandoned by killed processes failed and free their pool slots; return what was done."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits or not _local_storage(instance):
        return []
    recovered = []
    for run_id in sorted(storage.get_concurrency_run_ids()):
        record = instance.get_run_record_by_id(run_id)
        if record is None or record.dagster_run.is_finished:
            storage.free_concurrency_slots_for_run(run_id)  # a finished run never needs a slot
            continue
        pids = {event.pid for event in (entry.dagster_event for entry in instance.all_logs(run_id))
                if event is not None and event.pid and _worker_event(event)}
        if not pids or any(_alive(pid) for pid in pids):
            continue  # still working, or not started far enough to tell
        instance.report_run_failed(record.dagster_run, f"sb-pipeline: abandoned, its processes {sorted(pids)} are gone "
                                                        "(killed?); its pool slots were freed so that later runs can write")
        storage.free_concurrency_slots_for_run(run_id)
        recovered.append(Recovered(run_id, record.dagster_run.job_name, tuple(sorted(pids))))
    return recovered


@dg.sensor(default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=60)
def abandoned_runs_sensor(context: dg.SensorEvaluationContext):
    """Frees the warehouse pool from runs whose processes were killed (see the module docstring).
    It touches only Dagster's own storage: never a source, never the warehouse."""
    recovered = recover_abandoned_runs(context.instance)
    if not recovered:
        return dg.SkipReason("no abandoned run holds a pool slot")
    return dg.SkipReason("marked failed and freed the pool slots of " +
                         ", ".join(f"{r.run_id} ({r.job_name}, processes {list(r.dead_pids)} gone)" for r in recovered))
