"""A landing suite's outcome is reused only while nothing it reads has changed: real landing
Parquet files, the real suite file and the real suite process (Great Expectations)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.quality import load_suite, reuse
from orchestration.quality.reuse import ReusedOutcome, check_suites, reusable, suite_inputs_digests
from orchestration.quality.runner import SuiteOutcome
from orchestration.quality.suites import DEFAULT_SUITES_DIR, SuiteDefinition
from tests.quality.landing_data import (
    DAILY,
    LAST_DAY,
    write_landing_day,
    write_shop_orders_history,
)

SHOP_ORDERS = DEFAULT_SUITES_DIR / "landing" / "shop_orders.json"
#: landing suites of both waves, with and without volume checks
LANDING = ["shop_orders", "ga4_sessions", "shop_catalog"]


def _stamp_again(path: Path, extracted_at: datetime) -> None:
    """The same rows landed again by a later extract: only `_extracted_at` differs."""
    table = pq.read_table(path)
    column = table.schema.get_field_index("_extracted_at")
    stamps = pa.array([extracted_at] * table.num_rows, table.schema.field(column).type)
    pq.write_table(table.set_column(column, table.schema.field(column), stamps), path)


def _orders_file(warehouse: Path, day: date) -> Path:
    return warehouse / "landing" / "shop" / "orders" / f"date={day}" / "data.parquet"


def test_an_outcome_stands_while_its_inputs_do_and_is_computed_again_otherwise(
    tmp_path: Path,
) -> None:
    write_shop_orders_history(tmp_path)
    suite = load_suite(SHOP_ORDERS)

    first = check_suites([suite], tmp_path, DAILY, "run-1", force=False)["shop_orders"]
    assert isinstance(first, SuiteOutcome)
    assert not first.failures

    # nothing changed: run-1's outcome, no suite process
    again = check_suites([suite], tmp_path, DAILY, "run-2", force=False)["shop_orders"]
    assert isinstance(again, ReusedOutcome)
    assert again.run_id == "run-1"
    assert again.outcome == first

    # the day extracted again with the same rows: only the extraction clock moved
    _stamp_again(_orders_file(tmp_path, LAST_DAY), datetime(2025, 4, 2, 6, tzinfo=UTC))
    restamped = check_suites([suite], tmp_path, DAILY, "run-3", force=False)["shop_orders"]
    assert isinstance(restamped, ReusedOutcome)
    assert restamped.run_id == "run-1"

    # FORCE_REBUILD=1: computed, and recorded as the outcome that now stands
    forced = check_suites([suite], tmp_path, DAILY, "run-4", force=True)["shop_orders"]
    assert isinstance(forced, SuiteOutcome)
    assert forced.data_docs_index.parent.parent.name == "run-4"

    # a changed row in the window: computed again, and its blocking failure is never reused
    write_shop_orders_history(tmp_path, bad_price_day=LAST_DAY)
    failed = check_suites([suite], tmp_path, DAILY, "run-5", force=False)["shop_orders"]
    assert isinstance(failed, SuiteOutcome)
    assert failed.blocking_failures
    failed_again = check_suites([suite], tmp_path, DAILY, "run-6", force=False)["shop_orders"]
    assert isinstance(failed_again, SuiteOutcome)
    assert failed_again.blocking_failures == failed.blocking_failures


def suite_inputs_digest(suite: SuiteDefinition, warehouse: Path) -> str:
    return suite_inputs_digests([suite], warehouse, DAILY)[suite.name]


def test_the_digest_covers_the_trailing_days_the_volume_check_reads_and_no_others(
    tmp_path: Path,
) -> None:
    """shop_orders compares the window's volume with the 28 landed days before it: a change on
    one of those days changes the digest, a change 29+ landed days back or in another source's
    files does not."""
    days = write_shop_orders_history(tmp_path)  # 30 days: LAST_DAY and 29 before it
    suite = load_suite(SHOP_ORDERS)
    before = suite_inputs_digest(suite, tmp_path)

    write_landing_day(tmp_path, "ga4", "sessions", LAST_DAY, [])
    oldest = days[0]  # 29 landed days before the window: not among the 28 trailing days
    table = pq.read_table(_orders_file(tmp_path, oldest))
    pq.write_table(table.slice(0, 10), _orders_file(tmp_path, oldest))
    assert suite_inputs_digest(suite, tmp_path) == before

    trailing = LAST_DAY - timedelta(days=28)
    table = pq.read_table(_orders_file(tmp_path, trailing))
    pq.write_table(table.slice(0, 10), _orders_file(tmp_path, trailing))
    assert suite_inputs_digest(suite, tmp_path) != before


def test_suites_reading_the_build_are_never_reused() -> None:
    assert not reusable(load_suite(DEFAULT_SUITES_DIR / "marts" / "fct_orders.json"))
    assert reusable(load_suite(SHOP_ORDERS))


def test_a_step_lists_the_landing_once_and_each_digest_is_the_suites_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The suites of a check step share one listing of the landing zone (20,000 day folders at two
    years), and sharing it changes no suite's digest: each equals the digest of that suite alone."""
    write_shop_orders_history(tmp_path)
    write_landing_day(tmp_path, "ga4", "sessions", LAST_DAY, [])
    suites = [load_suite(DEFAULT_SUITES_DIR / "landing" / f"{name}.json") for name in LANDING]
    alone = {suite.name: suite_inputs_digest(suite, tmp_path) for suite in suites}

    listings = []
    listed = reuse.landed_files
    monkeypatch.setattr(reuse, "landed_files", lambda *args: listings.append(args) or listed(*args))
    together = suite_inputs_digests(suites, tmp_path, DAILY)

    assert together == alone
    assert len(set(together.values())) == len(LANDING)
    assert len(listings) == 1
