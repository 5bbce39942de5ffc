"""When things run: a weekly refresh of every source, and declarative automation for the rest.

The schedule (Monday 09:00, like the seed's crontab; `SB_SCHEDULE_TZ`, default UTC) materializes only
the roots, the assets that read a source. Every other asset is declared `eager` (`FOLLOWS_PARENTS`):
it follows its parents once they are updated, so nothing is rebuilt twice, and a manual materialization
in the UI flows downstream too. Dagster's own automation sensor starts STOPPED, so ours starts RUNNING:
`make dev` on a fresh checkout automates without clicks. Every asset carries `FRESHNESS`, so a missed
week is visible in the UI.

The policies are set where each asset is declared (`ROOT_POLICY` / `DOWNSTREAM_POLICY`), never mapped
over the specs afterwards; the schedule and sensor are built by `build_automation()` when definitions
load (never at import), like the resources.
"""

from datetime import timedelta

import dagster as dg

ROOTS = ("raw_conversations", "kg_entities", "crackerjack_runs", "quality_metric_points", "source_health")
WEEKLY_CRON = "0 9 * * 1"
FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(days=8), warn_window=timedelta(days=7, hours=12))
ROOT_POLICY = {"freshness_policy": FRESHNESS}  # refreshed by the schedule and the source sensors
DOWNSTREAM_POLICY = {"freshness_policy": FRESHNESS, "automation_condition": dg.AutomationCondition.eager()}


def root_selection() -> dg.AssetSelection:
    return dg.AssetSelection.assets(*ROOTS)


def build_automation(timezone: str) -> dg.Definitions:
    weekly_job = dg.define_asset_job("weekly_refresh", selection=root_selection(),
                                     description="Every source read again; downstream assets follow by automation.")
    return dg.Definitions(
        jobs=[weekly_job],
        schedules=[dg.ScheduleDefinition(name="weekly_refresh_schedule", job=weekly_job, cron_schedule=WEEKLY_CRON,
                                         execution_timezone=timezone, default_status=dg.DefaultScheduleStatus.RUNNING)],
        sensors=[dg.AutomationConditionSensorDefinition("sb_automation", target=dg.AssetSelection.all(),
                                                        default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=30)],
    )
