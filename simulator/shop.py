"""Shopify GraphQL Admin API: orders, a follow-up order(id) for long line lists, productVariants.

No GraphQL parser: the root field (`orders(`, `order(`, `productVariants(`) and the arguments
the extractor uses (`first`, `after`, `query`, nested `lineItems(first:, after:)`) are read from
the query text, `$variables` resolved. Every node carries the fields sources.md lists, whatever
the selection says.
"""

from __future__ import annotations

import math
import re
import threading
import time
from datetime import UTC, datetime
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
    FULFILLED_0,
    FULFILLED_1,
    REFUNDED_0,
    REFUNDED_1,
    SOURCE_NAMES,
    OrderBook,
    OrderDay,
)
from simulator.stock import warehouse_available, warehouse_split
from simulator.world import CATEGORIES, CURRENCY, SHOP_DOMAIN, VAT_RATE, World

ORDER_GID = 5_500_000_000_000
LINE_GID = 13_000_000_000_000
REFUND_GID = 9_100_000_000_000
FULFILLMENT_GID = 4_700_000_000_000
CUSTOMER_GID = 6_900_000_000_000
LOCATIONS = ("gid://shopify/Location/61000000001", "gid://shopify/Location/61000000002")
MAX_SINGLE_QUERY_COST = 1000
UNKNOWN_SKU = "UNKNOWN-SKU-0000"

_ROOT = re.compile(r"\b(orders|order|productVariants)\s*\(")
_ARG = re.compile(r'(\w+)\s*:\s*(\$\w+|"(?:[^"\\]|\\.)*"|-?\d+|\w+)')
_FILTER = re.compile(r"\b(updated_at|created_at):(>=|<=|>|<)?\s*['\"]?([^'\"\s)]+)")


def _iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _money(amount_cents: int) -> dict[str, Any]:
    return {"shopMoney": {"amount": cents(amount_cents), "currencyCode": CURRENCY}}


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
        return {"requestedQueryCost": requested, "actualQueryCost": actual,
                "throttleStatus": status}  # fmt: skip


class ShopApi:
    def __init__(self, world: World, book: OrderBook, faults: Faults) -> None:
        self.world, self.book, self.faults = world, book, faults
        self.bucket = LeakyBucket(*world.config.shop_bucket)
        cat = world.catalog
        self._sku_price = [cents(c) for c in cat.price_cents]
        self._handles = [
            f"{t.lower().replace(' ', '-')}-{s}" for t, s in zip(cat.product_title, cat.style, strict=True)
        ]

    # --- HTTP entry points -------------------------------------------------------------------

    def graphql(self, request: ApiRequest) -> ApiResponse:
        body = request.json()
        text = body.get("query") or ""
        variables = body.get("variables") or {}
        root = _ROOT.search(text)
        if root is None:
            return json_response(200, {"errors": [{"message": "Unsupported query: the simulator "
                                                   "serves orders, order and productVariants"}]})  # fmt: skip
        args = _arguments(text, root.end(), variables)
        lines_args = _nested(text[root.end() :], "lineItems", variables)
        line_first = int(lines_args.get("first") or 0)
        first = int(args.get("first") or (1 if root.group(1) == "order" else 0))
        if not 0 < first <= 250 or line_first > 250:
            return json_response(200, {"errors": [{"message": "first must be between 1 and 250",
                                                   "extensions": {"code": "BAD_REQUEST"}}]})  # fmt: skip
        requested = 2 + first * (2 + math.ceil(max(line_first, 10) / 50))
        if requested > MAX_SINGLE_QUERY_COST:
            return json_response(200, {"errors": [{
                "message": f"Query cost is {requested}, which exceeds the single query max cost "
                           f"limit ({MAX_SINGLE_QUERY_COST}).",
                "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested,
                               "maxCost": MAX_SINGLE_QUERY_COST}}]})  # fmt: skip
        if not self.bucket.take(requested):
            return self.throttled(requested)
        line_page = min(line_first or 250, self.world.config.page_sizes.shop_line_items)
        name = root.group(1)
        if name == "orders":
            data, returned = self._orders(request, args, first, line_page)
        elif name == "order":
            data, returned = self._order(request, args, lines_args, line_page)
        else:
            data, returned = self._variants(request, args, first)
        actual = 2 + 3 * returned
        self.bucket.refund(max(0, requested - actual))
        cost = self.bucket.cost(requested, actual)
        return json_response(200, {"data": data, "extensions": {"cost": cost}})

    def throttled(self, requested: int = 0) -> ApiResponse:
        """The answer to a query the bucket cannot pay for: HTTP 200 with a THROTTLED error."""
        payload = {
            "errors": [{"message": "Throttled", "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
            "extensions": {"cost": self.bucket.cost(requested, 0)},
        }  # fmt: skip
        return json_response(200, payload)

    # --- orders ----------------------------------------------------------------------------

    def _orders(self, request: ApiRequest, args: dict[str, Any], first: int,
                line_page: int) -> tuple[dict[str, Any], int]:  # fmt: skip
        field, lo, hi = parse_filter(args.get("query"), self.world)
        matches = self.book.window(field, lo, hi, request.now)
        start = 0
        if args.get("after"):
            value, number = (int(p) for p in decode_cursor(args["after"], 2))
            start = _bisect_after(matches, (value, number))
        page_size = min(first, self.world.config.page_sizes.shop)
        page = matches[start : start + page_size]
        nodes = [self.order_node(day, j, request.now, line_page, 0) for _, _, day, j in page]
        nodes = self.faults.apply("shop", nodes, _order_key, ORDER_CORRUPTIONS)
        end_cursor = encode_cursor(page[-1][0], page[-1][1]) if page else None
        page_info = {"hasNextPage": start + page_size < len(matches), "endCursor": end_cursor,
                     "hasPreviousPage": start > 0}  # fmt: skip
        return {"orders": {"nodes": nodes, "pageInfo": page_info}}, len(nodes)

    def _order(self, request: ApiRequest, args: dict[str, Any], lines_args: dict[str, Any],
               line_page: int) -> tuple[dict[str, Any], int]:  # fmt: skip
        gid = str(args.get("id") or "")
        match = re.fullmatch(r"gid://shopify/Order/(\d+)", gid)
        found = self.book.find(int(match.group(1)) - ORDER_GID) if match else None
        if found is None or found[0].created[found[1]] > request.now:
            return {"order": None}, 0
        day, j = found
        offset = int(decode_cursor(lines_args["after"], 1)[0]) if lines_args.get("after") else 0
        return {"order": self.order_node(day, j, request.now, line_page, offset)}, 1

    def order_node(self, day: OrderDay, j: int, now: int, line_page: int,
                   line_offset: int) -> Record:  # fmt: skip
        """An order as Shopify's GraphQL API shows it at `now`."""
        ev = day.events[j]
        number = int(day.number[j])
        lo, hi = int(day.line_start[j]), int(day.line_start[j + 1])
        gid_lines = LINE_GID + number * 8
        first_line = lo + line_offset
        last_line = min(hi, first_line + line_page)
        nodes = [self._line_node(day, i, gid_lines + i - lo) for i in range(first_line, last_line)]
        happened = [int(t) for t in ev if 0 <= t <= now]
        cancelled = 0 <= ev[CANCELLED] <= now
        return {
            "id": f"gid://shopify/Order/{ORDER_GID + number}",
            "name": f"#{number}",
            "createdAt": _iso(int(day.created[j])),
            "updatedAt": _iso(max(happened)),
            "processedAt": _iso(int(day.created[j])),
            "cancelledAt": _iso(int(ev[CANCELLED])) if cancelled else None,
            "cancelReason": "CUSTOMER" if cancelled else None,
            "test": bool(day.test[j]),
            "currencyCode": CURRENCY,
            "taxesIncluded": bool(day.taxes_included[j]),
            "sourceName": SOURCE_NAMES[day.source_name[j]],
            "customer": {"id": f"gid://shopify/Customer/{CUSTOMER_GID + int(day.customer[j])}"},
            "customerJourneySummary": self._journey(day, j, lo),
            "lineItems": {
                "nodes": nodes,
                "pageInfo": {"hasNextPage": last_line < hi,
                             "endCursor": encode_cursor(last_line - lo) if nodes else None},
            },  # fmt: skip
            "refunds": self._refunds(day, j, now, lo, hi, gid_lines),
            "fulfillments": [
                {"id": f"gid://shopify/Fulfillment/{FULFILLMENT_GID + number * 2 + k}",
                 "createdAt": _iso(int(t)), "status": "SUCCESS"}
                for k, t in enumerate((ev[FULFILLED_0], ev[FULFILLED_1])) if 0 <= t <= now
            ],  # fmt: skip
        }

    def _line_node(self, day: OrderDay, i: int, gid: int) -> Record:
        sku = int(day.line_sku[i])
        discount = int(day.line_discount[i])
        return {
            "id": f"gid://shopify/LineItem/{gid}",
            "sku": self.world.catalog.sku[sku],
            "title": self.world.catalog.product_title[sku],
            "quantity": int(day.line_qty[i]),
            "originalUnitPriceSet": _money(int(day.line_unit[i])),
            "discountAllocations": [{"allocatedAmountSet": _money(discount)}] if discount else [],
            "taxLines": [{"title": "TVA", "rate": VAT_RATE, "priceSet": _money(int(day.line_tax[i]))}],
        }

    def _journey(self, day: OrderDay, j: int, first_line: int) -> Record:
        group = self.world.traffic[day.group[j]]
        sku = int(day.line_sku[first_line])
        page = f"{SHOP_DOMAIN}/products/{self._handles[sku]}"
        if group.utm is None:
            direct_page = page if day.number[j] % 3 else f"{SHOP_DOMAIN}/"
            return {"ready": True, "lastVisit": {"landingPage": direct_page, "utmParameters": None}}
        source, medium, campaign, content, term = group.utm
        query = f"utm_source={source}&utm_medium={medium}" + (
            f"&utm_campaign={campaign}" if campaign else ""
        )
        utm = {"source": source, "medium": medium, "campaign": campaign, "content": content,
               "term": term}  # fmt: skip
        return {"ready": True, "lastVisit": {"landingPage": f"{page}?{query}", "utmParameters": utm}}

    def _refunds(self, day: OrderDay, j: int, now: int, lo: int, hi: int,
                 gid_lines: int) -> list[Record]:  # fmt: skip
        refunds = []
        for k, t in enumerate((day.events[j][REFUNDED_0], day.events[j][REFUNDED_1])):
            if not 0 <= t <= now:
                continue
            items = []
            for i in range(lo, hi):
                returned = int(day.line_returned[i])
                if returned and day.line_refund[i] == k:
                    share = returned / int(day.line_qty[i])
                    items.append({
                        "lineItem": {"id": f"gid://shopify/LineItem/{gid_lines + i - lo}"},
                        "quantity": returned,
                        "subtotalSet": _money(round(int(day.line_net[i]) * share)),
                        "totalTaxSet": _money(round(int(day.line_tax[i]) * share)),
                    })  # fmt: skip
            refunds.append({
                "id": f"gid://shopify/Refund/{REFUND_GID + int(day.number[j]) * 2 + k}",
                "createdAt": _iso(int(t)),
                "refundLineItems": {"nodes": items, "pageInfo": {"hasNextPage": False}},
            })  # fmt: skip
        return refunds

    # --- catalog and stock -------------------------------------------------------------------

    def _variants(self, request: ApiRequest, args: dict[str, Any],
                  first: int) -> tuple[dict[str, Any], int]:  # fmt: skip
        cat, seed = self.world.catalog, self.world.config.seed
        start = int(decode_cursor(args["after"], 1)[0]) if args.get("after") else 0
        stop = min(len(cat), start + min(first, self.world.config.page_sizes.shop))
        idx = np.arange(start, stop)
        today = self.world.calendar.local_date(request.now).toordinal()
        available = warehouse_available(seed, idx, today)
        second = warehouse_split(seed, idx, available)
        nodes = [self._variant_node(int(i), int(a), int(s))
                 for i, a, s in zip(idx, available, second, strict=True)]  # fmt: skip
        nodes = self.faults.apply("shop", nodes, lambda r: str(r.get("sku")), VARIANT_CORRUPTIONS)
        page_info = {"hasNextPage": stop < len(cat),
                     "endCursor": encode_cursor(stop) if stop > start else None}  # fmt: skip
        return {"productVariants": {"nodes": nodes, "pageInfo": page_info}}, len(nodes)

    def _variant_node(self, i: int, available: int, second: int) -> Record:
        cat = self.world.catalog
        levels = [(LOCATIONS[0], available - max(second, 0))]
        if second >= 0:
            levels.append((LOCATIONS[1], second))
        return {
            "id": f"gid://shopify/ProductVariant/{int(cat.variant_num[i])}",
            "sku": cat.sku[i],
            "barcode": cat.barcode[i],
            "title": cat.size[i],
            "price": self._sku_price[i],
            "product": {
                "id": f"gid://shopify/Product/{int(cat.product_num[i])}",
                "title": cat.product_title[i],
                "vendor": cat.brand[i],
                "productType": CATEGORIES[int(cat.category[i])].product_type,
            },
            "inventoryItem": {
                "id": f"gid://shopify/InventoryItem/{int(cat.variant_num[i]) + 1_000_000}",
                "unitCost": {"amount": cents(int(cat.cost_cents[i])), "currencyCode": CURRENCY},
                "inventoryLevels": {
                    "nodes": [{"location": {"id": loc},
                               "quantities": [{"name": "available", "quantity": qty}]}
                              for loc, qty in levels],
                    "pageInfo": {"hasNextPage": False},
                },
            },
        }  # fmt: skip


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
    lambda r: r["inventoryItem"]["inventoryLevels"]["nodes"][0]["quantities"][0].update(quantity=-3),
)
