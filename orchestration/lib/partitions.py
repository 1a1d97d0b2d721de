"""The business-day partitioning every extract shares, and the day arithmetic around it.

A partition D is the shop's business day [D, D+1) in `SHOP_TIMEZONE`; APIs filter in UTC, so the
bounds are converted here once instead of in every source.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.lib.settings import load_settings

# Read when the definitions are built: the partitions are part of them.
_SETTINGS = load_settings()
SHOP_TIMEZONE = _SETTINGS.shop_timezone

daily_partitions = dg.DailyPartitionsDefinition(
    start_date=_SETTINGS.pipeline_start_date,
    timezone=SHOP_TIMEZONE,
)


def partition_days(start_key: str, end_key: str) -> list[date]:
    """Inclusive partition key range ('YYYY-MM-DD'...'YYYY-MM-DD') -> the list of its days."""
    start, end = date.fromisoformat(start_key), date.fromisoformat(end_key)
    if end < start:
        raise ValueError(f"partition range {start_key}...{end_key} ends before it starts")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def day_bounds_utc(day: date, timezone: str) -> tuple[datetime, datetime]:
    """Business day D in the shop's time zone -> [start, end) as aware UTC datetimes.

    Computed from local midnights, so DST days are 23 or 25 hours long, as they really are.
    """
    tz = ZoneInfo(timezone)
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def iso_utc(moment: datetime) -> str:
    """Aware datetime -> `2026-03-02T08:15:00Z`, the form the APIs filter on."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
