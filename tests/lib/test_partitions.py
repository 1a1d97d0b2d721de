"""Partition key ranges and the shop-day -> UTC window."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from orchestration.lib.partitions import day_bounds_utc, iso_utc, partition_days


def test_partition_days_inclusive() -> None:
    assert partition_days("2026-02-27", "2026-03-01") == [
        date(2026, 2, 27),
        date(2026, 2, 28),
        date(2026, 3, 1),
    ]
    with pytest.raises(ValueError, match="ends before"):
        partition_days("2026-03-02", "2026-03-01")


def test_day_bounds_follow_the_shop_time_zone() -> None:
    start, end = day_bounds_utc(date(2026, 3, 2), "Europe/Paris")
    assert (iso_utc(start), iso_utc(end)) == ("2026-03-01T23:00:00Z", "2026-03-02T23:00:00Z")
    start, end = day_bounds_utc(date(2026, 3, 29), "Europe/Paris")  # DST: a 23-hour day
    assert end - start == datetime(2026, 1, 1, 23, tzinfo=UTC) - datetime(2026, 1, 1, tzinfo=UTC)
