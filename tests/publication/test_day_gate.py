"""The day ledger on hand-written landing files: which days a build may read, which it holds.

The pipeline-level sequences (a blocked day, then an earlier day, with the real extracts, dbt,
checks and publication) are in test_held_days.py; these pin the rules, one each, in milliseconds.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.lib import duckdb_settings
from orchestration.lib.duckdb_settings import RunBudget
from orchestration.lib.landing import landing_path
from orchestration.publication.day_gate import (
    HELD_DAYS_ENV,
    LANDING_WINDOW_ENV,
    LANDING_WINDOW_MAX_DAYS,
    NEVER_PASSED,
    BuildPlan,
    SourceModeConflict,
    UncheckedBuild,
    audit_build,
    plan_build,
    record_passed,
)

D1 = date(2026, 11, 20)
D2 = date(2026, 11, 23)


def _land(warehouse: Path, day: date, mode: str = "demo", at: datetime | None = None) -> Path:
    """One landed orders file of `day`, its rows stamped `mode`, modified at `at`."""
    path = landing_path(warehouse, "shop", "orders", day)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {"order_id": ["gid://shopify/Order/1"], "_partition_date": [day], "_source_mode": [mode]}
    )
    pq.write_table(table, path)
    if at is not None:
        os.utime(path, (at.timestamp(), at.timestamp()))
    return path


def _publish(warehouse: Path, run_id: str, own: list[date], mode: str = "demo") -> None:
    """What the publication asset does after publishing: audit, then admit the run's days."""
    days = audit_build(warehouse, run_id, own, mode)
    record_passed(warehouse, run_id, datetime.now(UTC), days)


def test_a_blocked_day_is_held_from_an_earlier_days_build(tmp_path: Path) -> None:
    _land(tmp_path, D1)
    _land(tmp_path, D2)
    # run-d2 builds its own day (D1 never passed: held), then a check blocks it: no publication
    blocked = plan_build(tmp_path, "run-d2", [D2], "demo")
    assert blocked.held == {D1: NEVER_PASSED}
    assert blocked.dbt_env()[HELD_DAYS_ENV] == "2026-11-20"

    later = plan_build(tmp_path, "run-d1", [D1], "demo", lambda day: f"why {day}")

    assert later.held == {D2: f"{NEVER_PASSED} (why 2026-11-23)"}
    assert later.dbt_env()[HELD_DAYS_ENV] == "2026-11-23"
    # the build database still holds run-d2's day: every model is rebuilt without it
    assert later.full_refresh_reason is not None
    assert "2026-11-23" in later.full_refresh_reason and "run-d2" in later.full_refresh_reason
    assert later.dbt_args() == ["--full-refresh"]
    days = audit_build(tmp_path, "run-d1", [D1], "demo")
    assert days.ranges() == [["2026-11-20", "2026-11-20"]]
    assert days.held_list() == [{"day": "2026-11-23", "reason": f"{NEVER_PASSED} (why 2026-11-23)"}]
    record_passed(tmp_path, "run-d1", datetime.now(UTC), days)

    # a passing run of D2 reads it, D1 now admitted, and nothing is left to rebuild
    rerun = plan_build(tmp_path, "run-d2-again", [D2], "demo")
    assert rerun.held == {}
    assert rerun.full_refresh_reason is None
    assert rerun.dbt_args() == []
    _publish(tmp_path, "run-d2-again", [D2])
    assert audit_build(tmp_path, "run-x", [D2], "demo").ranges() == [
        ["2026-11-20", "2026-11-20"],
        ["2026-11-23", "2026-11-23"],
    ]


def test_a_day_landed_again_after_it_passed_is_held_until_it_passes_again(tmp_path: Path) -> None:
    _land(tmp_path, D1, at=datetime.now(UTC) - timedelta(hours=1))
    plan_build(tmp_path, "run-d1", [D1], "demo")
    _publish(tmp_path, "run-d1", [D1])
    _land(tmp_path, D1, at=datetime.now(UTC) + timedelta(minutes=1))  # re-extracted
    _land(tmp_path, D2)

    plan = plan_build(tmp_path, "run-d2", [D2], "demo")

    assert list(plan.held) == [D1]
    assert "landed again after run run-d1 passed it" in plan.held[D1]


def test_the_publication_refuses_a_build_holding_a_blocked_run_s_days(tmp_path: Path) -> None:
    _land(tmp_path, D1)
    _land(tmp_path, D2)
    plan_build(tmp_path, "run-d2", [D2], "demo")  # built, then blocked: never published

    # a run that publishes without rebuilding (no dbt step of its own) must not publish D2
    with pytest.raises(UncheckedBuild, match=r"2026-11-23, built by run run-d2"):
        audit_build(tmp_path, "run-d1", [D1], "demo")


def test_a_live_build_refuses_days_published_in_demo_mode(tmp_path: Path) -> None:
    _land(tmp_path, D1, "demo")
    plan_build(tmp_path, "demo-run", [D1], "demo")
    _publish(tmp_path, "demo-run", [D1])
    _land(tmp_path, D2, "live")

    with pytest.raises(SourceModeConflict) as refused:
        plan_build(tmp_path, "live-run", [D2], "live")

    message = str(refused.value)
    assert "day 2026-11-20 was published in demo mode (run demo-run)" in message
    assert "fresh WAREHOUSE_DIR" in message


def test_a_demo_build_refuses_its_own_days_landed_live(tmp_path: Path) -> None:
    _land(tmp_path, D2, "live")

    with pytest.raises(SourceModeConflict) as refused:
        plan_build(tmp_path, "demo-run", [D2], "demo")

    assert "landing/shop/orders/date=2026-11-23/data.parquet was landed in live mode" in str(
        refused.value
    )


def test_a_change_of_source_mode_rebuilds_and_stamps_the_build_s_mode(tmp_path: Path) -> None:
    _land(tmp_path, D1, "demo")
    plan_build(tmp_path, "demo-run", [D1], "demo")
    _publish(tmp_path, "demo-run", [D1])
    # the demo landing removed, live history started in the same warehouse
    landing_path(tmp_path, "shop", "orders", D1).unlink()
    _land(tmp_path, D2, "live")

    plan = plan_build(tmp_path, "live-run", [D2], "live")

    assert plan.full_refresh_reason == "the build holds demo data and this run is live"
    # the environment may say otherwise: the publication stamps what the build holds
    assert audit_build(tmp_path, "live-run", [D2], "demo").source_mode == "live"


def test_a_range_s_plan_walks_the_landing_tree_once_whatever_its_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A walk per day made the plan of a range run quadratic in its days: the plan of 30 days
    walks the tree a fixed number of times, and still finds the one live file."""
    days = [D1 - timedelta(days=offset) for offset in range(30)]
    for day in days:
        _land(tmp_path, day, "demo")
    _land(tmp_path, days[7], "live")
    walks: list[str] = []
    real_walk = os.walk

    def counting_walk(top, *args, **kwargs):  # type: ignore[no-untyped-def]  # a spy: os.walk runs
        if Path(top) == tmp_path / "landing":  # os.walk recurses through itself on Python 3.11
            walks.append(str(top))
        return real_walk(top, *args, **kwargs)

    monkeypatch.setattr(os, "walk", counting_walk)
    with pytest.raises(SourceModeConflict) as refused:
        plan_build(tmp_path, "demo-run", days, "demo")

    assert f"date={days[7]}/data.parquet was landed in live mode" in str(refused.value)
    assert len(walks) == 1


def test_the_plan_lists_per_dataset_the_landed_days_from_the_run_s_first_day(
    tmp_path: Path,
) -> None:
    """What dbt's `landing_source` reads of each dataset: the days from the run's first day on
    that have a file and are not held; earlier days are not listed, nor held later ones."""
    before, later, unchecked = D1 - timedelta(days=1), D1 + timedelta(days=1), D2
    for day in (before, D1, later, unchecked):
        _land(tmp_path, day)
    _publish(tmp_path, "run-of-later-day", [later])  # passed: a build may read it
    sessions = landing_path(tmp_path, "ga4", "sessions", D1)
    sessions.parent.mkdir(parents=True)
    pq.write_table(pa.table({"sessions": [3]}), sessions)

    plan = plan_build(tmp_path, "daily-run", [D1], "demo")

    assert plan.held.keys() == {before, unchecked}  # never passed (`before` is earlier anyway)
    assert plan.landing_window == (D1, {"shop/orders": [D1, later], "ga4/sessions": [D1]})
    assert json.loads(plan.dbt_env()[LANDING_WINDOW_ENV]) == {
        "since": "2026-11-20",
        "days": {"ga4/sessions": ["2026-11-20"], "shop/orders": ["2026-11-20", "2026-11-21"]},
    }


def test_a_window_of_more_landed_days_than_the_limit_is_not_listed(tmp_path: Path) -> None:
    days = [D1 + timedelta(days=offset) for offset in range(LANDING_WINDOW_MAX_DAYS + 1)]
    for day in days:
        _land(tmp_path, day)

    plan = plan_build(tmp_path, "range-run", days, "demo")

    assert plan.landing_window is None and plan.dbt_env()[LANDING_WINDOW_ENV] == ""
    assert plan_build(tmp_path, "shorter-run", days[1:], "demo").landing_window is not None


def test_a_full_rebuild_gets_the_backfill_budget_whatever_days_the_run_covers() -> None:
    """A daily run's dbt gets the daily budget; the full rebuild a daily run makes after a blocked
    run reads the whole history and gets the backfill budget (under the daily one it spilled more
    than 6 GB at two years)."""
    day = date(2026, 12, 4)
    incremental = BuildPlan(held={}, full_refresh_reason=None)
    rebuild = BuildPlan(held={}, full_refresh_reason="a blocked run left 2026-12-03 in the build")

    assert incremental.budget_days(day, day) == 1
    assert rebuild.budget_days(day, day) is None
    assert duckdb_settings.run_budget(incremental.budget_days(day, day), env={}) == RunBudget(
        memory_limit="512MB", dbt_memory_limit="256MB", dbt_threads=1
    )
    assert duckdb_settings.run_budget(rebuild.budget_days(day, day), env={}) == RunBudget(
        memory_limit="1GB", dbt_memory_limit="2GB", dbt_threads=2
    )
