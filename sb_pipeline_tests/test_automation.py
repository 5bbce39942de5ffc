"""The weekly schedule, declarative automation downstream, and freshness: what runs when."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
from croniter import croniter

from sb_pipeline.definitions import defs

# What the README promises, written out so that the tests compare the code with the promise, not with itself
# (and do not depend on where the automation module lives).
ROOTS = ("raw_conversations", "kg_entities", "crackerjack_runs", "quality_metric_points", "source_health")
WEEKLY_CRON = "0 9 * * 1"  # Monday 09:00


def test_weekly_schedule_fires_monday_nine_in_the_configured_zone(monkeypatch):
    schedule = defs().resolve_schedule_def("weekly_refresh_schedule")
    assert schedule.cron_schedule == WEEKLY_CRON and schedule.execution_timezone == "UTC"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    fires = croniter(WEEKLY_CRON, datetime(2026, 11, 24, 12, 0))  # a Tuesday
    assert [fires.get_next(datetime) for _ in range(2)] == [datetime(2026, 11, 30, 9, 0), datetime(2026, 12, 7, 9, 0)]
    monkeypatch.setenv("SB_SCHEDULE_TZ", "Europe/Berlin")
    assert defs().resolve_schedule_def("weekly_refresh_schedule").execution_timezone == "Europe/Berlin"


def test_the_schedule_requests_the_roots_only():
    d = defs()
    schedule = d.resolve_schedule_def("weekly_refresh_schedule")
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("UTC")))
    tick = schedule.evaluate_tick(context)
    assert tick.skip_message is None
    (request,) = tick.run_requests
    # The schedule targets one job by name; its request names no other job and no sub-selection, so the run
    # is that job as defined.
    assert schedule.job_name == "weekly_refresh"
    assert request.job_name is None and request.asset_selection is None and request.asset_check_keys is None
    assert request.run_config == {} and request.tags == {"dagster/schedule_name": "weekly_refresh_schedule"}
    # The job's selection, resolved against the loaded asset graph, is exactly the five roots...
    selection = schedule.target.resolvable_to_job.selection
    assert {k.to_user_string() for k in selection.resolve(d.resolve_asset_graph())} == set(ROOTS)
    # ...and so is what the resolved job executes: nothing downstream (that follows by automation).
    job = d.resolve_job_def("weekly_refresh")
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} == set(ROOTS)
    assert {k.to_user_string() for k in d.resolve_asset_graph().root_materializable_asset_keys} == set(ROOTS)


def test_downstream_follows_by_automation_and_everything_has_freshness():
    d = defs()
    graph = d.resolve_asset_graph()
    sensor = d.resolve_sensor_def("sb_automation")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        is_root = key.to_user_string() in ROOTS
        assert (node.automation_condition is None) == is_root, key
        assert node.freshness_policy is not None and node.freshness_policy.fail_window.to_timedelta() == timedelta(days=8)


def test_the_readme_draws_the_graph_the_code_defines():
    from sb_pipeline.defs.diagram import readme_block
    from sb_pipeline_tests.conftest import REPO

    block = readme_block(defs())
    assert "raw_conversations --> conversation_chunks" in block and "new_conversations_sensor -.-> raw_conversations" in block
    assert block in (REPO / "README.md").read_text(), "README's asset graph is stale: run scripts/asset_graph.py --write"


def test_the_executor_is_chosen_by_configuration(monkeypatch):
    import pytest

    assert defs().resolve_implicit_global_asset_job_def().executor_def.name == "multiprocess"
    monkeypatch.setenv("SB_EXECUTOR", "in_process")
    assert defs().resolve_implicit_global_asset_job_def().executor_def.name == "in_process"
    monkeypatch.setenv("SB_EXECUTOR", "dagster:in_process_executor")  # module:attribute, as for dagster_k8s
    assert defs().resolve_job_def("weekly_refresh").executor_def.name == "in_process"
    for wrong, says in (("dagster_k8s:k8s_job_executor", "is its package installed"), ("celery", "module:attribute"),
                        ("dagster:AssetKey", "not a Dagster executor")):
        monkeypatch.setenv("SB_EXECUTOR", wrong)
        with pytest.raises(ValueError, match=says):
            defs()
