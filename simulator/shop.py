"""Shopify GraphQL Admin API: orders, productVariants, and the follow-up queries of nested
connections (`order(id)` line items, `refund(id)` lines, `inventoryItem(id)` levels, `nodes(ids:)`
orders' refunds), plus `shop` settings, `currentAppInstallation` scopes, and bulk operations of
orders (`bulkOperationRunQuery`, `bulkOperation(id:)`, the JSONL result on a signed link).

No GraphQL parser: the root field and the arguments the extractor uses (`first`, `after`,
`query`, nested `lineItems` / `refundLineItems` / `inventoryLevels(first:, after:)`) are read
from the query text, `$variables` resolved. Every node carries the fields the extractors ask for,
whatever the selection says. Like Shopify, every connection is cut at `first` and says so in
its `pageInfo`; the answer names its API version in `X-Shopify-API-Version`, falling forward to
the oldest supported version when asked for a retired one.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from simulator.api import (
    ApiRequest,
    ApiResponse,
    BadRequest,
    cents,
    decode_cursor,
    encode_cursor,
    json_response,
)
from simulator.faults import Faults, Record
from simulator.orders import (
    CANCELLED,
    CREATED,
    FULFILLED_0,
    FULFILLED_1,
    REFUNDED_0,
    REFUNDED_1,
    SOURCE_NAMES,
    LruCache,
    OrderBook,
    OrderDay,
)
from simulator.stock import split_available, warehouse_available, warehouse_locations
from simulator.world import CATEGORIES, CURRENCY, ONE_SIZE, SHOP_DOMAIN, VAT_RATE, Catalog, World

ORDER_GID = 5_500_000_000_000
LINE_GID = 13_000_000_000_000
#: Line item ids per order: an order's lines are numbered from LINE_GID + number * this, so it
#: must exceed the most lines an order has (bulk-refund orders: up to 31), or ids run into the
#: next orders' lines.
LINE_IDS_PER_ORDER = 32
REFUND_GID = 9_100_000_000_000
FULFILLMENT_GID = 4_700_000_000_000
CUSTOMER_GID = 6_900_000_000_000
LOCATION_GID = 61_000_000_001
INVENTORY_ITEM_OFFSET = 1_000_000
MAX_SINGLE_QUERY_COST = 1000
UNKNOWN_SKU = "UNKNOWN-SKU-0000"
#: Stable versions Shopify supports (12 months each); an older one falls forward to the first.
SUPPORTED_VERSIONS = ("2026-01", "2026-04", "2026-07", "2026-10")
RECENT_ORDERS_SECONDS = 60 * 86_400  # what an app without read_all_orders can see

_ROOT = re.compile(
    r"\b(?:(orders|order|productVariants|refund|inventoryItem|nodes)\s*\(|"
    r"(shop|currentAppInstallation)\s*\{)"
)
_SETTINGS = re.compile(r"\b(shop|currentAppInstallation)\s*\{")
_BULK = re.compile(r"\b(bulkOperationRunQuery|bulkOperation)\s*\(")
BULK_GID = "gid://shopify/BulkOperation/"
#: Shopify's bulk query restrictions the simulator enforces: what the extractor could get wrong.
_BULK_REFUSED = (
    (re.compile(r"\bfirst\s*:"), "bulk queries read every connection: drop `first`"),
    (re.compile(r"\brefundLineItems\b"), "a connection inside a list field is not supported"),
)
SHOP_NAME = "Maison Demo"
_ARG = re.compile(r'(\w+)\s*:\s*(\$\w+|"(?:[^"\\]|\\.)*"|-?\d+|\w+)')
_FILTER = re.compile(r"\b(updated_at|created_at):(>=|<=|>|<)?\s*['\"]?([^'\"\s)]+)")


def _money(amount_cents: int) -> str:
    return f'{{"shopMoney":{{"amount":"{cents(amount_cents)}","currencyCode":"{CURRENCY}"}}}}'


def _bool(value: object) -> str:
    return "true" if value else "false"


def _arguments(text: str, start: int, variables: dict[str, Any]) -> dict[str, Any]:
    """Arguments of the field whose '(' is at text[start - 1], $variables resolved."""
    depth, i, in_string = 1, start, False
    while i < len(text) and depth:
        ch = text[i]
        if ch == '"' and text[i - 1] != "\\":
            in_string = not in_string
        elif not in_string:
            depth += {"(": 1, ")": -1}.get(ch, 0)
        i += 1
    args: dict[str, Any] = {}
    for name, raw in _ARG.findall(text[start : i - 1]):
        if raw.startswith("$"):
            args[name] = variables.get(raw[1:])
        elif raw.startswith('"'):
            args[name] = raw[1:-1].replace('\\"', '"')
        elif raw.lstrip("-").isdigit():
            args[name] = int(raw)
        else:
            args[name] = raw
    return args


def _nested(text: str, field: str, variables: dict[str, Any]) -> dict[str, Any]:
    match = re.search(rf"\b{field}\s*\(", text)
    return _arguments(text, match.end(), variables) if match else {}


def _parse_time(raw: str, world: World) -> int:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest(f"invalid time {raw!r} in query filter") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=world.calendar.tz)
    return int(value.astimezone(UTC).timestamp())


def parse_filter(search: str | None, world: World) -> tuple[str, int, int]:
    """(field, lo, hi) of a search like `updated_at:>='...' AND updated_at:<'...'`, [lo, hi)."""
    field, lo, hi = "updated_at", 0, 2**62
    for name, op, raw in _FILTER.findall(search or ""):
        field, value = name, _parse_time(raw, world)
        if op in (">=", ""):
            lo = value
        elif op == ">":
            lo = value + 1
        elif op == "<":
            hi = value
        else:
            hi = value + 1
    return field, lo, hi


class LeakyBucket:
    """Shopify's cost bucket: a query needs its requested cost available, pays its actual cost."""

    def __init__(self, size: float, restore_rate: float) -> None:
        self.size, self.restore_rate = size, restore_rate
        self.available, self.updated = size, time.monotonic()
        self.lock = threading.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self.available = min(self.size, self.available + (now - self.updated) * self.restore_rate)
        self.updated = now

    def take(self, requested: float) -> bool:
        with self.lock:
            self._refill()
            if self.available < requested:
                return False
            self.available -= requested
            return True

    def refund(self, amount: float) -> None:
        with self.lock:
            self.available = min(self.size, self.available + amount)

    def cost(self, requested: float, actual: float) -> dict[str, Any]:
        with self.lock:
            self._refill()
            status = {
                "maximumAvailable": self.size,
                "currentlyAvailable": int(self.available),
                "restoreRate": self.restore_rate,
            }
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": status,
        }


class ShopApi:
    def __init__(self, world: World, book: OrderBook, faults: Faults) -> None:
        self.world, self.book, self.faults = world, book, faults
        self.bucket = LeakyBucket(*world.config.shop_bucket)
        # Pages of one window query share the (sorted) list of matching orders.
        self._windows: LruCache[tuple[str, int, int, int], list] = LruCache(16)
        cat = world.catalog
        self._sku_price = [cents(c) for c in cat.price_cents]
        self._handles = [
            f"{t.lower().replace(' ', '-')}-{s}"
            for t, s in zip(cat.product_title, cat.style, strict=True)
        ]
        self._sku_json = [
            f'"sku":{json.dumps(k)},"title":{json.dumps(t)}'
            for k, t in zip(cat.sku, cat.product_title, strict=True)
        ]
        self._utm = [_utm_json(g.utm) for g in world.traffic]
        self.bulk = BulkOperations(self)

    # --- HTTP entry points -------------------------------------------------------------------

    def graphql(self, request: ApiRequest, version: str = SUPPORTED_VERSIONS[-1]) -> ApiResponse:
        response = self._graphql(request)
        response.headers["X-Shopify-API-Version"] = answered_version(version)
        return response

    def _graphql(self, request: ApiRequest) -> ApiResponse:
        body = request.json()
        text = body.get("query") or ""
        variables = body.get("variables") or {}
        bulk = _BULK.search(text)
        if bulk:
            return self.bulk.graphql(request, bulk.group(1), text, variables)
        root = _ROOT.search(text)
        if root is None:
            return json_response(
                200,
                {
                    "errors": [
                        {
                            "message": "Unsupported query: the simulator serves orders, order, "
                            "refund, productVariants, inventoryItem, shop and "
                            "currentAppInstallation"
                        }
                    ]
                },
            )
        if root.group(2):
            return self._settings(text)
        args = _arguments(text, root.end(), variables)
        lines_args = _nested(text[root.end() :], "lineItems", variables)
        nested = {
            name: _nested(text[root.end() :], name, variables)
            for name in ("refundLineItems", "inventoryLevels")
        }
        line_first = int(lines_args.get("first") or 0)
        single = root.group(1) in ("order", "refund", "inventoryItem")
        ids = args.get("ids") if root.group(1) == "nodes" else None
        first = len(ids or []) or int(args.get("first") or (1 if single else 0))
        if not 0 < first <= 250 or line_first > 250:
            return json_response(
                200,
                {
                    "errors": [
                        {
                            "message": "first must be between 1 and 250",
                            "extensions": {"code": "BAD_REQUEST"},
                        }
                    ]
                },
            )
        requested = 2 + first * (2 + math.ceil(max(line_first, 10) / 50))
        if requested > MAX_SINGLE_QUERY_COST:
            return json_response(
                200,
                {
                    "errors": [
                        {
                            "message": f"Query cost is {requested}, which exceeds the single query "
                            "max cost "
                            f"limit ({MAX_SINGLE_QUERY_COST}).",
                            "extensions": {
                                "code": "MAX_COST_EXCEEDED",
                                "cost": requested,
                                "maxCost": MAX_SINGLE_QUERY_COST,
                            },
                        }
                    ]
                },
            )
        if not self.bucket.take(requested):
            return self.throttled(requested)
        cap = self.world.config.page_sizes.shop_line_items
        line_page = min(line_first or 250, cap)
        pages = {name: min(int(a.get("first") or 250), cap) for name, a in nested.items()}
        name = root.group(1)
        if name == "orders":
            data, returned = self._orders(request, args, first, line_page, pages)
        elif name == "order":
            data, returned = self._order(request, args, lines_args, line_page, pages)
        elif name == "refund":
            data, returned = self._refund(request, args, nested["refundLineItems"], pages)
        elif name == "inventoryItem":
            data, returned = self._inventory_item(request, args, nested["inventoryLevels"])
        elif name == "nodes":
            data, returned = self._nodes(request, ids or [], pages["refundLineItems"])
        else:
            data, returned = self._variants(request, args, first, pages["inventoryLevels"])
        actual = 2 + 3 * returned
        self.bucket.refund(max(0, requested - actual))
        cost = json.dumps({"cost": self.bucket.cost(requested, actual)})
        body = f'{{"data":{data},"extensions":{cost}}}'.encode()
        return ApiResponse(200, body, {"Content-Type": "application/json"})

    def _settings(self, text: str) -> ApiResponse:
        """`shop { ... }` and `currentAppInstallation { accessScopes { handle } }`: the shop's
        settings and the scopes granted to the app (one point each, like Shopify's objects)."""
        roots = {m.group(1) for m in _SETTINGS.finditer(text)}
        requested = len(roots)
        if not self.bucket.take(requested):
            return self.throttled(requested)
        data: dict[str, Any] = {}
        if "shop" in roots:
            data["shop"] = {
                "name": SHOP_NAME,
                "currencyCode": CURRENCY,
                "taxesIncluded": True,
                "ianaTimezone": self.world.config.timezone,
            }
        if "currentAppInstallation" in roots:
            scopes = self.world.config.shop_access_scopes
            data["currentAppInstallation"] = {"accessScopes": [{"handle": h} for h in scopes]}
        payload = {"data": data, "extensions": {"cost": self.bucket.cost(requested, requested)}}
        return json_response(200, payload)

    def throttled(self, requested: int = 0) -> ApiResponse:
        """The answer to a query the bucket cannot pay for: HTTP 200 with a THROTTLED error."""
        payload = {
            "errors": [
                {
                    "message": "Throttled",
                    "extensions": {
                        "code": "THROTTLED",
                        "documentation": "https://shopify.dev/api/usage/rate-limits",
                    },
                }
            ],
            "extensions": {"cost": self.bucket.cost(requested, 0)},
        }
        return json_response(200, payload)

    # --- orders ----------------------------------------------------------------------------

    def _orders(
        self,
        request: ApiRequest,
        args: dict[str, Any],
        first: int,
        line_page: int,
        pages: dict[str, int],
    ) -> tuple[str, int]:
        field, lo, hi = parse_filter(args.get("query"), self.world)
        if "read_all_orders" not in self.world.config.shop_access_scopes:
            lo = max(lo, request.now - RECENT_ORDERS_SECONDS)  # Shopify hides older orders
        matches = self._windows.get(
            (field, lo, hi, request.now),
            lambda: self.book.window(field, lo, hi, request.now),
        )
        start = 0
        if args.get("after"):
            value, number = (int(p) for p in decode_cursor(args["after"], 2))
            start = _bisect_after(matches, (value, number))
        page_size = min(first, self.world.config.page_sizes.shop)
        page = matches[start : start + page_size]
        nodes = self._with_faults(
            [
                self.order_json(day, j, request.now, line_page, 0, pages["refundLineItems"])
                for _, _, day, j in page
            ]
        )
        page_info = json.dumps(
            {
                "hasNextPage": start + page_size < len(matches),
                "endCursor": encode_cursor(page[-1][0], page[-1][1]) if page else None,
                "hasPreviousPage": start > 0,
            }
        )
        return f'{{"orders":{{"nodes":[{",".join(nodes)}],"pageInfo":{page_info}}}}}', len(nodes)

    def _with_faults(self, nodes: list[str]) -> list[str]:
        """Record faults work on parsed copies; the fast path never parses."""
        if not self.faults.affects_records("shop"):
            return nodes
        records = self.faults.apply(
            "shop", [json.loads(n) for n in nodes], _order_key, ORDER_CORRUPTIONS
        )
        return [json.dumps(r, ensure_ascii=False) for r in records]

    def _order(
        self,
        request: ApiRequest,
        args: dict[str, Any],
        lines_args: dict[str, Any],
        line_page: int,
        pages: dict[str, int],
    ) -> tuple[str, int]:
        gid = str(args.get("id") or "")
        match = re.fullmatch(r"gid://shopify/Order/(\d+)", gid)
        found = self.book.find(int(match.group(1)) - ORDER_GID) if match else None
        if found is None or found[0].created[found[1]] > request.now:
            return '{"order":null}', 0
        day, j = found
        offset = int(decode_cursor(lines_args["after"], 1)[0]) if lines_args.get("after") else 0
        refund_page = pages["refundLineItems"]
        return (
            f'{{"order":{self.order_json(day, j, request.now, line_page, offset, refund_page)}}}',
            1,
        )

    def _refund(
        self,
        request: ApiRequest,
        args: dict[str, Any],
        lines_args: dict[str, Any],
        pages: dict[str, int],
    ) -> tuple[str, int]:
        """`refund(id:) { refundLineItems(first:, after:) }`: the pages after the first."""
        match = re.fullmatch(r"gid://shopify/Refund/(\d+)", str(args.get("id") or ""))
        number, k = divmod(int(match.group(1)) - REFUND_GID, 2) if match else (-1, 0)
        found = self.book.find(number) if number >= 0 else None
        if found is None:
            return '{"refund":null}', 0
        day, j = found
        if not 0 <= day.events[j][(REFUNDED_0, REFUNDED_1)[k]] <= request.now:
            return '{"refund":null}', 0
        offset = int(decode_cursor(lines_args["after"], 1)[0]) if lines_args.get("after") else 0
        page = pages["refundLineItems"]
        return f'{{"refund":{self._refund_json(day, j, k, page, offset)}}}', 1

    def _nodes(self, request: ApiRequest, ids: list[Any], refund_page: int) -> tuple[str, int]:
        """`nodes(ids:) { ... on Order { id refunds { ... } } }`: orders' refunds, many a call
        (what follows a bulk operation, which cannot read the lines of a list of refunds)."""
        nodes = []
        for gid in ids:
            match = re.fullmatch(r"gid://shopify/Order/(\d+)", str(gid))
            found = self.book.find(int(match.group(1)) - ORDER_GID) if match else None
            if found is None or found[0].created[found[1]] > request.now:
                nodes.append("null")
                continue
            day, j = found
            refunds = self._refunds_json(day, j, request.now, refund_page)
            nodes.append(f'{{"id":{json.dumps(str(gid))},"refunds":[{refunds}]}}')
        return f'{{"nodes":[{",".join(nodes)}]}}', len(nodes)

    def bulk_order_lines(self, search: str | None, now: int) -> Iterator[tuple[str, int]]:
        """The JSONL lines of a bulk query of orders, grouped: each order (refunds without their
        lines, which a bulk query cannot select) then its line items with `__parentId`.
        Yields (line, 1 for an order's own line else 0)."""
        field_name, lo, hi = parse_filter(search, self.world)
        if "read_all_orders" not in self.world.config.shop_access_scopes:
            lo = max(lo, now - RECENT_ORDERS_SECONDS)
        for _, _, day, j in self.book.window(field_name, lo, hi, now):
            order = json.loads(self.order_json(day, j, now, 10**6, 0, 0))
            for record in self.faults.apply("shop", [order], _order_key, BULK_CORRUPTIONS):
                record = dict(record)
                lines = record.pop("lineItems")["nodes"]
                record["refunds"] = [
                    {"id": r["id"], "createdAt": r["createdAt"]} for r in record["refunds"]
                ]
                yield json.dumps(record, ensure_ascii=False), 1
                for line in lines:
                    child = {**line, "__parentId": record.get("id")}
                    yield json.dumps(child, ensure_ascii=False), 0

    def order_json(
        self,
        day: OrderDay,
        j: int,
        now: int,
        line_page: int,
        line_offset: int,
        refund_page: int = 250,
    ) -> str:
        """An order as Shopify's GraphQL API shows it at `now`, rendered straight to JSON text
        (the benchmark serves millions of orders: no intermediate dicts)."""
        ev, iso = day.events[j].tolist(), day.iso_events[j]
        number = int(day.number[j])
        lo, hi = int(day.line_start[j]), int(day.line_start[j + 1])
        gid_lines = LINE_GID + number * LINE_IDS_PER_ORDER
        first_line = lo + line_offset
        last_line = min(hi, first_line + line_page)
        lines = ",".join(
            self._line_json(day, i, gid_lines + i - lo) for i in range(first_line, last_line)
        )
        created = iso[CREATED]
        cancelled = 0 <= ev[CANCELLED] <= now
        cancelled_at = f'"{iso[CANCELLED]}"' if cancelled else "null"
        cancel_reason = '"CUSTOMER"' if cancelled else "null"
        end_cursor = f'"{encode_cursor(last_line - lo)}"' if last_line > first_line else "null"
        fulfillments = ",".join(
            f'{{"id":"gid://shopify/Fulfillment/{FULFILLMENT_GID + number * 2 + k}",'
            f'"createdAt":"{iso[col]}","status":"SUCCESS"}}'
            for k, col in enumerate((FULFILLED_0, FULFILLED_1))
            if 0 <= ev[col] <= now
        )
        return (
            f'{{"id":"gid://shopify/Order/{ORDER_GID + number}","name":"#{number}",'
            f'"createdAt":"{created}","updatedAt":"{iso[_last_event(ev, now)]}",'
            f'"processedAt":"{created}","cancelledAt":{cancelled_at},'
            f'"cancelReason":{cancel_reason},'
            f'"test":{_bool(day.test[j])},"currencyCode":"{CURRENCY}",'
            f'"taxesIncluded":{_bool(day.taxes_included[j])},'
            f'"sourceName":"{SOURCE_NAMES[day.source_name[j]]}",'
            f'"customer":{{"id":"gid://shopify/Customer/{CUSTOMER_GID + int(day.customer[j])}"}},'
            f'"customerJourneySummary":{self._journey_json(day, j, lo)},'
            f'"lineItems":{{"nodes":[{lines}],'
            f'"pageInfo":{{"hasNextPage":{_bool(last_line < hi)},"endCursor":{end_cursor}}}}},'
            f'"refunds":[{self._refunds_json(day, j, now, refund_page)}],'
            f'"fulfillments":[{fulfillments}]}}'
        )

    def _line_json(self, day: OrderDay, i: int, gid: int) -> str:
        sku = int(day.line_sku[i])
        discount = int(day.line_discount[i])
        allocations = f'{{"allocatedAmountSet":{_money(discount)}}}' if discount else ""
        return (
            f'{{"id":"gid://shopify/LineItem/{gid}",{self._sku_json[sku]},'
            f'"quantity":{int(day.line_qty[i])},'
            f'"originalUnitPriceSet":{_money(int(day.line_unit[i]))},'
            f'"discountAllocations":[{allocations}],'
            f'"taxLines":[{{"title":"TVA","rate":{VAT_RATE},"priceSet":{_money(int(day.line_tax[i]))}}}]}}'
        )

    def _journey_json(self, day: OrderDay, j: int, first_line: int) -> str:
        """The last visit: landing page (a product page, UTMs in its query) and UTM parameters."""
        group = self.world.traffic[day.group[j]]
        page = f"{SHOP_DOMAIN}/products/{self._handles[int(day.line_sku[first_line])]}"
        if group.utm is None and day.number[j] % 3 == 0:
            page = f"{SHOP_DOMAIN}/"
        utm_query, utm_json = self._utm[day.group[j]]
        return (
            f'{{"ready":true,"lastVisit":{{"landingPage":{json.dumps(page + utm_query)},'
            f'"utmParameters":{utm_json}}}}}'
        )

    def _refunds_json(self, day: OrderDay, j: int, now: int, page: int) -> str:
        return ",".join(
            self._refund_json(day, j, k, page, 0)
            for k, col in enumerate((REFUNDED_0, REFUNDED_1))
            if 0 <= day.events[j][col] <= now
        )

    def _refund_json(self, day: OrderDay, j: int, k: int, page: int, offset: int) -> str:
        """Refund k of an order, its refundLineItems cut to `page` items from `offset`."""
        lo, hi = int(day.line_start[j]), int(day.line_start[j + 1])
        gid_lines = LINE_GID + int(day.number[j]) * LINE_IDS_PER_ORDER
        refunded = [
            i for i in range(lo, hi) if int(day.line_returned[i]) and day.line_refund[i] == k
        ]
        items = []
        for i in refunded[offset : offset + page]:
            returned = int(day.line_returned[i])
            share = returned / int(day.line_qty[i])
            items.append(
                f'{{"lineItem":{{"id":"gid://shopify/LineItem/{gid_lines + i - lo}"}},'
                f'"quantity":{returned},'
                f'"subtotalSet":{_money(round(int(day.line_net[i]) * share))},'
                f'"totalTaxSet":{_money(round(int(day.line_tax[i]) * share))}}}'
            )
        end = min(len(refunded), offset + page)
        cursor = f'"{encode_cursor(end)}"' if end > offset else "null"
        return (
            f'{{"id":"gid://shopify/Refund/{REFUND_GID + int(day.number[j]) * 2 + k}",'
            f'"createdAt":"{day.iso_events[j][(REFUNDED_0, REFUNDED_1)[k]]}",'
            f'"refundLineItems":{{"nodes":[{",".join(items)}],'
            f'"pageInfo":{{"hasNextPage":{_bool(end < len(refunded))},"endCursor":{cursor}}}}}}}'
        )

    # --- catalog and stock -------------------------------------------------------------------

    def _variants(
        self, request: ApiRequest, args: dict[str, Any], first: int, level_page: int
    ) -> tuple[str, int]:
        cat = self.world.catalog
        start = int(decode_cursor(args["after"], 1)[0]) if args.get("after") else 0
        stop = min(len(cat), start + min(first, self.world.config.page_sizes.shop))
        idx = np.arange(start, stop)
        nodes = [
            self._variant_node(int(i), levels, level_page)
            for i, levels in zip(idx, self._levels(idx, request.now), strict=True)
        ]
        nodes = self.faults.apply("shop", nodes, lambda r: str(r.get("sku")), VARIANT_CORRUPTIONS)
        page_info = {
            "hasNextPage": stop < len(cat),
            "endCursor": encode_cursor(stop) if stop > start else None,
        }
        return json.dumps({"productVariants": {"nodes": nodes, "pageInfo": page_info}}), len(nodes)

    def _levels(self, idx: np.ndarray, now: int) -> list[list[int]]:
        """Available units per fulfilment location of each sku today."""
        seed = self.world.config.seed
        today = self.world.calendar.local_date(now).toordinal()
        available = warehouse_available(seed, idx, today)
        many_share = self.world.config.sizes.many_locations_share
        locations = warehouse_locations(seed, idx, many_share)
        return [split_available(int(a), int(n)) for a, n in zip(available, locations, strict=True)]

    def _inventory_item(
        self, request: ApiRequest, args: dict[str, Any], levels_args: dict[str, Any]
    ) -> tuple[str, int]:
        """`inventoryItem(id:) { inventoryLevels(first:, after:) }`: the pages after the first."""
        match = re.fullmatch(r"gid://shopify/InventoryItem/(\d+)", str(args.get("id") or ""))
        number = int(match.group(1)) - INVENTORY_ITEM_OFFSET if match else -1
        found = np.flatnonzero(self.world.catalog.variant_num == number)
        if not len(found):
            return '{"inventoryItem":null}', 0
        i = int(found[0])
        offset = int(decode_cursor(levels_args["after"], 1)[0]) if levels_args.get("after") else 0
        page = min(
            int(levels_args.get("first") or 250), self.world.config.page_sizes.shop_line_items
        )
        levels = self._levels(np.array([i]), request.now)[0]
        item = {"inventoryLevels": _levels_connection(levels, page, offset)}
        return json.dumps({"inventoryItem": item}), 1

    def _variant_node(self, i: int, levels: list[int], level_page: int) -> Record:
        cat = self.world.catalog
        item_number = int(cat.variant_num[i]) + INVENTORY_ITEM_OFFSET
        return {
            "id": f"gid://shopify/ProductVariant/{int(cat.variant_num[i])}",
            "sku": cat.sku[i],
            "barcode": cat.barcode[i],
            "title": " / ".join(o["value"] for o in selected_options(cat, i)),
            "selectedOptions": selected_options(cat, i),
            "price": self._sku_price[i],
            "product": {
                "id": f"gid://shopify/Product/{int(cat.product_num[i])}",
                "title": cat.product_title[i],
                "vendor": cat.brand[i],
                "productType": CATEGORIES[int(cat.category[i])].product_type,
            },
            "inventoryItem": {
                "id": f"gid://shopify/InventoryItem/{item_number}",
                "unitCost": {"amount": cents(int(cat.cost_cents[i])), "currencyCode": CURRENCY},
                "inventoryLevels": _levels_connection(levels, level_page, 0),
            },
        }


def selected_options(cat: Catalog, i: int) -> list[Record]:
    """The variant's `selectedOptions`, named as its brand's shop names them; a one-size
    accessory has a colour only."""
    colour_name, size_name = cat.option_names[i]
    options = [{"name": colour_name, "value": cat.colour[i]}]
    if cat.size[i] != ONE_SIZE:
        options.append({"name": size_name, "value": cat.size[i]})
    return options


@dataclasses.dataclass
class BulkOperation:
    """One bulk query: CREATED, RUNNING while its file is written, then how it ended."""

    number: int
    query: str
    created_at: str
    status: str = "CREATED"
    error_code: str | None = None
    object_count: int = 0
    root_object_count: int = 0
    path: Path | None = None
    token: str = dataclasses.field(default_factory=lambda: secrets.token_hex(16))
    written: threading.Event = dataclasses.field(default_factory=threading.Event)

    @property
    def gid(self) -> str:
        return f"{BULK_GID}{self.number}"


class BulkOperations:
    """Shopify's bulk queries of orders, as the Admin API runs them.

    The mutation answers at once with status CREATED; the JSONL file is written in the
    background (orders sorted by the search's sort key, each followed by its line items); polls
    by `bulkOperation(id:)` show RUNNING with a growing `objectCount`, then COMPLETED with a
    signed `url` on this server that takes no access token. `shop_bulk_failure` in the config
    makes every operation end the way Shopify's can fail.
    """

    MUTATION_COST = 10  # Shopify's price of a mutation
    POLL_COST = 1

    def __init__(self, shop: ShopApi) -> None:
        self.shop = shop
        self.operations: dict[int, BulkOperation] = {}
        self.downloads: list[dict[str, str]] = []  # headers of every download, for tests
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._folder = tempfile.TemporaryDirectory(prefix="simulator-bulk-")

    def graphql(
        self, request: ApiRequest, root: str, text: str, variables: dict[str, Any]
    ) -> ApiResponse:
        cost = self.MUTATION_COST if root == "bulkOperationRunQuery" else self.POLL_COST
        bucket = self.shop.bucket
        if not bucket.take(cost):
            return self.shop.throttled(cost)
        args = _arguments(text, _BULK.search(text).end(), variables)  # type: ignore[union-attr]
        if root == "bulkOperationRunQuery":
            data = {"bulkOperationRunQuery": self.run(request, str(args.get("query") or ""))}
        else:
            data = {"bulkOperation": self.poll(request, str(args.get("id") or ""))}
        return json_response(200, {"data": data, "extensions": {"cost": bucket.cost(cost, cost)}})

    def run(self, request: ApiRequest, query: str) -> dict[str, Any]:
        failure = self.shop.world.config.shop_bulk_failure
        refusal = next((why for rule, why in _BULK_REFUSED if rule.search(query)), None)
        root = re.search(r"\{\s*(\w+)\s*\(", query)
        if refusal is None and (root is None or root.group(1) != "orders"):
            refusal = "the simulator serves bulk queries of `orders`"
        if refusal:
            return _user_error("INVALID", f"Invalid bulk query: {refusal}", ["query"])
        if failure == "OPERATION_IN_PROGRESS":
            running = f"{BULK_GID}{max(self.operations, default=0) + 1000}"
            message = (
                f"A bulk query operation for this app and shop is already in progress: {running}."
            )
            return _user_error("OPERATION_IN_PROGRESS", message, None)
        with self._lock:
            number = next(self._numbers)
            created = datetime.fromtimestamp(request.now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            operation = BulkOperation(number, query, created)
            self.operations[number] = operation
        search = _arguments(query, root.end(), {}).get("query")  # type: ignore[union-attr]
        threading.Thread(
            target=self._write, args=(operation, search, request.now), daemon=True
        ).start()
        return {"bulkOperation": {"id": operation.gid, "status": "CREATED"}, "userErrors": []}

    def _write(self, operation: BulkOperation, search: str | None, now: int) -> None:
        path = Path(self._folder.name) / f"{operation.number}-{operation.token}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for line, root in self.shop.bulk_order_lines(search, now):
                out.write(line + "\n")
                operation.object_count += 1
                operation.root_object_count += root
        operation.path = path
        operation.written.set()

    def poll(self, request: ApiRequest, gid: str) -> dict[str, Any] | None:
        """CREATED -> RUNNING at the first poll; the end once the file is written."""
        number = gid.removeprefix(BULK_GID)
        operation = self.operations.get(int(number)) if number.isdigit() else None
        if operation is None:
            return None
        if operation.status == "CREATED":
            operation.status = "RUNNING"
        elif operation.status == "RUNNING" and operation.written.is_set():
            self._end(operation)
        completed = operation.status == "COMPLETED" and operation.root_object_count > 0
        url = (
            f"{request.base_url}/shop-bulk/{operation.number}.jsonl?signature={operation.token}"
            if completed
            else None
        )
        size = operation.path.stat().st_size if completed and operation.path else None
        return {
            "id": operation.gid,
            "status": operation.status,
            "errorCode": operation.error_code,
            "createdAt": operation.created_at,
            "objectCount": str(operation.object_count),
            "rootObjectCount": str(operation.root_object_count),
            "fileSize": None if size is None else str(size),
            "url": url,
            "partialDataUrl": None,
            "query": operation.query,
        }

    def _end(self, operation: BulkOperation) -> None:
        failure = self.shop.world.config.shop_bulk_failure
        if failure in ("ACCESS_DENIED", "INTERNAL_SERVER_ERROR", "TIMEOUT"):
            operation.status, operation.error_code = "FAILED", failure
        elif failure in ("CANCELED", "EXPIRED"):
            operation.status = failure
        else:
            operation.status = "COMPLETED"

    def download(self, request: ApiRequest, number: int) -> ApiResponse:
        """The JSONL file behind a completed operation's signed link (no access token)."""
        self.downloads.append(dict(request.headers.items()))
        operation = self.operations.get(number)
        if (
            operation is None
            or operation.status != "COMPLETED"
            or request.arg("signature") != operation.token
        ):
            return json_response(403, {"error": "AccessDenied: the signature does not match"})
        return ApiResponse(200, b"", {"Content-Type": "application/jsonl"}, file=operation.path)


def _user_error(code: str, message: str, field_path: list[str] | None) -> dict[str, Any]:
    return {
        "bulkOperation": None,
        "userErrors": [{"field": field_path, "message": message, "code": code}],
    }


def answered_version(requested: str) -> str:
    """The version Shopify answers with: the requested one while supported, else the oldest
    supported one (Shopify falls forward rather than refusing)."""
    if requested == "unstable" or requested in SUPPORTED_VERSIONS:
        return requested
    return SUPPORTED_VERSIONS[0]


def _levels_connection(levels: list[int], page: int, offset: int) -> Record:
    """A page of inventoryLevels (one per location holding the sku), cut like Shopify's."""
    end = min(len(levels), offset + page)
    return {
        "nodes": [
            {
                "location": {"id": f"gid://shopify/Location/{LOCATION_GID + k}"},
                "quantities": [{"name": "available", "quantity": levels[k]}],
            }
            for k in range(offset, end)
        ],
        "pageInfo": {
            "hasNextPage": end < len(levels),
            "endCursor": encode_cursor(end) if end > offset else None,
        },
    }


def _utm_json(utm: tuple[str, str, str | None, str | None, str | None] | None) -> tuple[str, str]:
    """(landing-page query string, utmParameters JSON) of a traffic group; direct = no UTMs."""
    if utm is None:
        return "", "null"
    keys = ("source", "medium", "campaign", "content", "term")
    query = "&".join(f"utm_{k}={v}" for k, v in zip(keys, utm, strict=True) if v)
    return f"?{query}", json.dumps(dict(zip(keys, utm, strict=True)))


def _last_event(events: list[int], now: int) -> int:
    """Column of the latest event that has happened (updatedAt)."""
    return max((t, col) for col, t in enumerate(events) if t <= now)[1]


def _bisect_after(matches: list[tuple[int, int, OrderDay, int]], key: tuple[int, int]) -> int:
    lo, hi = 0, len(matches)
    while lo < hi:
        mid = (lo + hi) // 2
        if (matches[mid][0], matches[mid][1]) <= key:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _order_key(record: Record) -> str:
    return str(record.get("id"))


def _first_line(record: Record) -> Record:
    return record["lineItems"]["nodes"][0] if record["lineItems"]["nodes"] else {}


ORDER_CORRUPTIONS = (
    lambda r: r.pop("id"),
    lambda r: _first_line(r).update(quantity=-abs(_first_line(r).get("quantity", 1))),
    lambda r: _first_line(r).update(sku=UNKNOWN_SKU),
    lambda r: r.update(createdAt="2025-13-45T25:61:00Z"),
)
VARIANT_CORRUPTIONS = (
    lambda r: r.pop("id"),
    lambda r: r.update(barcode="12345"),
    lambda r: r["inventoryItem"]["inventoryLevels"]["nodes"][0]["quantities"][0].update(
        quantity=-3
    ),
)
#: A bulk result links lines by id: an order without one cannot be served in bulk.
BULK_CORRUPTIONS = ORDER_CORRUPTIONS[1:]
