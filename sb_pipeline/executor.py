"""Which executor runs a run's steps, chosen by configuration (`SB_EXECUTOR`), never by editing code.

The default, `multiprocess`, runs each step in its own process on this machine; `in_process` runs
them all in the run's process. Anything else is `module:attribute` naming an executor definition, so
scaling out is an install and an environment variable: `dagster_k8s:k8s_job_executor` (a pod per
step) or `dagster_celery:celery_executor` (steps on Celery workers). The steps share no local
state, only the warehouse, so they may run anywhere that can reach it.
"""

from __future__ import annotations

import importlib

import dagster as dg

BUILT_IN = {"multiprocess": dg.multiprocess_executor, "in_process": dg.in_process_executor}


def executor_from_name(name: str) -> dg.ExecutorDefinition:
    name = (name or "").strip() or "multiprocess"
    if name in BUILT_IN:
        return BUILT_IN[name]
    module_name, _, attribute = name.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"SB_EXECUTOR={name!r}: use multiprocess, in_process or module:attribute "
                         "(e.g. dagster_k8s:k8s_job_executor)")
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"SB_EXECUTOR={name!r}: cannot load it ({exc}); is its package installed?") from exc
    if not isinstance(found, dg.ExecutorDefinition):
        raise ValueError(f"SB_EXECUTOR={name!r} is a {type(found).__name__}, not a Dagster executor")
    return found


def configured_executor() -> dg.ExecutorDefinition:
    """SB_EXECUTOR, read when definitions load."""
    from sb_pipeline import settings

    return executor_from_name(settings.executor_name())
