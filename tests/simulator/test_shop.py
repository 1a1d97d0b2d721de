"""Shopify GraphQL: shapes, paging, line-item follow-up, "now" semantics, throttling."""

from __future__ import annotations

import time
from datetime import datetime

import requests

from simulator import SimulatorConfig, SimulatorServer
from simulator.world import build_world
from tests.simulator.conftest import NOW, SMALL_PAGES, Client, day_filter


def first_orders(search: str, first: int) -> str:
    """A one-page orders query (the fields are served whatever the selection)."""
    return f'{{ orders(first: {first}, query: "{search}") {{ nodes {{ id }} }} }}'


DAY = day_filter("2025-03-01T23:00:00Z", "2025-03-02T23:00:00Z")


def test_orders_page_through_a_day_in_updated_order(client: Client) -> None:
    rows = list(client.orders(DAY))
    assert len({page for _, page in rows}) >= 5
    ids = [o["id"] for o, _ in rows]
    assert len(ids) == len(set(ids)) > 100
    stamps = [o["updatedAt"] for o, _ in rows]
    assert stamps == sorted(stamps)
    assert all("2025-03-01T23:00:00Z" <= s < "2025-03-02T23:00:00Z" for s in stamps)


def test_full_order_shape(client: Client) -> None:
    body = client.shop(
        first_orders(
            "created_at:>='2025-02-01T00:00:00Z' AND created_at:<'2025-02-02T00:00:00Z'", 5
        )
    )
    order = body["data"]["orders"]["nodes"][0]
    assert order["id"].startswith("gid://shopify/Order/") and order["name"].startswith("#")
    assert set(order) >= {
        "createdAt",
        "updatedAt",
        "processedAt",
        "cancelledAt",
        "test",
        "currencyCode",
        "taxesIncluded",
        "customer",
        "customerJourneySummary",
        "sourceName",
        "lineItems",
        "refunds",
        "fulfillments",
    }
    line = order["lineItems"]["nodes"][0]
    assert line["originalUnitPriceSet"]["shopMoney"]["currencyCode"] == "EUR"
    assert "priceSet" in line["taxLines"][0]
    cost = body["extensions"]["cost"]
    assert set(cost["throttleStatus"]) == {"maximumAvailable", "currentlyAvailable", "restoreRate"}
    assert cost["actualQueryCost"] <= cost["requestedQueryCost"]


def test_long_orders_say_so_and_are_fetched_in_full(client: Client) -> None:
    long = next(o for o, _ in client.orders(DAY) if o["lineItems"]["pageInfo"]["hasNextPage"])
    lines = list(long["lineItems"]["nodes"])
    cursor = long["lineItems"]["pageInfo"]["endCursor"]
    query = """query($id: ID!, $after: String) { order(id: $id) {
        id lineItems(first: 2, after: $after) {
            nodes { id sku } pageInfo { hasNextPage endCursor } } } }"""
    while cursor:
        conn = client.shop(query, {"id": long["id"], "after": cursor})["data"]["order"]["lineItems"]
        lines += conn["nodes"]
        cursor = conn["pageInfo"]["endCursor"] if conn["pageInfo"]["hasNextPage"] else None
    assert len(lines) > SMALL_PAGES.shop_line_items
    assert len({line["id"] for line in lines}) == len(lines)


def test_order_skus_and_campaigns_exist_elsewhere(client: Client) -> None:
    world = build_world(SimulatorConfig())
    skus = {v["sku"] for v in client.variants()}
    assert skus == set(world.catalog.sku)
    campaign_ids = {c.id for c in world.campaigns}
    body = client.shop(first_orders(day_filter("2025-03-01T00:00:00Z", "2025-03-04T00:00:00Z"), 20))
    seen_campaigns = set()
    for order, _ in client.orders(DAY):
        assert {line["sku"] for line in order["lineItems"]["nodes"]} <= skus
    query = '{ order(id: "%s") { id } }'
    for order in body["data"]["orders"]["nodes"]:
        utm = (order["customerJourneySummary"]["lastVisit"] or {}).get("utmParameters") or {}
        if utm.get("medium") in ("cpc", "paid_social"):
            seen_campaigns.add(utm["campaign"])
        assert client.shop(query % order["id"])["data"]["order"]["id"] == order["id"]
    assert seen_campaigns and seen_campaigns <= campaign_ids


def test_refund_moves_an_order_to_a_later_updated_day() -> None:
    """The same order, seen at two "now"s: created early, refunded later."""
    early_now = datetime(2025, 3, 3, 12, tzinfo=NOW.tzinfo)
    with (
        SimulatorServer(SimulatorConfig(now=early_now)) as early,
        SimulatorServer(SimulatorConfig(now=NOW)) as late,
    ):
        early_client = Client(early.url, requests.Session())
        late_client = Client(late.url, requests.Session())
        window = day_filter("2025-03-02T00:00:00Z", "2025-03-03T00:00:00Z")
        before = {o["id"]: o for o, _ in early_client.orders(window)}
        after = {o["id"]: o for o, _ in late_client.orders(window)}
        moved = set(before) - set(after)
        assert moved, "later fulfilments/refunds must move orders out of the day"
        query = '{ order(id: "%s") { id } }'
        order_id = next(iter(moved))
        later = late_client.shop(query % order_id)["data"]["order"]
        assert later["updatedAt"] > before[order_id]["updatedAt"]
        assert later["createdAt"] == before[order_id]["createdAt"]


def test_nothing_after_now_exists(client: Client) -> None:
    future = day_filter("2025-03-10T12:00:00Z", "2025-04-01T00:00:00Z")
    assert list(client.orders(future)) == []
    recent = [
        o for o, _ in client.orders(day_filter("2025-03-10T00:00:00Z", "2025-03-11T00:00:00Z"))
    ]
    assert recent and all(o["updatedAt"] <= "2025-03-10T12:00:00Z" for o in recent)
    for o in recent:
        stamps = [f["createdAt"] for f in o["fulfillments"]] + [
            r["createdAt"] for r in o["refunds"]
        ]
        assert all(s <= "2025-03-10T12:00:00Z" for s in stamps)


def test_bucket_throttles_then_recovers() -> None:
    assert SimulatorConfig().shop_bucket == (2000, 100)  # Shopify's standard plan
    with SimulatorServer(
        SimulatorConfig(now=NOW, shop_bucket_size=500, shop_restore_rate=400)
    ) as sim:
        c = Client(sim.url, requests.Session())
        query = first_orders("updated_at:>='2025-03-02T00:00:00Z'", 100)
        bodies = [c.shop(query) for _ in range(3)]
        throttled = [b for b in bodies if "errors" in b]
        assert throttled and throttled[0]["errors"][0]["extensions"]["code"] == "THROTTLED"
        status = throttled[0]["extensions"]["cost"]["throttleStatus"]
        assert status["currentlyAvailable"] < 402
        wait = (402 - status["currentlyAvailable"]) / status["restoreRate"]
        time.sleep(wait + 0.05)
        assert "errors" not in c.shop(query)


def test_wrong_token_is_401(client: Client) -> None:
    r = requests.post(
        f"{client.url}/shop/admin/api/2025-07/graphql.json",
        json={"query": "{}"},
        headers={"X-Shopify-Access-Token": "wrong"},
        timeout=5,
    )
    assert r.status_code == 401 and "errors" in r.json()
    assert requests.get(f"{client.url}/nope", timeout=5).status_code == 404


def test_catalog_pages_and_stockout_share(client: Client) -> None:
    query = """query($c: String) { productVariants(first: 250, after: $c) { nodes { sku
        inventoryItem { inventoryLevels(first: 10) {
            nodes { quantities(names: ["available"]) { quantity } } } } }
        pageInfo { hasNextPage endCursor } } }"""
    cursor, totals = None, []
    while True:
        conn = client.shop(query, {"c": cursor})["data"]["productVariants"]
        for n in conn["nodes"]:
            levels = n["inventoryItem"]["inventoryLevels"]["nodes"]
            totals.append(sum(q["quantity"] for lv in levels for q in lv["quantities"]))
        if not conn["pageInfo"]["hasNextPage"]:
            break
        cursor = conn["pageInfo"]["endCursor"]
    assert len(totals) > 380
    share = sum(t == 0 for t in totals) / len(totals)
    assert 0.02 < share < 0.12
