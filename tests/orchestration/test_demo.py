"""`make demo`: the range it covers and what it tells a person."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from orchestration.demo import default_range, failure_paragraph, parse_args
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
