"""The partition window -> dbt day range (environment variables, or `--vars` by hand), without
Dagster or dbt."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from orchestration.dbt.vars import (
    dbt_env_for_vars,
    dbt_vars_args,
    dbt_vars_for_window,
    partition_day_range,
)

PARIS = ZoneInfo("Europe/Paris")


def test_single_day() -> None:
    start = datetime(2026, 11, 3, tzinfo=PARIS)
    end = datetime(2026, 11, 4, tzinfo=PARIS)
    assert dbt_vars_for_window(start, end, "Europe/Paris") == {
        "partition_start": "2026-11-03",
        "partition_end": "2026-11-03",
    }


def test_range_is_inclusive_of_the_last_day() -> None:
    start = datetime(2026, 11, 1, tzinfo=PARIS)
    end = datetime(2026, 11, 8, tzinfo=PARIS)
    assert dbt_vars_for_window(start, end, "Europe/Paris") == {
        "partition_start": "2026-11-01",
        "partition_end": "2026-11-07",
    }


def test_window_given_in_utc_is_read_in_shop_time() -> None:
    # Paris midnight of 2026-03-02 is 23:00 UTC on 03-01: the day is the shop's, not UTC's.
    start = datetime(2026, 3, 1, 23, tzinfo=UTC)
    end = datetime(2026, 3, 2, 23, tzinfo=UTC)
    assert dbt_vars_for_window(start, end, "Europe/Paris")["partition_start"] == "2026-03-02"
    assert dbt_vars_for_window(start, end, "Europe/Paris")["partition_end"] == "2026-03-02"


def test_other_shop_timezone() -> None:
    ny = ZoneInfo("America/New_York")
    start = datetime(2026, 7, 4, tzinfo=ny)
    end = datetime(2026, 7, 5, tzinfo=ny)
    assert dbt_vars_for_window(start, end, "America/New_York") == {
        "partition_start": "2026-07-04",
        "partition_end": "2026-07-04",
    }
    # The same instants are not whole days in Paris.
    with pytest.raises(ValueError, match="midnight"):
        dbt_vars_for_window(start, end, "Europe/Paris")


@pytest.mark.parametrize(("month", "day"), [(3, 29), (10, 25)])  # 23 h and 25 h long in Paris
def test_daylight_saving_days_are_one_day(month: int, day: int) -> None:
    start = datetime(2026, month, day, tzinfo=PARIS)
    end = datetime(2026, month, day + 1, tzinfo=PARIS)
    first, last = partition_day_range(start, end, "Europe/Paris")
    assert first == last == start.date()


def test_no_window_means_everything_landed() -> None:
    assert dbt_vars_for_window(None, None, "Europe/Paris") == {
        "partition_start": None,
        "partition_end": None,
    }


def test_naive_or_empty_windows_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        dbt_vars_for_window(datetime(2026, 1, 1), datetime(2026, 1, 2), "Europe/Paris")
    same = datetime(2026, 1, 1, tzinfo=PARIS)
    with pytest.raises(ValueError, match="empty"):
        dbt_vars_for_window(same, same, "Europe/Paris")


def test_cli_args_are_json() -> None:
    flag, payload = dbt_vars_args({"partition_start": "2026-11-01", "partition_end": None})
    assert flag == "--vars"
    assert json.loads(payload) == {"partition_start": "2026-11-01", "partition_end": None}


def test_environment_carries_the_window() -> None:
    window = {"partition_start": "2026-11-01", "partition_end": "2026-11-02"}
    assert dbt_env_for_vars(window) == {
        "DBT_PARTITION_START": "2026-11-01",
        "DBT_PARTITION_END": "2026-11-02",
    }


def test_no_window_sets_empty_variables() -> None:
    # Both set, empty: a DBT_PARTITION_* inherited from the caller's shell must not leak in.
    assert dbt_env_for_vars(dbt_vars_for_window(None, None, "Europe/Paris")) == {
        "DBT_PARTITION_START": "",
        "DBT_PARTITION_END": "",
    }
