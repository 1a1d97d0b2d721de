"""Shop orders and catalog against the simulated Shopify GraphQL Admin API."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from orchestration.lib.extract import ExtractRun
from orchestration.lib.http import ApiError
from orchestration.lib.landing import InvalidRecord, landing_path
from orchestration.sources.shop import catalog as catalog_src
from orchestration.sources.shop import orders as orders_src
from simulator import FaultConfig, PageSizes
from simulator.stock import warehouse_available
from tests.simulator_runs import morning_after, serving, simulator_config
from tests.sources.conftest import DAY, NOW, read_landed, read_rejects

ORDER_DATASETS = ("orders", "order_lines", "refund_lines", "fulfillments")
#: A cost bucket that never throttles, for the tests that are not about throttling.
UNLIMITED = {"shop_bucket_size": 1e9, "shop_restore_rate": 1e9}


def land_catalog(extract_run: Callable[[str], ExtractRun]) -> None:
    """Orders are checked against the landed catalog: land it first, as the asset's deps do."""
    catalog_src.extract_catalog(extract_run("shop"), [DAY])


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
    land_catalog(extract_run)
    orders_src.extract_orders(extract_run("shop"), [DAY])
    reference = _landed_orders(warehouse)
    serve(page_sizes=PageSizes(shop=40, shop_line_items=2), **UNLIMITED)
    run = extract_run("shop")
    orders_src.extract_orders(run, [DAY])
    assert run.metadata()["pages"] > len(reference["orders"]) // 40 + 10  # + line item pages
    assert _landed_orders(warehouse) == reference  # no line item lost to pagination
    assert len(reference["orders"]) > 50 and len(reference["order_lines"]) > len(
        reference["orders"]
    )


def test_order_day_follows_the_shop_time_zone(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve(**UNLIMITED)
    land_catalog(extract_run)
    orders_src.extract_orders(extract_run("shop"), [DAY])
    updated = read_landed(warehouse, "shop", "orders").column("updated_at").to_pylist()
    start = min(updated).replace(hour=23, minute=0, second=0, microsecond=0)
    assert str(start.date()) == str(DAY - timedelta(days=1))  # 00:00 Paris is 23:00 UTC
    assert all(u.date() in (DAY - timedelta(days=1), DAY) for u in updated)


def test_throttled_and_5xx_retried_same_data(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve(**UNLIMITED)
    land_catalog(extract_run)
    orders_src.extract_orders(extract_run("shop"), [DAY])
    reference = _landed_orders(warehouse)
    serve(
        faults=FaultConfig(rate_limit_every=2, server_error_every=5, retry_after_seconds=0),
        page_sizes=PageSizes(shop=20),
    )
    run = extract_run("shop")
    orders_src.extract_orders(run, [DAY])
    assert run.metadata()["retries"] >= 3
    assert _landed_orders(warehouse) == reference


def test_malformed_rejected_duplicates_dropped_good_records_land(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve(
        faults=FaultConfig(malformed_rate=0.1, duplicate_rate=0.1, extra_fields=True), **UNLIMITED
    )
    land_catalog(extract_run)
    run = extract_run("shop")
    orders_src.extract_orders(run, [DAY])
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
    land_catalog(extract_run)
    orders_src.extract_orders(extract_run("shop"), [DAY])
    files = {n: landing_path(warehouse, "shop", n, DAY).read_bytes() for n in ORDER_DATASETS}
    orders_src.extract_orders(extract_run("shop"), [DAY])
    assert {
        n: landing_path(warehouse, "shop", n, DAY).read_bytes() for n in ORDER_DATASETS
    } == files


def test_catalog_snapshot_lands_under_every_day(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve(faults=FaultConfig(malformed_rate=0.05), **UNLIMITED)
    days = [DAY - timedelta(days=1), DAY]
    extra = catalog_src.extract_catalog(extract_run("shop"), days)
    first, second = (read_landed(warehouse, "shop", "product_variants", d) for d in days)
    assert first.num_rows == second.num_rows > 300
    assert first.column("snapshot_at").to_pylist() == second.column("snapshot_at").to_pylist()
    assert second.column("_partition_date").to_pylist()[0] == DAY
    gtins = [g for g in first.column("gtin14").to_pylist() if g]
    assert all(len(g) == 14 for g in gtins)
    assert extra["backfilled_days_with_current_stock"] == 2
    assert read_rejects(warehouse, "shop", "product_variants").num_rows > 0


def test_wrong_token_fails_fast(
    serve: Callable,
    extract_run: Callable[[str], ExtractRun],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serve(**UNLIMITED)
    land_catalog(extract_run)
    monkeypatch.setenv("SHOP_ACCESS_TOKEN", "shpat_wrong_token_value")
    run = extract_run("shop")
    with pytest.raises(ApiError) as raised:
        orders_src.extract_orders(run, [DAY])
    assert raised.value.permanent
    assert "shop: POST /shop/admin/api/" in str(raised.value) and "HTTP 401" in str(raised.value)
    assert "shpat_wrong_token_value" not in str(raised.value)
    assert run.metadata()["requests"] == 1


def test_refunds_with_more_lines_than_a_page_land_in_full(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    """Orders of 22-31 lines returned in one refund: refundLineItems has a second page."""
    serve(bulk_refund_order_share=0.05, **UNLIMITED)
    land_catalog(extract_run)
    orders_src.extract_orders(extract_run("shop"), [DAY])
    refund_lines = read_landed(warehouse, "shop", "refund_lines").to_pylist()
    per_refund = Counter(r["refund_id"] for r in refund_lines)
    assert max(per_refund.values()) > orders_src.LINE_ITEMS_PAGE
    order_lines = read_landed(warehouse, "shop", "order_lines").to_pylist()
    lines_of = Counter(r["order_id"] for r in order_lines)
    refund_order = {r["refund_id"]: r["order_id"] for r in refund_lines}
    # A bulk order is returned whole in one refund: as many refund lines as order lines.
    bulk = [rid for rid, n in per_refund.items() if n > orders_src.LINE_ITEMS_PAGE]
    assert all(per_refund[rid] == lines_of[refund_order[rid]] for rid in bulk)


def test_variants_at_more_locations_than_a_page_count_every_location(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    """Stock summed over 12-15 locations equals the simulator's own warehouse stock."""
    server = serve(many_locations_share=0.2, **UNLIMITED)
    catalog_src.extract_catalog(extract_run("shop"), [DAY])
    rows = read_landed(warehouse, "shop", "product_variants").to_pylist()
    cat = server.app.world.catalog
    today = server.app.world.calendar.local_date(int(NOW.timestamp())).toordinal()
    truth = warehouse_available(42, np.arange(len(cat)), today)
    expected = {sku: int(q) for sku, q in zip(cat.sku, truth, strict=True)}
    assert {r["sku"]: r["warehouse_available_qty"] for r in rows} == expected
    many = [r for r in rows if r["payload"].count('"location"') > catalog_src.INVENTORY_LEVELS_PAGE]
    assert len(many) > 20


def test_catalog_lands_colour_and_size_whatever_the_brand_named_the_options(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    """The simulated brands name their options Colour/Size, Color/Size or Couleur/Taille."""
    server = serve(**UNLIMITED)
    catalog_src.extract_catalog(extract_run("shop"), [DAY])
    rows = {r["sku"]: r for r in read_landed(warehouse, "shop", "product_variants").to_pylist()}
    cat = server.app.world.catalog
    names = {cat.option_names[i][0] for i in range(len(cat))}
    assert names == {"Colour", "Color", "Couleur"}
    for i, sku in enumerate(cat.sku):
        assert rows[sku]["colour"] == cat.colour[i]
        assert rows[sku]["size"] == (None if sku.endswith("-OS") else cat.size[i])


def test_colour_and_size_option_names_are_configurable() -> None:
    node = {
        "id": "gid://shopify/ProductVariant/1",
        "sku": "SKU-1",
        "selectedOptions": [
            {"name": "Material", "value": "Wool"},
            {"name": "COULEUR", "value": "Bleu marine"},
            {"name": " taille ", "value": " 38 "},
            {"name": "Pointure", "value": "41"},
        ],
        "product": {"id": "gid://shopify/Product/1"},
    }
    row = catalog_src.variant_row(node, datetime(2026, 3, 3, tzinfo=UTC), True)
    assert (row["colour"], row["size"]) == ("Bleu marine", "38")
    names = catalog_src.option_names({"SHOP_SIZE_OPTION_NAMES": "Pointure, Shoe size"})
    assert names.size == frozenset({"pointure", "shoe size"})
    assert names.colour == catalog_src.DEFAULT_OPTION_NAMES.colour  # unset: the defaults
    row = catalog_src.variant_row(node, datetime(2026, 3, 3, tzinfo=UTC), True, names)
    assert (row["colour"], row["size"]) == ("Bleu marine", "41")
    bare = catalog_src.variant_row(
        {**node, "selectedOptions": []}, datetime(2026, 3, 3, tzinfo=UTC), True
    )
    assert (bare["colour"], bare["size"]) == (None, None)


def test_catalog_lands_the_shop_tax_setting_and_the_answering_version(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve(**UNLIMITED)
    extra = catalog_src.extract_catalog(extract_run("shop"), [DAY])
    landed = read_landed(warehouse, "shop", "product_variants")
    assert set(landed.column("shop_taxes_included").to_pylist()) == {True}
    assert extra["shop_taxes_included"] is True and extra["shop_currency_code"] == "EUR"
    assert extra["shop_api_version"] == "2026-10" and "shop_api_version_note" not in extra


def test_a_retired_version_is_reported_with_the_version_that_answered(
    serve: Callable,
    extract_run: Callable[[str], ExtractRun],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serve(**UNLIMITED)
    land_catalog(extract_run)
    monkeypatch.setenv("SHOP_API_VERSION", "2025-07")
    extra = orders_src.extract_orders(extract_run("shop"), [DAY])
    assert extra["shop_api_version"] == "2026-01"
    assert "SHOP_API_VERSION=2025-07 is no longer supported" in extra["shop_api_version_note"]


def test_unreadable_barcode_rejected_missing_barcode_kept() -> None:
    node = {
        "id": "gid://shopify/ProductVariant/1",
        "sku": "SKU-1",
        "barcode": "40123456789AB",
        "product": {"id": "gid://shopify/Product/1"},
    }
    with pytest.raises(InvalidRecord) as raised:
        catalog_src.variant_row(node, datetime(2026, 3, 3, tzinfo=UTC), True)
    assert raised.value.field == "barcode" and "not a GTIN" in raised.value.reason
    bad_check_digit = {**node, "barcode": "4006381333932"}
    with pytest.raises(InvalidRecord):
        catalog_src.variant_row(bad_check_digit, datetime(2026, 3, 3, tzinfo=UTC), True)
    row = catalog_src.variant_row(
        {**node, "barcode": None}, datetime(2026, 3, 3, tzinfo=UTC), False
    )
    assert row["gtin14"] is None and row["barcode"] is None
    assert row["shop_taxes_included"] is False


def test_old_days_without_read_all_orders_fail_naming_the_scope(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    """Shopify hides orders older than 60 days from apps without read_all_orders: the days
    would land empty. The extract must refuse instead."""
    old_day = (NOW - timedelta(days=90)).date()
    serve(shop_access_scopes=("read_orders", "read_products"), **UNLIMITED)
    land_catalog(extract_run)
    with pytest.raises(ApiError) as raised:
        orders_src.extract_orders(extract_run("shop"), [old_day])
    assert "read_all_orders" in str(raised.value) and raised.value.permanent
    assert not landing_path(warehouse, "shop", "orders", old_day).exists()
    serve(**UNLIMITED)  # the default app has the scope: the same day has orders
    orders_src.extract_orders(extract_run("shop"), [old_day])
    assert read_landed(warehouse, "shop", "orders", old_day).num_rows > 50


SKU_REASON = re.compile(
    r"^order #\d+ line gid://shopify/LineItem/\d+: sku 'UNKNOWN-SKU-0000' is not in the landed "
    r"catalog$"
)
#: The simulator's order faults: a line's sku set to one the catalog lacks is one of them.
ORDER_FAULTS = FaultConfig(malformed_rate=0.2)


def _order_ids(warehouse: Path, day: date) -> dict[str, set[str]]:
    """Order ids landed in each order dataset of the day."""
    return {
        name: set(read_landed(warehouse, "shop", name, day).column("order_id").to_pylist())
        for name in ORDER_DATASETS
    }


def _sku_rejects(warehouse: Path, day: date) -> list[dict]:
    rejects = read_rejects(warehouse, "shop", "orders", day).to_pylist()
    return [r for r in rejects if r["field"] == "sku"]


def test_an_order_with_an_unknown_sku_is_rejected_whole_the_others_land(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve(**UNLIMITED)
    land_catalog(extract_run)
    orders_src.extract_orders(extract_run("shop"), [DAY])
    served = _order_ids(warehouse, DAY)["orders"]
    serve(faults=ORDER_FAULTS, **UNLIMITED)  # same retailer, now with faulty orders
    orders_src.extract_orders(extract_run("shop"), [DAY])

    sku_rejects = _sku_rejects(warehouse, DAY)
    assert sku_rejects
    assert all(SKU_REASON.match(r["reason"]) for r in sku_rejects), sku_rejects[0]["reason"]
    assert all(r["dataset"] == "orders" and r["source"] == "shop" for r in sku_rejects)
    # the payload is the whole order: its lines, the unknown sku among them, and its refunds
    assert all('"sku":"UNKNOWN-SKU-0000"' in r["payload"] for r in sku_rejects)
    assert all('"refunds":' in r["payload"] for r in sku_rejects)
    rejected = {r["record_id"] for r in sku_rejects}
    landed = _order_ids(warehouse, DAY)
    assert all(not ids & rejected for ids in landed.values()), "nothing of a rejected order lands"
    skus = read_landed(warehouse, "shop", "order_lines").column("sku").to_pylist()
    assert "UNKNOWN-SKU-0000" not in skus
    # every other order lands: each served order is either landed or rejected
    all_rejects = read_rejects(warehouse, "shop", "orders").num_rows
    assert landed["orders"] <= served and len(landed["orders"]) + all_rejects == len(served)


def test_later_changes_of_a_rejected_order_are_rejected_with_it(
    extract_run: Callable[[str], ExtractRun], warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refunds and fulfilments come days later: Shopify serves the whole order again, unknown
    sku included, so no later day lands a refund or fulfilment of an order that never landed.
    Each day is landed the morning after it, as the daily schedule does: a clock fixed later
    would serve each order only on the day of its last change."""
    days = [DAY + timedelta(days=n) for n in range(4)]
    with serving(simulator_config(morning_after(DAY)), monkeypatch):
        land_catalog(extract_run)
    for day in days:
        with serving(simulator_config(morning_after(day), faults=ORDER_FAULTS), monkeypatch):
            orders_src.extract_orders(extract_run("shop"), [day])

    rejected_on = {d: {r["record_id"] for r in _sku_rejects(warehouse, d)} for d in days}
    first_rejected = rejected_on[DAY]
    again = set().union(*(rejected_on[d] for d in days[1:])) & first_rejected
    later = [
        json.loads(r["payload"])
        for day in days[1:]
        for r in _sku_rejects(warehouse, day)
        if r["record_id"] in again
    ]
    assert any(order["fulfillments"] or order["refunds"] for order in later), "later changes"
    for day in days:
        assert all(not ids & first_rejected for ids in _order_ids(warehouse, day).values()), day


def test_a_sku_gone_from_the_latest_catalog_day_but_landed_before_is_known(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    """A variant deleted from the shop since: today's snapshot lacks it, an earlier day has it
    (and gives the marts its cost), so its orders land."""
    serve(**UNLIMITED)
    earlier = DAY - timedelta(days=1)
    catalog_src.extract_catalog(extract_run("shop"), [earlier])
    orders_src.extract_orders(extract_run("shop"), [DAY])
    deleted = read_landed(warehouse, "shop", "order_lines").column("sku")[0].as_py()
    variants = read_landed(warehouse, "shop", "product_variants", earlier)
    latest = landing_path(warehouse, "shop", "product_variants", DAY)
    latest.parent.mkdir(parents=True)
    pq.write_table(variants.filter(pc.not_equal(variants["sku"], deleted)), latest)

    orders_src.extract_orders(extract_run("shop"), [DAY])
    assert deleted in read_landed(warehouse, "shop", "order_lines").column("sku").to_pylist()
    assert read_rejects(warehouse, "shop", "orders").num_rows == 0


def test_orders_without_a_landed_catalog_fail_naming_the_catalog_asset(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve(**UNLIMITED)
    run = extract_run("shop")
    with pytest.raises(RuntimeError, match="materialise landing/shop_catalog first"):
        orders_src.extract_orders(run, [DAY])
    assert run.metadata()["requests"] == 0
    assert not landing_path(warehouse, "shop", "orders", DAY).exists()


def test_lines_without_a_sku_land_unknown_skus_reject() -> None:
    """Custom items and tips have no variant: Shopify's `LineItem.sku` is null (or blank)."""
    order = {
        "id": "gid://shopify/Order/7",
        "name": "#1042",
        "createdAt": "2026-03-02T10:00:00Z",
        "updatedAt": "2026-03-02T10:00:00Z",
    }
    line = {"quantity": 1, "originalUnitPriceSet": {"shopMoney": {"amount": "5.00"}}}
    without_sku = [
        {**line, "id": f"gid://shopify/LineItem/{n}", "sku": sku}
        for n, sku in enumerate((None, "", "  "))
    ]
    known = {**line, "id": "gid://shopify/LineItem/3", "sku": "SKU-1 "}
    rows = orders_src.order_rows(order, [*without_sku, known])
    orders_src.require_catalog_skus(rows, frozenset({"SKU-1"}))  # no error: all land
    unknown = {**line, "id": "gid://shopify/LineItem/4", "sku": "XYZ"}
    rows = orders_src.order_rows(order, [*without_sku, known, unknown])
    with pytest.raises(InvalidRecord) as raised:
        orders_src.require_catalog_skus(rows, frozenset({"SKU-1"}))
    assert raised.value.field == "sku"
    assert raised.value.reason == (
        "order #1042 line gid://shopify/LineItem/4: sku 'XYZ' is not in the landed catalog"
    )
