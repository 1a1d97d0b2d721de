"""When the daily pipeline runs: 06:00 shop time, for the shop day that just ended.

`build_schedule_from_partitioned_job` derives the partition from the tick (the 06:00 tick of day
D+1 runs partition D) and the time zone from `daily_partitions` (SHOP_TIMEZONE), so the schedule
follows the shop's clock across daylight-saving changes.

Schedules are off by default so a laptop running `dagster dev` never starts calling real APIs on
its own. Deployments switch it on with `PIPELINE_SCHEDULE_DEFAULT_ON=1` in the environment of the
code location (or with the toggle in the UI, which the instance remembers).
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from orchestration.jobs import daily_pipeline_job
from orchestration.lib.settings import load_settings


def schedule_default_status(
    environ: Mapping[str, str] | None = None,
) -> dg.DefaultScheduleStatus:
    """RUNNING when PIPELINE_SCHEDULE_DEFAULT_ON is truthy (1/true/yes/on), else STOPPED."""
    on = load_settings(environ).schedule_default_on
    return dg.DefaultScheduleStatus.RUNNING if on else dg.DefaultScheduleStatus.STOPPED


daily_pipeline_schedule = dg.build_schedule_from_partitioned_job(
    daily_pipeline_job,
    name="daily_pipeline_schedule",
    description="Runs the daily pipeline at 06:00 shop time for the previous shop day.",
    hour_of_day=6,
    minute_of_hour=0,
    default_status=schedule_default_status(),
)
