"""Partition key ranges and the shop-day -> UTC window."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import jinja2
import pytest
import yaml

from orchestration.lib.config import resolve_config
from orchestration.lib.partitions import day_bounds_utc, iso_utc, partition_days
from orchestration.lib.settings import DEFAULT_SHOP_TIMEZONE
from simulator import DEMO_CREDENTIALS

REPO_ROOT = Path(__file__).resolve().parents[2]


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


@pytest.mark.parametrize("value", ["", "America/New_York"])
def test_partitions_extracts_and_dbt_agree_on_the_shop_time_zone(value: str) -> None:
    """An empty SHOP_TIMEZONE is the default everywhere, never '' in one reader and the default
    in another (the partitions would cut days at UTC midnight while the extracts used Paris)."""
    expected = value or DEFAULT_SHOP_TIMEZONE
    env = {**os.environ, "SHOP_TIMEZONE": value}
    partitions = subprocess.run(
        [
            sys.executable,
            "-c",
            "from orchestration.lib.partitions import daily_partitions as p; print(p.timezone)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    ).stdout.strip()
    assert partitions == expected
    assert (
        resolve_config(env, lambda: ("http://127.0.0.1:9", DEMO_CREDENTIALS)).shop_timezone
        == expected
    )
    # dbt renders its project vars with Jinja and `env_var(name, default)`: the same template
    # rendered here with that function, rather than a dbt parse (a minute) for one string.
    project = yaml.safe_load((REPO_ROOT / "dbt_project" / "dbt_project.yml").read_text())
    rendered = (
        jinja2.Environment()
        .from_string(project["vars"]["shop_timezone"])
        .render(env_var=lambda name, default="": env.get(name, default))
    )
    assert rendered == expected
