"""The shop's orders: every order updated on the shop day, with its lines, refunds, fulfilments.

Particular to orders: cursor pagination over `orders(query: "updated_at:...")` sorted by
UPDATED_AT, or one bulk operation for a long range (`bulk.py`); an order's line items and a
refund's lines completed with a follow-up query when they have more than one page; orders older
than 60 days only visible with the `read_all_orders` scope.

Order lines and the catalog: the marts cost a line through its sku's catalog snapshot, so an
order with a line whose sku no catalog day ever landed is rejected whole (field `sku`, the reason
naming the order, the line and the sku): landed, that line would count at zero cost, its whole
revenue as margin, and landing the rest of the order would leave its totals disagreeing with its
lines. Shopify re-serves the whole order (lines, refunds, fulfilments) each time it changes, so
a later refund or fulfilment is rejected with it until the sku is in the catalog. A line without
a sku (`LineItem.sku` is null: a custom item, a tip, a variant without one) names no product to
check and lands as before, without cost.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Container, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import groupby
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from orchestration.lib.catalog import CatalogSkus
from orchestration.lib.extract import ExtractRun, extract_asset
from orchestration.lib.http import ApiClient, ApiError
from orchestration.lib.landing import (
    DayLanding,
    InvalidRecord,
    parse_count,
    parse_money,
    parse_optional_utc,
    parse_utc,
    pick,
    required,
    to_json,
)
from orchestration.lib.pagination import graphql_pages
from orchestration.lib.partitions import day_bounds_utc, iso_utc
from orchestration.sources.shop.api import (
    PAGE_INFO,
    answered_version,
    complete_connection,
    graphql_path,
    shop_client,
)
from orchestration.sources.shop.bulk import bulk_objects, run_bulk_query
from orchestration.sources.shop.landing import ORDER_DATASETS, SOURCE

# Page sizes keep a query's calculated cost under Shopify's 1,000-point single-query limit
# (orders x line items multiply); orders with more lines are completed by a follow-up query.
ORDERS_PAGE = 50
LINE_ITEMS_PAGE = 20
#: After a bulk operation, one ORDER_REFUNDS_QUERY reads the refunds of this many orders, each
#: refund with its first REFUND_LINES_FIRST lines (2 + 5 x 4 points an order, so 40 orders stay
#: under the 1,000-point limit); longer refunds are completed like every other connection.
REFUNDS_BATCH = 40
#: Orders a bulk landing holds while it gathers REFUNDS_BATCH orders with refunds.
BULK_BUFFER = 1000
REFUND_LINES_FIRST = 5
#: The bulk query's nested connection: its nodes' gid type -> the order's field.
BULK_CONNECTIONS = {"LineItem": "lineItems"}
#: Shopify shows orders older than this only to apps granted `read_all_orders`.
ALL_ORDERS_SCOPE = "read_all_orders"
RECENT_ORDERS_DAYS = 60

_MONEY_SET = {"shopMoney": {"amount": None}}
_LINE_ITEM_SHAPE = {
    "id": None,
    "sku": None,
    "quantity": None,
    "originalUnitPriceSet": _MONEY_SET,
    "discountAllocations": {"allocatedAmountSet": _MONEY_SET},
    "taxLines": {"priceSet": _MONEY_SET},
}
#: The order fields the marts need: the payload keeps these and nothing else.
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
            "nodes": {"lineItem": {"id": None}, "quantity": None, "subtotalSet": _MONEY_SET},
            "pageInfo": {"hasNextPage": None},
        },
    },
    "fulfillments": {"createdAt": None, "status": None},
}

_MONEY = "shopMoney { amount }"
_LINE_ITEM = (
    f"id sku quantity originalUnitPriceSet {{ {_MONEY} }} "
    f"discountAllocations {{ allocatedAmountSet {{ {_MONEY} }} }} "
    f"taxLines {{ priceSet {{ {_MONEY} }} }}"
)
_REFUND_LINE = f"lineItem {{ id }} quantity subtotalSet {{ {_MONEY} }}"
#: An order's own fields, as the paged and the bulk queries select them.
_ORDER_FIELDS = """
      id name createdAt updatedAt processedAt cancelledAt test currencyCode taxesIncluded
      customer { id }
      customerJourneySummary {
        lastVisit { landingPage utmParameters { source medium campaign content term } }
      }
      sourceName
      fulfillments { createdAt status }"""
ORDERS_QUERY = f"""
query Orders($cursor: String, $query: String!) {{
  orders(first: {ORDERS_PAGE}, after: $cursor, query: $query, sortKey: UPDATED_AT) {{
    nodes {{{_ORDER_FIELDS}
      lineItems(first: {LINE_ITEMS_PAGE}) {{
        nodes {{ {_LINE_ITEM} }}
        pageInfo {{ hasNextPage endCursor }}
      }}
      refunds {{
        id createdAt
        refundLineItems(first: {LINE_ITEMS_PAGE}) {{
          nodes {{ {_REFUND_LINE} }}
          {PAGE_INFO}
        }}
      }}
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
      {PAGE_INFO}
    }}
  }}
}}
"""
REFUND_LINE_ITEMS_QUERY = f"""
query RefundLineItems($id: ID!, $cursor: String) {{
  refund(id: $id) {{
    refundLineItems(first: {LINE_ITEMS_PAGE}, after: $cursor) {{
      nodes {{ {_REFUND_LINE} }}
      {PAGE_INFO}
    }}
  }}
}}
"""
ORDER_REFUNDS_QUERY = f"""
query OrderRefunds($ids: [ID!]!) {{
  nodes(ids: $ids) {{
    ... on Order {{
      id
      refunds {{
        id createdAt
        refundLineItems(first: {REFUND_LINES_FIRST}) {{
          nodes {{ {_REFUND_LINE} }}
          {PAGE_INFO}
        }}
      }}
    }}
  }}
}}
"""
ACCESS_SCOPES_QUERY = """
query AccessScopes {
  currentAppInstallation { accessScopes { handle } }
}
"""


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


def line_sku(line: Mapping[str, Any]) -> str | None:
    """The sku an order line names, trimmed as dbt's staging trims it; None when it names none."""
    return (line.get("sku") or "").strip() or None


def require_catalog_skus(rows: Mapping[str, list[dict]], catalog_skus: Container[str]) -> None:
    """InvalidRecord naming each line whose sku is in no landed catalog day."""
    order = rows["orders"][0]
    label = order["order_name"] or order["order_id"]
    unknown = [
        f"order {label} line {line['line_id']}: sku {sku!r} is not in the landed catalog"
        for line in rows["order_lines"]
        if (sku := line_sku(line)) is not None and sku not in catalog_skus
    ]
    if unknown:
        raise InvalidRecord("sku", "; ".join(unknown))


_LINE_ITEMS = (ORDER_LINE_ITEMS_QUERY, lambda data: data["order"]["lineItems"])
_REFUND_LINES = (REFUND_LINE_ITEMS_QUERY, lambda data: data["refund"]["refundLineItems"])


def all_line_items(client: ApiClient, path: str, node: Mapping[str, Any]) -> list[Mapping]:
    """The order's line items, fetching the pages beyond the first: never truncated."""
    return complete_connection(client, path, node.get("lineItems"), _LINE_ITEMS, node.get("id"))


def with_all_refund_lines(client: ApiClient, path: str, node: Mapping[str, Any]) -> dict:
    """The order node with every refund's `refundLineItems` read to the end."""
    refunds = [
        {
            **refund,
            "refundLineItems": {
                "nodes": complete_connection(
                    client, path, refund.get("refundLineItems"), _REFUND_LINES, refund.get("id")
                )
            },
        }
        for refund in node.get("refunds") or []
    ]
    return {**node, "refunds": refunds}


def require_all_orders_scope(run: ExtractRun, client: ApiClient, days: list[date]) -> None:
    """Fail, naming the scope, when a day is older than Shopify shows without `read_all_orders`.

    Without the scope Shopify answers older windows with no orders at all: the days would land
    empty and look like days without sales.
    """
    cutoff = datetime.now(UTC) - timedelta(days=RECENT_ORDERS_DAYS)
    old = [d for d in days if day_bounds_utc(d, run.config.shop_timezone)[0] < cutoff]
    if not old:
        return
    path = graphql_path(run)
    data = client.graphql(path, ACCESS_SCOPES_QUERY, {})
    scopes = {
        s.get("handle")
        for s in (data.get("currentAppInstallation") or {}).get("accessScopes") or []
    }
    if ALL_ORDERS_SCOPE not in scopes:
        raise ApiError(
            SOURCE,
            "POST",
            client.url(path),
            403,
            f"{len(old)} day(s) from {min(old)} are older than {RECENT_ORDERS_DAYS} days: Shopify "
            f"shows those orders only to apps with the access scope {ALL_ORDERS_SCOPE}, which "
            f"this app lacks (it has {', '.join(sorted(map(str, scopes))) or 'none'}). Grant "
            f"{ALL_ORDERS_SCOPE} to the app, or backfill no further than {RECENT_ORDERS_DAYS} days",
        )


def orders_filter(first: date, last: date, timezone: str) -> str:
    """Shopify search syntax for orders updated in the shop days [first, last], in UTC."""
    start, end = day_bounds_utc(first, timezone)[0], day_bounds_utc(last, timezone)[1]
    return f"updated_at:>='{iso_utc(start)}' AND updated_at:<'{iso_utc(end)}'"


def land_orders_day(
    run: ExtractRun, client: ApiClient, day: date, catalog_skus: Container[str]
) -> None:
    """Orders updated in [D, D+1) shop time, sorted by UPDATED_AT so paging is stable."""
    path = graphql_path(run)
    variables = {"query": orders_filter(day, day, run.config.shop_timezone)}
    with run.day(day, ORDER_DATASETS) as landing:
        for page in graphql_pages(client, path, ORDERS_QUERY, variables, lambda d: d["orders"]):
            for node in page.get("nodes") or []:
                complete = with_all_refund_lines(client, path, node)
                lines = all_line_items(client, path, node)
                _land_order(landing, complete, lines, catalog_skus)


def _land_order(
    landing: DayLanding,
    node: Mapping[str, Any],
    lines: list[Mapping],
    catalog_skus: Container[str],
) -> None:
    """Land one order whose connections are complete; its payload holds all of them, so it does
    not depend on page sizes, nor on whether the order was paged or read in bulk."""
    complete = {**node, "lineItems": {"nodes": list(lines)}}
    try:
        rows = order_rows(complete, lines)
        require_catalog_skus(rows, catalog_skus)
    except InvalidRecord as invalid:
        payload = pick(complete, ORDER_SHAPE)
        landing.reject("orders", node.get("id"), invalid.field, invalid.reason, payload)
        return
    for dataset, dataset_rows in rows.items():
        for row in dataset_rows:
            landing.write(dataset, row)


def bulk_orders_query(search: str) -> str:
    """The bulk operation's query for orders matching `search` (inlined: bulk queries take no
    variables). No pagination (Shopify reads every connection to the end) and no connection
    inside a list, which bulk operations refuse: `refunds` is a list, so the refunds' lines
    come from ORDER_REFUNDS_QUERY, many orders a call."""
    return f"""
{{
  orders(query: {json.dumps(search)}, sortKey: UPDATED_AT) {{
    edges {{
      node {{{_ORDER_FIELDS}
        lineItems {{ edges {{ node {{ {_LINE_ITEM} }} }} }}
        refunds {{ id createdAt }}
      }}
    }}
  }}
}}
"""


def land_orders_bulk(
    run: ExtractRun, client: ApiClient, days: list[date], catalog_skus: Container[str]
) -> None:
    """Every order updated in the range from one bulk operation, landed day by day as
    `land_orders_day` lands it (same rows, same order, same bytes).

    The JSONL comes sorted by UPDATED_AT, so the days follow each other: each day is committed
    when the next one starts, and a day without orders still gets its (empty) files.
    """
    path, timezone = graphql_path(run), run.config.shop_timezone
    search = orders_filter(days[0], days[-1], timezone)
    url = run_bulk_query(client, path, bulk_orders_query(search))
    with tempfile.TemporaryDirectory(prefix="shop-bulk-") as folder:
        jsonl = Path(folder) / "orders.jsonl"
        if url:
            client.download(url, jsonl)
        else:  # Shopify gives no file when nothing matched
            jsonl.touch()
        orders = bulk_objects(client, jsonl, BULK_CONNECTIONS)
        groups = groupby(orders, key=lambda node: _order_day(node, timezone))
        pending = next(groups, None)
        for day in days:
            if pending is not None and pending[0] < day:
                raise _out_of_range(client, path, pending[0], day)
            with run.day(day, ORDER_DATASETS) as landing:
                if pending is not None and pending[0] == day:
                    _land_bulk_orders(client, path, landing, pending[1], catalog_skus)
                    pending = next(groups, None)
        if pending is not None:
            raise _out_of_range(client, path, pending[0], days[-1])


def _order_day(node: Mapping[str, Any], timezone: str) -> date:
    """The shop day an order belongs to: that of its `updatedAt`, as the paged filter has it."""
    try:
        updated = parse_utc(required(node, "updatedAt"), "updatedAt")
    except InvalidRecord as invalid:
        detail = f"bulk result: order {node.get('id')!r} has no usable updatedAt ({invalid})"
        raise ApiError(SOURCE, "GET", "bulk-result.jsonl", 200, detail, permanent=True) from None
    return updated.astimezone(ZoneInfo(timezone)).date()


def _out_of_range(client: ApiClient, path: str, found: date, landing: date) -> ApiError:
    detail = (
        f"bulk result: an order updated on {found} came while landing {landing}: the result "
        "must be sorted by updatedAt and within the range asked for"
    )
    return ApiError(SOURCE, "POST", client.url(path), 200, detail, permanent=True)


def _land_bulk_orders(
    client: ApiClient,
    path: str,
    landing: DayLanding,
    orders: Iterator[dict[str, Any]],
    catalog_skus: Container[str],
) -> None:
    """Land a day's bulk orders, in order; the refunds' lines are read for REFUNDS_BATCH orders
    that have refunds a call (orders without wait with them, at most BULK_BUFFER of them)."""
    batch: list[dict[str, Any]] = []
    refunded: list[dict[str, Any]] = []
    for node in orders:
        batch.append(node)
        if node.get("refunds") and node.get("id"):
            refunded.append(node)
        if len(refunded) == REFUNDS_BATCH or len(batch) == BULK_BUFFER:
            _land_batch(client, path, landing, batch, refunded, catalog_skus)
            batch, refunded = [], []
    _land_batch(client, path, landing, batch, refunded, catalog_skus)


def _land_batch(
    client: ApiClient,
    path: str,
    landing: DayLanding,
    batch: list[dict[str, Any]],
    refunded: list[dict[str, Any]],
    catalog_skus: Container[str],
) -> None:
    refunds = _refunds_of(client, path, refunded)
    for node in batch:
        full = {**node, "refunds": refunds.get(node.get("id"), node.get("refunds") or [])}
        lines = (node.get("lineItems") or {}).get("nodes") or []
        _land_order(landing, full, lines, catalog_skus)


def _refunds_of(
    client: ApiClient, path: str, orders: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Order id -> its refunds, each with every refund line (pages past the first followed)."""
    if not orders:
        return {}
    data = client.graphql(path, ORDER_REFUNDS_QUERY, {"ids": [o["id"] for o in orders]})
    client.stats.pages += 1
    return {
        node["id"]: with_all_refund_lines(client, path, node)["refunds"]
        for node in data.get("nodes") or []
        if node and node.get("id")
    }


def extract_orders(run: ExtractRun, days: list[date]) -> dict[str, Any]:
    """Orders updated in each shop day. Ranges of at least SHOPIFY_BULK_MIN_DAYS days are read
    with one bulk operation, shorter ones (the daily run) page by page; either way each day
    commits on its own."""
    catalog_skus = CatalogSkus(run.config.warehouse_dir, SOURCE)
    client = shop_client(run)
    require_all_orders_scope(run, client, days)
    bulk = len(days) >= run.config.shopify_bulk_min_days
    if bulk:
        land_orders_bulk(run, client, days, catalog_skus)
    else:
        for day in days:
            land_orders_day(run, client, day, catalog_skus)
    return {**answered_version(run, client), "orders_read_with": "bulk" if bulk else "pages"}


shop_orders = extract_asset(
    "shop_orders",
    source=SOURCE,
    group="conversion",
    description=(
        "Shopify orders created or updated on the shop day, with their line items, refund lines "
        "and fulfilments (GraphQL Admin API), landed as Parquet per day; an order with a sku the "
        "landed catalog does not know is rejected."
    ),
    deps=[["landing", "shop_catalog"]],
)(extract_orders)
