"""`make demo`: the range it covers and what it tells a person."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from orchestration.demo import (
    child_env,
    default_range,
    event_log_kept_open,
    failure_paragraph,
    parse_args,
)
from orchestration.run_progress import Stage, stage_line


def test_the_default_demo_covers_three_whole_months_before_yesterday() -> None:
    assert default_range(date(2026, 12, 2)) == (date(2026, 9, 1), date(2026, 12, 1))
    assert default_range(date(2026, 1, 15)) == (date(2025, 10, 1), date(2026, 1, 14))


def test_days_or_explicit_bounds_override_the_default() -> None:
    assert parse_args(["--end", "2026-10-15"], {}) == (date(2026, 7, 1), date(2026, 10, 15))
    assert parse_args(["--end", "2026-10-15", "--days", "14"], {}) == (
        date(2026, 10, 2),
        date(2026, 10, 15),
    )
    assert parse_args([], {"DEMO_START": "2026-10-01", "DEMO_END": "2026-10-31"}) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
    )


def test_the_demo_plans_its_range_with_one_event_per_asset_not_per_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A range run over 10 days of two assets records 2 planned events in the launcher's
    environment (each a SQLite commit), not 20: one per asset and day made the demo's planning
    grow with its days times its assets."""
    env = child_env({}, tmp_path / "warehouse")
    for name, value in env.items():
        if name.startswith("DAGSTER_"):
            monkeypatch.setenv(name, value)
    days = dg.DailyPartitionsDefinition(start_date="2026-09-01")
    policy = dg.BackfillPolicy.single_run()

    @dg.asset(partitions_def=days, backfill_policy=policy)
    def upstream() -> None: ...

    @dg.asset(partitions_def=days, backfill_policy=policy, deps=[upstream])
    def downstream() -> None: ...

    range_tags = {
        ASSET_PARTITION_RANGE_START_TAG: "2026-09-01",
        ASSET_PARTITION_RANGE_END_TAG: "2026-09-10",
    }
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        result = dg.materialize([upstream, downstream], instance=instance, tags=range_tags)
        planned = instance.get_records_for_run(
            result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
        ).records
        materialized = instance.get_records_for_run(
            result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records
    assert len(planned) == 2
    assert len(materialized) == 20  # each day of each asset is still recorded


def test_while_the_demo_follows_a_run_its_event_log_is_not_checkpointed_per_event(
    tmp_path: Path,
) -> None:
    """Dagster opens and closes a SQLite connection per event; closing the last one checkpoints
    the write-ahead log into the database and deletes it (disk syncs, per event of thousands).
    With the demo's idle connection open, the log stays between events."""

    @dg.asset
    def anything() -> None: ...

    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        run = instance.get_run_by_id(dg.materialize([anything], instance=instance).run_id)
        assert run is not None
        storage = instance.event_log_storage
        logs = [Path(f"{storage.path_for_shard(shard)}-wal") for shard in ("index", run.run_id)]
        instance.report_engine_event("before", run)
        assert not any(log.exists() for log in logs)  # checkpointed and deleted on close
        with event_log_kept_open(instance, run.run_id) as opened:
            instance.report_engine_event("while followed", run)
            instance.report_run_failed(run)  # a run status event: written to both files
            assert all(log.exists() for log in logs)
        assert opened == [log.with_name(log.name.removesuffix("-wal")) for log in logs]
        instance.report_engine_event("after", run)
        assert not any(log.exists() for log in logs)


def test_the_kept_connection_never_creates_a_missing_file(tmp_path: Path) -> None:
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        with event_log_kept_open(instance, "no-such-run") as opened:
            assert Path(instance.event_log_storage.path_for_shard("no-such-run")) not in opened
        assert not Path(instance.event_log_storage.path_for_shard("no-such-run")).exists()


def _stage(name: str, **fields) -> Stage:
    stage = Stage(name, steps={"a"}, units_total=1, started_at=100.0, ended_at=112.4)
    for key, value in fields.items():
        setattr(stage, key, value)
    return stage


def test_a_stage_line_says_what_the_stage_produced_and_how_long_it_took() -> None:
    stage = _stage("extract", steps={"a", "b"})
    stage.rows_by_asset = {"landing/ga4_sessions": 12000, "landing/meta_ads": 345}
    stage.rejects_by_asset = {"landing/ga4_sessions": 2, "landing/meta_ads": 0}
    line = stage_line(stage)
    assert line.split() == [
        "v",
        "extract",
        "2",
        "sources,",
        "12,345",
        "rows,",
        "2",
        "rejected",
        "12s",
    ]
    warned = stage_line(_stage("mart checks", checks_passed=15, checks_warned=["x: y"]))
    assert warned.split()[:5] == ["!", "mart", "checks", "15", "passed,"]
    assert "1 warning(s)" in warned


def test_a_failure_names_the_check_says_nothing_was_published_and_gives_the_log() -> None:
    stages = [
        _stage(
            "landing checks",
            checks_failed=["landing/shop_orders:ge_shop_orders: 3 failed"],
            failures=["step ge_landing: DagsterAssetCheckFailedError: 1 blocking check failed"],
        ),
        _stage("publish"),  # never ran: no step succeeded
    ]
    text = " ".join(failure_paragraph(stages, Path("/w/logs/demo.log"), 1).split())
    assert text == (
        "The run failed: landing/shop_orders:ge_shop_orders: 3 failed. Nothing was published: "
        "BI keeps the last publication. Full log: /w/logs/demo.log"
    )
