"""What a run reads does not grow with history (issue #6), and gives the same answers.

A partitioned run's landing views read the window's files and the 28 landed days before it only;
an unpartitioned run reads every file. Mart trailing medians read `in_lookback` days only.
Real Parquet files and a real build DuckDB, written by the tests.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.quality.frames import (
    LOOKBACK_DAYS,
    TRAILING_DAYS,
    Window,
    compute_frames,
    landed_files,
    latest_landed_window,
    volume_files,
)
from orchestration.quality.suites import DEFAULT_SUITES_DIR
from tests.quality.landing_data import (
    DAILY,
    LAST_DAY,
    UNPARTITIONED,
    write_landing_day,
    write_shop_orders_history,
)


def days_ago(n: int) -> date:
    return LAST_DAY - timedelta(days=n)


def _days(frame: pd.DataFrame) -> list[date]:
    return sorted(pd.Timestamp(day).date() for day in frame["day"])


def _landed_days(warehouse: Path, window: Window, view: str) -> list[date]:
    sql = f"select distinct _partition_date as day from {view} order by 1"
    return _days(compute_frames(warehouse, window, {"days": sql})["days"])


def _suite_frame(group: str, suite: str, frame: str) -> str:
    path = DEFAULT_SUITES_DIR / group / f"{suite}.json"
    return json.loads(path.read_text())["meta"]["frames"][frame]["sql"]


def test_a_daily_run_views_the_window_and_28_landed_days_before_it(tmp_path: Path) -> None:
    days = write_shop_orders_history(tmp_path, rejected_orders={days_ago(20): 1, LAST_DAY: 2})
    assert len(days) == TRAILING_DAYS + 2  # the oldest day is one too many
    assert _landed_days(tmp_path, DAILY, "landing_shop__orders") == days[1:]
    # rejects of the window's days only
    assert _landed_days(tmp_path, DAILY, "rejects_shop__orders") == [LAST_DAY]


def test_an_unpartitioned_run_views_every_day(tmp_path: Path) -> None:
    days = write_shop_orders_history(tmp_path, rejected_orders={days_ago(20): 1, LAST_DAY: 2})
    assert _landed_days(tmp_path, UNPARTITIONED, "landing_shop__orders") == days
    assert _landed_days(tmp_path, UNPARTITIONED, "rejects_shop__orders") == [days_ago(20), LAST_DAY]


def _write_ga4_sessions(warehouse: Path, count: int) -> list[date]:
    """`count` days up to LAST_DAY; day i (1 = oldest) has 10 * i sessions."""
    days = [days_ago(n) for n in range(count - 1, -1, -1)]
    for i, day in enumerate(days, start=1):
        row = {"date": day, "session_source": "google", "sessions": 10 * i, "payload": "{}"}
        write_landing_day(warehouse, "ga4", "sessions", day, [row])
    return days


@pytest.mark.parametrize("window", [DAILY, UNPARTITIONED])
def test_the_sessions_trailing_median_still_sees_its_28_days(
    tmp_path: Path, window: Window
) -> None:
    """40 days of 10, 20, ..., 400 sessions: the day before the window is day 39, and the 28
    days before the window are days 12..39 (120..390 sessions): median (250 + 260) / 2 = 255."""
    days = _write_ga4_sessions(tmp_path, 40)
    frames = compute_frames(
        tmp_path,
        window,
        {
            "daily": _suite_frame("landing", "ga4_sessions", "daily_sessions"),
            "volume": "select * from volume_vs_trailing_median('ga4', 'sessions')",
            "viewed": "select distinct date as day from landing_ga4__sessions",
        },
    )
    [row] = frames["daily"].to_dict("records")
    assert (row["sessions"], row["trailing_median"]) == (400, 255)
    assert row["volume_ratio"] == pytest.approx(400 / 255)
    [volume] = frames["volume"].to_dict("records")
    assert (volume["records"], volume["reference_days"]) == (1, TRAILING_DAYS)
    viewed = _days(frames["viewed"])
    assert viewed == (days[-TRAILING_DAYS - 1 :] if window.partitioned else days)


def test_a_folder_without_its_file_is_not_a_landed_day(tmp_path: Path) -> None:
    """A `date=` folder is created before its file is swapped in (or left by a crashed first
    write): the 28 landed days then reach one day further back, and it is not the latest day."""
    days = write_shop_orders_history(tmp_path)
    folder = tmp_path / "landing" / "shop" / "orders"
    (folder / f"date={days_ago(5).isoformat()}" / "data.parquet").unlink()
    (folder / f"date={(LAST_DAY + timedelta(days=1)).isoformat()}").mkdir()
    kept = landed_files(tmp_path, DAILY)
    assert kept == volume_files(landed_files(tmp_path), DAILY)
    orders = [f.day for f in kept if f.dataset == "orders"]
    assert orders == [d for d in days if d != days_ago(5)]  # days[0] is back in
    assert latest_landed_window(tmp_path) == UNPARTITIONED


def _build_stock(warehouse: Path, pairs_by_day: dict[date, int]) -> None:
    """fct_store_stock_daily with `pairs` store x sku rows per count day, in day order."""
    build_db = warehouse / "build" / "warehouse.duckdb"
    build_db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(build_db)) as con:
        con.execute("create schema marts")
        con.execute("create table counts (count_date date, pairs int)")
        con.executemany("insert into counts values (?, ?)", sorted(pairs_by_day.items()))
        con.execute(
            "create table marts.fct_store_stock_daily as "
            "select 'S1' as store_id, 'SKU-' || n as sku, count_date "
            "from counts, range(pairs) as r(n) order by count_date, n"
        )


def _daily_pairs(warehouse: Path, window: Window) -> list[tuple]:
    sql = _suite_frame("marts", "fct_store_stock_daily", "daily_pairs") + " order by day"
    frame = compute_frames(warehouse, window, {"daily_pairs": sql})["daily_pairs"]
    return [
        (
            pd.Timestamp(row.day).date(),
            row.pairs,
            row.trailing_median,
            None if pd.isna(row.volume_ratio) else row.volume_ratio,
        )
        for row in frame.itertuples()
    ]


def test_daily_pairs_against_the_28_previous_count_days(tmp_path: Path) -> None:
    """Stores count six days a week (no Sunday). The 28 count days before Monday 31 March hold
    100 and 110 pairs in turn (median 105); the window day 21 pairs: ratio 0.2. The count days
    before them (1,000 pairs a day, back to 120 days) change nothing."""
    assert LAST_DAY.isoweekday() == 1
    count_days = [d for d in (days_ago(n) for n in range(1, 121)) if d.isoweekday() != 7]
    pairs = {
        day: (100, 110)[i % 2] if i < TRAILING_DAYS else 1_000 for i, day in enumerate(count_days)
    }
    assert count_days[TRAILING_DAYS - 1] == days_ago(33)  # well inside the 56-day lookback
    _build_stock(tmp_path, {**pairs, LAST_DAY: 21})
    [(day, window_pairs, median, ratio)] = _daily_pairs(tmp_path, DAILY)
    assert (day, window_pairs, median) == (LAST_DAY, 21, 105)
    assert ratio == pytest.approx(0.2)


def test_daily_pairs_reads_the_56_days_before_the_window_only(tmp_path: Path) -> None:
    """Counts on days -57 (1,000 pairs), -56..-53 (10 each), -3..-1 (20 each), 0 (5).

    A daily run of day 0 reads back to day -56: 7 reference days 10, 10, 10, 10, 20, 20, 20
    (day -57 is out), median 10, ratio 5 / 10. A run of days -1..0 reads back to day -57:
    day -1 has 7 reference days (1,000, 10 x 4, 20 x 2): median 10, ratio 20 / 10; day 0 has 8
    (the 7 and day -1's 20): median (10 + 20) / 2 = 15, ratio 5 / 15.
    """
    assert LOOKBACK_DAYS == 56
    pairs = {days_ago(57): 1000, days_ago(0): 5}
    pairs |= {days_ago(n): 10 for n in (56, 55, 54, 53)}
    pairs |= {days_ago(n): 20 for n in (3, 2, 1)}
    _build_stock(tmp_path, pairs)
    assert _daily_pairs(tmp_path, DAILY) == [(LAST_DAY, 5, 10, 0.5)]
    two_days = _daily_pairs(tmp_path, Window(days_ago(1), LAST_DAY))
    assert two_days[0] == (days_ago(1), 20, 10, 2.0)
    assert two_days[1][:3] == (LAST_DAY, 5, 15)
    assert two_days[1][3] == pytest.approx(1 / 3)
    # one reference day fewer (day -56 not counted): 6 < 7, no ratio
    del pairs[days_ago(56)]
    (tmp_path / "build" / "warehouse.duckdb").unlink()
    _build_stock(tmp_path, pairs)
    [(_, _, median, ratio)] = _daily_pairs(tmp_path, DAILY)
    assert (median, ratio) == (15, None)


def _build_orders_with_two_loads(warehouse: Path) -> None:
    """fct_orders written by two dbt runs: o1, o2 by the run of 06:00, o3 by the run of 07:00
    (`_loaded_at`, macros/run_loaded_at.sql), and o0 from before the column existed (null)."""
    build_db = warehouse / "build" / "warehouse.duckdb"
    build_db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(build_db)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_orders (order_id varchar, _loaded_at timestamp)")
        con.execute(
            "insert into marts.fct_orders values ('o0', null), "
            "('o1', '2026-11-24 06:00:00'), ('o2', '2026-11-24 06:00:00'), "
            "('o3', '2026-11-25 07:00:00')"
        )


def test_fact_samples_of_a_daily_run_read_the_latest_load(tmp_path: Path) -> None:
    """A partitioned run checks the rows the latest dbt run wrote (o3), an unpartitioned run
    every row (o0, written before the column existed, included)."""
    _build_orders_with_two_loads(tmp_path)
    sql = _suite_frame("marts", "fct_orders", "rows")

    def order_ids(window: Window) -> list[str]:
        return sorted(compute_frames(tmp_path, window, {"rows": sql})["rows"]["order_id"])

    assert order_ids(DAILY) == ["o3"]
    assert order_ids(UNPARTITIONED) == ["o0", "o1", "o2", "o3"]
