"""Shop (Shopify GraphQL Admin API): orders updated on the day, and the catalog/stock snapshot.

Particular to Shopify: cursor pagination over `orders(query: "updated_at:...")` sorted by
UPDATED_AT, line items completed with a follow-up query when an order has more than one page of
them, and the catalog being a snapshot of *now* whatever day is being landed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from orchestration.lib.gs1 import normalize_gtin
from orchestration.lib.http import ApiClient, shopify_auth
from orchestration.lib.landing import (
    DayLanding,
    Dedupe,
    InvalidRecord,
    copy_day,
    landing_path,
    parse_count,
    parse_money,
    parse_optional_utc,
    parse_utc,
    pick,
    rejects_path,
    required,
    to_json,
)
from orchestration.lib.pagination import graphql_pages
from orchestration.lib.partitions import day_bounds_utc, iso_utc
from orchestration.sources import ExtractRun, extract_asset

SOURCE = "shop"
# Page sizes keep a query's calculated cost under Shopify's 1,000-point single-query limit
# (orders x line items multiply); orders with more lines are completed by a follow-up query.
ORDERS_PAGE = 50
LINE_ITEMS_PAGE = 20
VARIANTS_PAGE = 100

_MONEY_SET = {"shopMoney": {"amount": None}}
_LINE_ITEM_SHAPE = {
    "id": None,
    "sku": None,
    "quantity": None,
    "originalUnitPriceSet": _MONEY_SET,
    "discountAllocations": {"allocatedAmountSet": _MONEY_SET},
    "taxLines": {"priceSet": _MONEY_SET},
}
#: The order fields sources.md lists: the payload keeps these and nothing else.
ORDER_SHAPE = {
    **dict.fromkeys(
        [
            "id",
            "name",
            "createdAt",
            "updatedAt",
            "processedAt",
            "cancelledAt",
            "test",
            "currencyCode",
            "taxesIncluded",
            "sourceName",
        ]
    ),
    "customer": {"id": None},
    "customerJourneySummary": {
        "lastVisit": {
            "landingPage": None,
            "utmParameters": dict.fromkeys(("source", "medium", "campaign", "content", "term")),
        }
    },
    "lineItems": {"nodes": _LINE_ITEM_SHAPE, "pageInfo": {"hasNextPage": None}},
    "refunds": {
        "id": None,
        "createdAt": None,
        "refundLineItems": {
            "nodes": {"lineItem": {"id": None}, "quantity": None, "subtotalSet": _MONEY_SET}
        },
    },
    "fulfillments": {"createdAt": None, "status": None},
}
VARIANT_SHAPE = {
    "id": None,
    "sku": None,
    "barcode": None,
    "price": None,
    "product": dict.fromkeys(("id", "title", "vendor", "productType")),
    "inventoryItem": {
        "unitCost": {"amount": None},
        "inventoryLevels": {
            "nodes": {"location": {"id": None}, "quantities": {"name": None, "quantity": None}}
        },
    },
}

_MONEY = "shopMoney { amount }"
_LINE_ITEM = (
    f"id sku quantity originalUnitPriceSet {{ {_MONEY} }} "
    f"discountAllocations {{ allocatedAmountSet {{ {_MONEY} }} }} "
    f"taxLines {{ priceSet {{ {_MONEY} }} }}"
)
ORDERS_QUERY = f"""
query Orders($cursor: String, $query: String!) {{
  orders(first: {ORDERS_PAGE}, after: $cursor, query: $query, sortKey: UPDATED_AT) {{
    nodes {{
      id name createdAt updatedAt processedAt cancelledAt test currencyCode taxesIncluded
      customer {{ id }}
      customerJourneySummary {{
        lastVisit {{ landingPage utmParameters {{ source medium campaign content term }} }}
      }}
      sourceName
      lineItems(first: {LINE_ITEMS_PAGE}) {{
        nodes {{ {_LINE_ITEM} }}
        pageInfo {{ hasNextPage endCursor }}
      }}
      refunds {{
        id createdAt
        refundLineItems(first: {LINE_ITEMS_PAGE}) {{
          nodes {{ lineItem {{ id }} quantity subtotalSet {{ {_MONEY} }} }}
        }}
      }}
      fulfillments {{ createdAt status }}
    }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""
ORDER_LINE_ITEMS_QUERY = f"""
query OrderLineItems($id: ID!, $cursor: String) {{
  order(id: $id) {{
    lineItems(first: {LINE_ITEMS_PAGE}, after: $cursor) {{
      nodes {{ {_LINE_ITEM} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
"""
VARIANTS_QUERY = f"""
query Variants($cursor: String) {{
  productVariants(first: {VARIANTS_PAGE}, after: $cursor) {{
    nodes {{
      id sku barcode price
      product {{ id title vendor productType }}
      inventoryItem {{
        unitCost {{ amount }}
        inventoryLevels(first: 10) {{
          nodes {{ location {{ id }} quantities(names: ["available"]) {{ name quantity }} }}
        }}
      }}
    }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

ORDER_DATASETS = {
    "orders": Dedupe(("order_id",), "updated_at"),
    "order_lines": Dedupe(("order_id", "line_id"), "order_updated_at"),
    "refund_lines": Dedupe(("order_id", "refund_id", "line_id"), "order_updated_at"),
    "fulfillments": Dedupe(("order_id", "fulfillment_index"), "order_updated_at"),
}
CATALOG_DATASETS = {"product_variants": Dedupe(("variant_id",))}


def graphql_path(run: ExtractRun) -> str:
    return f"/admin/api/{run.config.shop_api_version}/graphql.json"


def _client(run: ExtractRun) -> ApiClient:
    return run.client(shopify_auth(run.settings.credentials["SHOP_ACCESS_TOKEN"]))


def _amount(money_set: Mapping[str, Any] | None) -> Any:
    """`{shopMoney: {amount}}` -> the amount string (0 when the set is absent)."""
    return ((money_set or {}).get("shopMoney") or {}).get("amount", 0)


def _total(items: list[Mapping[str, Any]] | None, key: str, field: str) -> Decimal:
    return sum((parse_money(_amount(i.get(key)), field) for i in items or []), Decimal("0.0000"))


def order_rows(node: Mapping[str, Any], lines: list[Mapping[str, Any]]) -> dict[str, list[dict]]:
    """One order node (with all its line items) -> rows of the four order datasets."""
    order_id = required(node, "id")
    updated_at = parse_utc(required(node, "updatedAt"), "updatedAt")
    visit = (node.get("customerJourneySummary") or {}).get("lastVisit") or {}
    utm = visit.get("utmParameters") or {}
    order = {
        "order_id": order_id,
        "order_name": node.get("name"),
        "created_at": parse_utc(required(node, "createdAt"), "createdAt"),
        "updated_at": updated_at,
        "processed_at": parse_optional_utc(node.get("processedAt"), "processedAt"),
        "cancelled_at": parse_optional_utc(node.get("cancelledAt"), "cancelledAt"),
        "is_test": bool(node.get("test")),
        "currency_code": node.get("currencyCode"),
        "taxes_included": bool(node.get("taxesIncluded")),
        "customer_id": (node.get("customer") or {}).get("id"),
        "source_name": node.get("sourceName"),
        "landing_page": visit.get("landingPage"),
        "utm_source": utm.get("source"),
        "utm_medium": utm.get("medium"),
        "utm_campaign": utm.get("campaign"),
        "utm_content": utm.get("content"),
        "utm_term": utm.get("term"),
        "payload": to_json(pick(node, ORDER_SHAPE)),
    }
    parent = {"order_id": order_id, "order_updated_at": updated_at}
    order_lines = [
        {
            **parent,
            "line_id": required(line, "id"),
            "sku": line.get("sku"),
            "quantity": parse_count(line.get("quantity"), "lineItems.quantity"),
            "original_unit_price": parse_money(
                _amount(line.get("originalUnitPriceSet")), "lineItems.originalUnitPriceSet"
            ),
            "discount_amount": _total(
                line.get("discountAllocations"), "allocatedAmountSet", "discountAllocations"
            ),
            "tax_amount": _total(line.get("taxLines"), "priceSet", "taxLines"),
        }
        for line in lines
    ]
    refund_lines = [
        {
            **parent,
            "refund_id": required(refund, "id"),
            "refund_created_at": parse_utc(required(refund, "createdAt"), "refunds.createdAt"),
            "line_id": required(item.get("lineItem") or {}, "id"),
            "quantity": parse_count(item.get("quantity"), "refundLineItems.quantity"),
            "subtotal": parse_money(_amount(item.get("subtotalSet")), "refundLineItems"),
        }
        for refund in node.get("refunds") or []
        for item in ((refund.get("refundLineItems") or {}).get("nodes") or [])
    ]
    fulfillments = [
        {
            **parent,
            "fulfillment_index": index,
            "created_at": parse_utc(required(f, "createdAt"), "fulfillments.createdAt"),
            "status": f.get("status"),
        }
        for index, f in enumerate(node.get("fulfillments") or [])
    ]
    return {
        "orders": [order],
        "order_lines": order_lines,
        "refund_lines": refund_lines,
        "fulfillments": fulfillments,
    }


def all_line_items(client: ApiClient, path: str, node: Mapping[str, Any]) -> list[Mapping]:
    """The order's line items, fetching the pages beyond the first: never truncated."""
    connection = node.get("lineItems") or {}
    lines = list(connection.get("nodes") or [])
    info = connection.get("pageInfo") or {}
    if info.get("hasNextPage") and node.get("id"):
        pages = graphql_pages(
            client,
            path,
            ORDER_LINE_ITEMS_QUERY,
            {"id": node["id"]},
            lambda data: data["order"]["lineItems"],
            cursor=info.get("endCursor"),
        )
        lines += [line for page in pages for line in page.get("nodes") or []]
    return lines


def orders_filter(day: date, timezone: str) -> str:
    """Shopify search syntax for orders updated in the shop's day D, in UTC."""
    start, end = day_bounds_utc(day, timezone)
    return f"updated_at:>='{iso_utc(start)}' AND updated_at:<'{iso_utc(end)}'"


def land_orders_day(run: ExtractRun, client: ApiClient, day: date) -> None:
    """Orders updated in [D, D+1) shop time, sorted by UPDATED_AT so paging is stable."""
    path = graphql_path(run)
    variables = {"query": orders_filter(day, run.config.shop_timezone)}
    with run.day(day, ORDER_DATASETS) as landing:
        for page in graphql_pages(client, path, ORDERS_QUERY, variables, lambda d: d["orders"]):
            for node in page.get("nodes") or []:
                _land_order(landing, node, all_line_items(client, path, node))


def _land_order(landing: DayLanding, node: Mapping[str, Any], lines: list[Mapping]) -> None:
    try:
        rows = order_rows(node, lines)
    except InvalidRecord as invalid:
        payload = pick(node, ORDER_SHAPE)
        landing.reject("orders", node.get("id"), invalid.field, invalid.reason, payload)
        return
    for dataset, dataset_rows in rows.items():
        for row in dataset_rows:
            landing.write(dataset, row)


def extract_orders(run: ExtractRun, days: list[date]) -> None:
    """Orders updated in each shop day, day by day (each day commits on its own)."""
    client = _client(run)
    for day in days:
        land_orders_day(run, client, day)


def variant_row(node: Mapping[str, Any], snapshot_at: datetime) -> dict[str, Any]:
    """One productVariant -> a catalog row; stock is `available` summed over locations."""
    barcode = node.get("barcode") or None
    try:
        gtin14 = normalize_gtin(barcode) if barcode else None
    except ValueError:
        gtin14 = None  # landed as the shop stores it; the invalid barcode count is in metadata
    product = node.get("product") or {}
    item = node.get("inventoryItem") or {}
    levels = (item.get("inventoryLevels") or {}).get("nodes") or []
    quantities = [
        parse_count(q.get("quantity"), "inventoryLevels.quantities")
        for level in levels
        for q in level.get("quantities") or []
        if q.get("name") == "available"
    ]
    unit_cost = (item.get("unitCost") or {}).get("amount")
    price = node.get("price")
    return {
        "variant_id": required(node, "id"),
        "sku": required(node, "sku"),
        "barcode": barcode,
        "gtin14": gtin14,
        "price": None if price is None else parse_money(price, "price"),
        "product_id": required(product, "id"),
        "product_title": product.get("title"),
        "vendor": product.get("vendor"),
        "product_type": product.get("productType"),
        "unit_cost": None if unit_cost is None else parse_money(unit_cost, "unitCost"),
        "warehouse_available_qty": sum(quantities) if levels else None,
        "snapshot_at": snapshot_at,
        "payload": to_json(pick(node, VARIANT_SHAPE)),
    }


def variant_nodes(client: ApiClient, path: str) -> Iterator[Mapping[str, Any]]:
    for page in graphql_pages(client, path, VARIANTS_QUERY, {}, lambda d: d["productVariants"]):
        yield from page.get("nodes") or []


def extract_catalog(run: ExtractRun, days: list[date]) -> dict[str, Any]:
    """One API snapshot, landed under the range's first day and copied under the others."""
    snapshot_at = datetime.now(UTC)
    invalid_barcodes = 0
    first, *others = days
    with run.day(first, CATALOG_DATASETS) as landing:
        for node in variant_nodes(_client(run), graphql_path(run)):
            try:
                row = variant_row(node, snapshot_at)
            except InvalidRecord as invalid:
                landing.reject(
                    "product_variants", node.get("id"), invalid.field, invalid.reason, node
                )
                continue
            invalid_barcodes += row["barcode"] is not None and row["gtin14"] is None
            landing.write("product_variants", row)
    landed = run.totals.rows["product_variants"], run.totals.rejects["product_variants"]
    warehouse = run.config.warehouse_dir
    for day in others:  # the same snapshot under every other day of the range
        for path in (landing_path, rejects_path):
            source_file = path(warehouse, SOURCE, "product_variants", first)
            copy_day(source_file, path(warehouse, SOURCE, "product_variants", day), day)
        run.totals.rows["product_variants"] += landed[0]
        run.totals.rejects["product_variants"] += landed[1]
        run.totals.files += 2
    snapshot_day = snapshot_at.astimezone(ZoneInfo(run.config.shop_timezone)).date()
    # A daily run lands D = yesterday; any older day gets a stock that is not its own.
    backfilled = [d for d in days if (snapshot_day - d).days > 1]
    return {
        "snapshot_at": snapshot_at.isoformat(),
        "invalid_barcodes": invalid_barcodes,
        "backfilled_days_with_current_stock": len(backfilled),
        "snapshot_note": (
            f"{len(backfilled)} day(s) older than yesterday carry the stock as of snapshot_at "
            "(the API only knows current stock), not their historical stock"
            if backfilled
            else "stock read on the morning after the partition day"
        ),
    }


shop_orders = extract_asset(
    "shop_orders",
    source=SOURCE,
    group="conversion",
    description=(
        "Shopify orders created or updated on the shop day, with their line items, refund lines "
        "and fulfilments (GraphQL Admin API), landed as Parquet per day."
    ),
)(extract_orders)


shop_catalog = extract_asset(
    "shop_catalog",
    source=SOURCE,
    group="conversion",
    description=(
        "Shopify product variants with barcode (GTIN-14), price, cost and warehouse stock. The API "
        "only knows today's stock: every day of a run lands the snapshot taken at run time."
    ),
)(extract_catalog)
