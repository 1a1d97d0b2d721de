"""dbt on what the simulator serves over the demo range (issue #3): the build passes, marts fill.

Five weeks landed by the real extract assets from a simulator on a fixed clock (so every run sees
the same retailer; a pair needs 28 days of RFID counts to be a picking candidate), then one real
`dbt build` (models, seeds, data and unit tests) over that
range, as the demo does. The picking list is then checked rule by rule against the contract
(shared/specs/marts.md, "Store picking") in Python, on the mart's rows, with the facts it relies
on taken from outside the mart where they exist: the stores seed for display minimums, the landed
catalog for costs, the landed orders for online units.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.dbt_runner import DBT_PROJECT_DIR, run_dbt
from tests.simulator_runs import EXTRACT_ASSETS, land, morning_after, serving, simulator_config

#: One pytest-xdist group: the module's tests share the warehouse its module fixture builds, which
#: each worker would otherwise build again.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("simulator_demo_build")]

DEMO_DAYS = 35  # the picking rules need pairs counted for at least 28 days
AS_OF = date(2026, 3, 11)  # D: the last day of the range, the picking list's as_of_date
FIRST_DAY = AS_OF - timedelta(days=DEMO_DAYS - 1)
DBT_VARS = {"partition_start": FIRST_DAY.isoformat(), "partition_end": AS_OF.isoformat()}
# The contract's thresholds (marts.md; the picking_* dbt vars' defaults).
MIN_DAYS_OF_COVER = 90
MIN_COUNTED_DAYS = 28
RECENT_COUNT_DAYS = 7
WINDOW_DAYS = 28
IN_STORE_SOURCE_NAMES = ("pos",)  # orders the shop's point of sale took: not online sales
MART_DIRS = ("core", "reporting")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo range landed from the simulator, then built once by dbt."""
    warehouse = tmp_path_factory.mktemp("simulator_demo") / "warehouse"
    (warehouse / "build").mkdir(parents=True)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("WAREHOUSE_DIR", str(warehouse))
        with serving(simulator_config(morning_after(AS_OF)), monkeypatch):
            land(EXTRACT_ASSETS, FIRST_DAY, AS_OF)
        run_dbt(["build"], warehouse, dbt_vars=DBT_VARS)
        yield warehouse


def _query(warehouse: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    with duckdb.connect(str(warehouse / "build" / "warehouse.duckdb"), read_only=True) as con:
        cursor = con.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _landing(warehouse: Path, source: str, dataset: str) -> str:
    return f"read_parquet('{warehouse}/landing/{source}/{dataset}/date=*/data.parquet')"


def test_dbt_build_passes_every_test(warehouse: Path) -> None:
    results = json.loads((warehouse / "dbt_target" / "run_results.json").read_text())["results"]
    statuses = {r["unique_id"]: r["status"] for r in results}
    tests = {k: s for k, s in statuses.items() if k.startswith(("test.", "unit_test."))}
    assert len(tests) > 100, "the build ran the project's data and unit tests"
    assert any(k.startswith("unit_test.") for k in tests)
    assert {k: s for k, s in tests.items() if s != "pass"} == {}
    others = {k: s for k, s in statuses.items() if k not in tests}
    assert {k: s for k, s in others.items() if s not in ("success", "no-op")} == {}


def test_every_mart_is_non_empty(warehouse: Path) -> None:
    # The marts are the models under models/marts/: read from the project, not from the build.
    models = sorted(
        path.stem
        for folder in MART_DIRS
        for path in (DBT_PROJECT_DIR / "models" / "marts" / folder).glob("*.sql")
    )
    assert "mart_store_picking_candidates" in models and len(models) >= 10
    tables = _query(
        warehouse,
        "select table_name, table_type from information_schema.tables where table_schema = 'marts'",
    )
    assert {t["table_name"] for t in tables} >= set(models)
    empty = [
        m for m in models if _query(warehouse, f"select count(*) as n from marts.{m}")[0]["n"] == 0
    ]
    assert empty == []


@pytest.fixture(scope="module")
def candidates(warehouse: Path) -> list[dict[str, Any]]:
    rows = _query(warehouse, "select * from marts.mart_store_picking_candidates")
    assert rows, "the demo range gives a picking list"
    return rows


def _display_min_qty() -> dict[str, int]:
    with (DBT_PROJECT_DIR / "seeds" / "stores.csv").open(newline="") as handle:
        return {row["store_id"]: int(row["display_min_qty"]) for row in csv.DictReader(handle)}


def test_candidates_are_as_of_the_run_day_and_counted_recently(
    candidates: list[dict[str, Any]],
) -> None:
    for row in candidates:
        assert row["as_of_date"] == AS_OF, row
        days_since_count = (AS_OF - row["last_count_date"]).days
        assert 0 <= days_since_count < RECENT_COUNT_DAYS, row


def test_candidates_have_stock_to_transfer(candidates: list[dict[str, Any]]) -> None:
    display_min = _display_min_qty()
    for row in candidates:
        minimum = display_min.get(row["store_id"], 1)  # stores missing from the seed: default 1
        assert row["transferable_qty"] == row["on_hand_qty"] - minimum, row
        assert row["transferable_qty"] >= 1, row


def test_candidates_on_hand_is_the_latest_count(
    warehouse: Path, candidates: list[dict[str, Any]]
) -> None:
    counts = {
        (r["store_id"], r["sku"]): r
        for r in _query(
            warehouse,
            "select store_id, sku, max(count_date) as last_count_date, "
            "arg_max(on_hand_qty, count_date) as on_hand_qty, min(count_date) as first_count_date "
            "from marts.fct_store_stock_daily where count_date <= ? group by all",
            [AS_OF],
        )
    }
    for row in candidates:
        pair = counts[(row["store_id"], row["sku"])]
        assert row["last_count_date"] == pair["last_count_date"], row
        assert row["on_hand_qty"] == pair["on_hand_qty"], row


def test_candidates_are_slow_in_store(warehouse: Path, candidates: list[dict[str, Any]]) -> None:
    first_counts = {
        (r["store_id"], r["sku"]): r["first_count_date"]
        for r in _query(
            warehouse,
            "select store_id, sku, min(count_date) as first_count_date "
            "from marts.fct_store_stock_daily group by all",
        )
    }
    for row in candidates:
        if row["depletion_28d"] == 0:
            # nothing left the shelf: only pairs counted for at least 28 days qualify
            assert row["days_of_cover"] is None, row
            first = first_counts[(row["store_id"], row["sku"])]
            assert (AS_OF - first).days >= MIN_COUNTED_DAYS, row
        else:
            expected = row["on_hand_qty"] / (row["depletion_28d"] / WINDOW_DAYS)
            assert math.isclose(row["days_of_cover"], expected, rel_tol=1e-9), row
            assert row["days_of_cover"] >= MIN_DAYS_OF_COVER, row


def test_candidates_sell_online(warehouse: Path, candidates: list[dict[str, Any]]) -> None:
    """online_units_sold_28d >= 1, and equal to the units of counted online orders created in
    (D-28, D] as landed (latest version of each order and line)."""
    orders, lines = (
        _landing(warehouse, "shop", "orders"),
        _landing(warehouse, "shop", "order_lines"),
    )
    names = ", ".join(f"'{n}'" for n in IN_STORE_SOURCE_NAMES)
    landed_units = {
        r["sku"]: r["units"]
        for r in _query(
            warehouse,
            f"""
            with latest_orders as (
                select * from {orders}
                qualify row_number() over (partition by order_id order by updated_at desc) = 1
            ),
            latest_lines as (
                select * from {lines}
                qualify row_number() over (
                    partition by order_id, line_id order by order_updated_at desc
                ) = 1
            )
            select latest_lines.sku, sum(latest_lines.quantity) as units
            from latest_lines
            join latest_orders using (order_id)
            where not latest_orders.is_test
                and latest_orders.cancelled_at is null
                and coalesce(latest_orders.source_name, '') not in ({names})
                and (latest_orders.created_at at time zone 'Europe/Paris')::date
                    between ? and ?
            group by all
            """,
            [AS_OF - timedelta(days=WINDOW_DAYS - 1), AS_OF],
        )
    }
    for row in candidates:
        assert row["online_units_sold_28d"] >= 1, row
        assert row["online_units_sold_28d"] == landed_units.get(row["sku"]), row


def test_candidates_margin_and_online_stockout(
    warehouse: Path, candidates: list[dict[str, Any]]
) -> None:
    catalog = _landing(warehouse, "shop", "product_variants")
    landed = {
        r["sku"]: r
        for r in _query(
            warehouse,
            f"select sku, unit_cost, warehouse_available_qty from {catalog} "
            "where _partition_date = ?",
            [AS_OF],
        )
    }
    for row in candidates:
        product = landed[row["sku"]]
        assert row["unit_cost"] == product["unit_cost"], row
        assert row["warehouse_available_qty"] == product["warehouse_available_qty"], row
        assert row["online_stockout"] == (product["warehouse_available_qty"] == 0), row
        margin = row["transferable_qty"] * (row["unit_price"] - row["unit_cost"])
        assert row["potential_margin"] == margin, row


def test_priority_rank_order(candidates: list[dict[str, Any]]) -> None:
    """1 = pick first: online stockouts first, then potential_margin descending, then store_id,
    sku; ranks 1..n without gaps."""
    expected = sorted(
        candidates,
        key=lambda r: (not r["online_stockout"], -r["potential_margin"], r["store_id"], r["sku"]),
    )
    assert [r["priority_rank"] for r in expected] == list(range(1, len(candidates) + 1))
    assert any(r["online_stockout"] for r in candidates), "the demo has online stockouts to rank"
