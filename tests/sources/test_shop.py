"""Shop orders and catalog against the simulated Shopify GraphQL Admin API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from orchestration.lib.http import ApiError
from orchestration.lib.landing import landing_path
from orchestration.sources import ExtractRun, shop
from simulator import FaultConfig, PageSizes
from tests.sources.conftest import DAY, read_landed, read_rejects

ORDER_DATASETS = ("orders", "order_lines", "refund_lines", "fulfillments")
#: A cost bucket that never throttles, for the tests that are not about throttling.
UNLIMITED = {"shop_bucket_size": 1e9, "shop_restore_rate": 1e9}


def _landed_orders(warehouse: Path) -> dict[str, list[dict]]:
    """Landed rows, without the payload (it shows the page of line items the API served)."""
    return {
        name: sorted(
            ({k: v for k, v in row.items() if k != "payload"} for row in table.to_pylist()),
            key=str,
        )
        for name in ORDER_DATASETS
        for table in (read_landed(warehouse, "shop", name),)
    }


def test_orders_many_pages_and_long_orders_complete(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve(**UNLIMITED)
    shop.extract_orders(extract_run("shop"), [DAY])
    reference = _landed_orders(warehouse)
    serve(page_sizes=PageSizes(shop=40, shop_line_items=2), **UNLIMITED)
    run = extract_run("shop")
    shop.extract_orders(run, [DAY])
    assert run.metadata()["pages"] > len(reference["orders"]) // 40 + 10  # + line item pages
    assert _landed_orders(warehouse) == reference  # no line item lost to pagination
    assert len(reference["orders"]) > 50 and len(reference["order_lines"]) > len(
        reference["orders"]
    )


def test_order_day_follows_the_shop_time_zone(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve(**UNLIMITED)
    shop.extract_orders(extract_run("shop"), [DAY])
    updated = read_landed(warehouse, "shop", "orders").column("updated_at").to_pylist()
    start = min(updated).replace(hour=23, minute=0, second=0, microsecond=0)
    assert str(start.date()) == str(DAY - timedelta(days=1))  # 00:00 Paris is 23:00 UTC
    assert all(u.date() in (DAY - timedelta(days=1), DAY) for u in updated)


def test_throttled_and_5xx_retried_same_data(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve(**UNLIMITED)
    shop.extract_orders(extract_run("shop"), [DAY])
    reference = _landed_orders(warehouse)
    serve(
        faults=FaultConfig(rate_limit_every=2, server_error_every=5, retry_after_seconds=0),
        page_sizes=PageSizes(shop=20),
    )
    run = extract_run("shop")
    shop.extract_orders(run, [DAY])
    assert run.metadata()["retries"] >= 3
    assert _landed_orders(warehouse) == reference


def test_malformed_rejected_duplicates_dropped_good_records_land(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve(
        faults=FaultConfig(malformed_rate=0.1, duplicate_rate=0.1, extra_fields=True), **UNLIMITED
    )
    run = extract_run("shop")
    shop.extract_orders(run, [DAY])
    orders = read_landed(warehouse, "shop", "orders")
    rejects = read_rejects(warehouse, "shop", "orders").to_pylist()
    assert orders.num_rows > 50 and rejects
    assert orders.column("order_id").unique().to_pylist() == orders.column("order_id").to_pylist()
    assert run.totals.duplicates["orders"] > 0
    reasons = {(r["field"], r["reason"].split(" ")[0]) for r in rejects}
    assert ("id", "missing") in reasons
    assert ("lineItems.quantity", "negative") in reasons
    assert ("createdAt", "unparseable") in reasons
    assert all(r["source"] == "shop" and r["payload"] for r in rejects)
    assert "x_simulator_unknown_field" not in "".join(orders.column("payload").to_pylist())


def test_rerun_gives_identical_files(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve(**UNLIMITED)
    shop.extract_orders(extract_run("shop"), [DAY])
    files = {n: landing_path(warehouse, "shop", n, DAY).read_bytes() for n in ORDER_DATASETS}
    shop.extract_orders(extract_run("shop"), [DAY])
    assert {
        n: landing_path(warehouse, "shop", n, DAY).read_bytes() for n in ORDER_DATASETS
    } == files


def test_catalog_snapshot_lands_under_every_day(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve(faults=FaultConfig(malformed_rate=0.05), **UNLIMITED)
    days = [DAY - timedelta(days=1), DAY]
    extra = shop.extract_catalog(extract_run("shop"), days)
    first, second = (read_landed(warehouse, "shop", "product_variants", d) for d in days)
    assert first.num_rows == second.num_rows > 300
    assert first.column("snapshot_at").to_pylist() == second.column("snapshot_at").to_pylist()
    assert second.column("_partition_date").to_pylist()[0] == DAY
    gtins = [g for g in first.column("gtin14").to_pylist() if g]
    assert all(len(g) == 14 for g in gtins)
    assert extra["backfilled_days_with_current_stock"] == 2 and extra["invalid_barcodes"] > 0
    assert read_rejects(warehouse, "shop", "product_variants").num_rows > 0


def test_wrong_token_fails_fast(
    serve: Callable,
    extract_run: Callable[[str], ExtractRun],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serve(**UNLIMITED)
    monkeypatch.setenv("SHOP_ACCESS_TOKEN", "shpat_wrong_token_value")
    run = extract_run("shop")
    with pytest.raises(ApiError) as raised:
        shop.extract_orders(run, [DAY])
    assert raised.value.permanent
    assert "shop: POST /shop/admin/api/" in str(raised.value) and "HTTP 401" in str(raised.value)
    assert "shpat_wrong_token_value" not in str(raised.value)
    assert run.metadata()["requests"] == 1
