"""Partition window -> dbt's day range: the one place that turns Dagster's time window into dbt's
`partition_start` / `partition_end`. Pure (no Dagster context, no clock), so it is unit-tested on
its own.

How the range reaches dbt: as the environment variables DBT_PARTITION_START / DBT_PARTITION_END
(`dbt_env_for_vars`), not as `--vars`. dbt re-parses the whole project whenever `--vars` change
(seconds a run, and the window changes every day), while the dbt macro that reads the range
(`partition_window_var`, dbt_project/macros/incremental_window.sql) reads the environment
variables only when executing, never while parsing: dbt does not record them in its manifest, so
a run with a new window re-uses the previous parse (partial parsing, nothing re-parsed).

Running dbt by hand, `--vars '{partition_start: A, partition_end: B}'` still works and wins over
the environment (`dbt_vars_args` builds it); with neither set, the range is null = everything.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: dbt var -> the environment variable the dbt project falls back to when the var is not set.
PARTITION_ENV_VARS = {
    "partition_start": "DBT_PARTITION_START",
    "partition_end": "DBT_PARTITION_END",
}


def partition_day_range(start: datetime, end: datetime, timezone: str) -> tuple[date, date]:
    """The inclusive shop-time days covered by the half-open window [start, end).

    Dagster gives a daily partition window as aware datetimes at local midnight; the window may
    arrive in another zone (UTC), so both ends are converted to the shop's zone first. An end at
    local midnight is exclusive, hence the last day is the day before it (this also holds on
    daylight-saving days, which last 23 or 25 hours).
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError(f"partition window must be timezone-aware, got {start!r}..{end!r}")
    tz = ZoneInfo(timezone)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    for bound in (local_start, local_end):
        if bound.time() != time(0, 0):
            raise ValueError(
                f"partition window {start.isoformat()}..{end.isoformat()} does not start and end "
                f"at midnight in {timezone}: not a window of whole shop days"
            )
    first, last = local_start.date(), local_end.date() - timedelta(days=1)
    if last < first:
        raise ValueError(f"empty partition window {start.isoformat()}..{end.isoformat()}")
    return first, last


def dbt_vars_for_window(
    start: datetime | None, end: datetime | None, timezone: str
) -> dict[str, str | None]:
    """dbt vars `partition_start` / `partition_end` (ISO dates, inclusive) for a run's window.

    No window (an unpartitioned run, e.g. `dbt build` of everything from the UI) gives nulls,
    which the dbt project reads as "everything landed".
    """
    if start is None or end is None:
        return {"partition_start": None, "partition_end": None}
    first, last = partition_day_range(start, end, timezone)
    return {"partition_start": first.isoformat(), "partition_end": last.isoformat()}


def dbt_env_for_vars(dbt_vars: dict[str, str | None]) -> dict[str, str]:
    """The environment of the dbt process for `dbt_vars`: both variables always set, an empty
    string for null, so that a value inherited from the caller's environment never leaks in."""
    return {env: dbt_vars.get(name) or "" for name, env in PARTITION_ENV_VARS.items()}


def dbt_vars_args(dbt_vars: dict[str, str | None]) -> list[str]:
    """The CLI arguments for `dbt_vars` when running dbt by hand (JSON is valid YAML, which
    `--vars` expects). The pipeline does not pass them: see the module docstring."""
    return ["--vars", json.dumps(dbt_vars, sort_keys=True)]
