"""Shopify bulk operations for backfills, against the simulator over loopback.

The bulk path must land exactly what the paged path lands (the same bytes), fail clearly in
every way a bulk operation can end without a result, and never send the access token to the
storage host that serves the result.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.config import resolve_config
from orchestration.lib.extract import ExtractRun
from orchestration.lib.http import ApiError
from orchestration.lib.settings import ConfigError
from orchestration.sources.shop import catalog as catalog_src
from orchestration.sources.shop import orders as orders_src
from orchestration.sources.shop.bulk import BulkOperationError
from simulator import DEMO_CREDENTIALS, FaultConfig, PageSizes, SimulatorServer
from tests.sources.conftest import DAY, read_rejects

UNLIMITED = {"shop_bucket_size": 1e9, "shop_restore_rate": 1e9}
RANGE = [DAY + timedelta(days=i) for i in range(8)]  # 8 days >= the default threshold of 7


def _landed(warehouse: Path) -> dict[str, str]:
    """sha256 of every landed orders file (rejects included), by path under the warehouse."""
    root = warehouse / "landing" / "shop"
    files = {
        path.relative_to(root): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*.parquet"))
    }
    return {
        str(path): digest
        for path, digest in files.items()
        if path.parts[0] in orders_src.ORDER_DATASETS
        or (path.parts[0] == "_rejects" and path.parts[1] in orders_src.ORDER_DATASETS)
    }


def _run(make: Callable[[str], ExtractRun], min_days: int) -> ExtractRun:
    """A shop extract run, the catalog landed first (orders are checked against it)."""
    catalog_src.extract_catalog(make("shop"), [DAY])
    run = make("shop")
    run.config = dataclasses.replace(run.config, shopify_bulk_min_days=min_days)
    return run


def test_bulk_and_paged_land_byte_identical_files(
    serve: Callable[..., SimulatorServer],
    extract_run: Callable[[str], ExtractRun],
    warehouse: Path,
    tmp_path: Path,
) -> None:
    """Small pages and a refund with more lines than the bulk follow-up reads at once: both
    paths must follow every connection to its end and still agree byte for byte."""
    sim = serve(
        page_sizes=PageSizes(shop=10, shop_line_items=3),
        orders_per_day=30.0,
        bulk_refund_order_share=0.05,
        **UNLIMITED,
    )
    paged = _run(extract_run, min_days=len(RANGE) + 1)
    assert orders_src.extract_orders(paged, RANGE)["orders_read_with"] == "pages"
    paged_files = _landed(warehouse)
    (warehouse / "landing").rename(tmp_path / "paged")

    bulk = _run(extract_run, min_days=len(RANGE))
    assert orders_src.extract_orders(bulk, RANGE)["orders_read_with"] == "bulk"
    assert _landed(warehouse) == paged_files
    assert len(paged_files) == 8 * len(RANGE)  # 4 datasets + 4 rejects files a day
    assert bulk.totals.rows["orders"] > 100 and bulk.totals.rows["refund_lines"] > 0
    assert bulk.totals.rows == paged.totals.rows
    operations = list(sim.app.shop.bulk.operations.values())
    assert [op.status for op in operations] == ["COMPLETED"]
    assert operations[0].root_object_count == bulk.totals.rows["orders"]
    assert bulk.metadata()["query_cost_points"] < paged.metadata()["query_cost_points"] / 2
    _every_refund_line_names_a_line_of_its_own_order(warehouse)


def _every_refund_line_names_a_line_of_its_own_order(warehouse: Path) -> None:
    """Line item ids are unique across orders in Shopify: orders with many lines must not take
    the ids of the next orders' lines (the dbt refund tests block such a day)."""
    landing = warehouse / "landing" / "shop"
    lines = duckdb.sql(
        f"select line_id, order_id from read_parquet('{landing}/order_lines/**/*.parquet')"
    ).fetchall()
    refunds = duckdb.sql(
        f"select line_id, order_id from read_parquet('{landing}/refund_lines/**/*.parquet')"
    ).fetchall()
    owner = dict(lines)
    assert len(owner) == len(lines), "two order lines share a line id"
    assert refunds and all(owner.get(line) == order for line, order in refunds)


def test_the_bulk_result_is_downloaded_without_the_access_token(
    serve: Callable[..., SimulatorServer], extract_run: Callable[[str], ExtractRun]
) -> None:
    sim = serve(**UNLIMITED)
    orders_src.extract_orders(_run(extract_run, min_days=2), RANGE[:2])
    (headers,) = sim.app.shop.bulk.downloads
    assert "X-Shopify-Access-Token" not in headers
    assert sim.env()["SHOP_ACCESS_TOKEN"] not in str(headers)


def test_a_short_range_keeps_paging(
    serve: Callable[..., SimulatorServer], extract_run: Callable[[str], ExtractRun]
) -> None:
    sim = serve(**UNLIMITED)
    run = _run(extract_run, min_days=7)
    assert orders_src.extract_orders(run, RANGE[:6])["orders_read_with"] == "pages"
    assert not sim.app.shop.bulk.operations


def test_a_range_without_orders_lands_empty_days(
    serve: Callable[..., SimulatorServer],
    extract_run: Callable[[str], ExtractRun],
    warehouse: Path,
) -> None:
    """Shopify gives no file (`url` null) when nothing matched: every day still gets its files."""
    serve(history_start=date(2026, 3, 1), **UNLIMITED)
    days = [date(2026, 2, 1) + timedelta(days=i) for i in range(3)]
    run = _run(extract_run, min_days=1)
    orders_src.extract_orders(run, days)
    assert run.totals.rows["orders"] == 0
    assert len(_landed(warehouse)) == 8 * len(days)


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        ("ACCESS_DENIED", "ended FAILED (errorCode ACCESS_DENIED): the app lacks an access scope"),
        ("INTERNAL_SERVER_ERROR", "ended FAILED (errorCode INTERNAL_SERVER_ERROR)"),
        ("CANCELED", "ended CANCELED: someone canceled it"),
        ("EXPIRED", "ended EXPIRED: its result link expired"),
        ("OPERATION_IN_PROGRESS", "refused the bulk operation: OPERATION_IN_PROGRESS"),
    ],
)
def test_a_bulk_operation_that_ends_without_a_result_is_a_clear_error(
    serve: Callable[..., SimulatorServer],
    extract_run: Callable[[str], ExtractRun],
    warehouse: Path,
    failure: str,
    expected: str,
) -> None:
    serve(shop_bulk_failure=failure, **UNLIMITED)
    with pytest.raises(BulkOperationError) as raised:
        orders_src.extract_orders(_run(extract_run, min_days=1), RANGE[:2])
    message = str(raised.value)
    assert message.startswith("shop: ") and "Shopify" in message and expected in message
    assert raised.value.permanent == (failure in ("ACCESS_DENIED", "CANCELED"))
    assert _landed(warehouse) == {}  # no orders landed (the catalog was, beforehand)


def test_the_read_all_orders_rule_applies_to_bulk_backfills(
    serve: Callable[..., SimulatorServer], extract_run: Callable[[str], ExtractRun]
) -> None:
    sim = serve(shop_access_scopes=("read_orders", "read_products", "read_inventory"))
    old = [DAY - timedelta(days=90 + i) for i in range(8)][::-1]
    with pytest.raises(ApiError, match="read_all_orders"):
        orders_src.extract_orders(_run(extract_run, min_days=1), old)
    assert not sim.app.shop.bulk.operations  # refused before any bulk operation started


@pytest.mark.parametrize("raw", ["0", "-3", "seven", "2.5"])
def test_the_threshold_must_be_a_whole_number_of_days(raw: str) -> None:
    with pytest.raises(ConfigError, match="SHOPIFY_BULK_MIN_DAYS"):
        resolve_config({"SHOPIFY_BULK_MIN_DAYS": raw}, start_demo=_demo)


def test_the_threshold_is_read_from_the_environment() -> None:
    config = resolve_config({"SHOPIFY_BULK_MIN_DAYS": "30"}, start_demo=_demo)
    assert config.shopify_bulk_min_days == 30
    assert resolve_config({}, start_demo=_demo).shopify_bulk_min_days == 7


def _demo() -> tuple[str, dict[str, str]]:
    """A demo "simulator" that is never called: these tests only read the configuration."""
    return "http://127.0.0.1:9", DEMO_CREDENTIALS


def test_invalid_orders_in_a_bulk_result_are_rejected_with_their_reason(
    serve: Callable[..., SimulatorServer],
    extract_run: Callable[[str], ExtractRun],
    warehouse: Path,
) -> None:
    serve(
        faults=FaultConfig(malformed_rate=0.1, duplicate_rate=0.1, sources=frozenset({"shop"})),
        **UNLIMITED,
    )
    run = _run(extract_run, min_days=1)
    orders_src.extract_orders(run, RANGE[:2])
    assert run.totals.rows["orders"] > 100 and run.totals.duplicates["orders"] > 0
    reasons = set(read_rejects(warehouse, "shop", "orders").column("field").to_pylist())
    assert reasons and reasons <= {"lineItems.quantity", "createdAt", "sku"}
