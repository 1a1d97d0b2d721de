"""Google Ads and Meta insights: shapes, paging, breakdowns consistent with campaign rows."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import numpy as np

from simulator import SimulatorConfig
from simulator.stock import warehouse_available
from simulator.world import build_world
from tests.simulator.conftest import C, Client

FIELDS = (
    "segments.date, campaign.id, campaign.name, metrics.cost_micros, metrics.impressions, "
    "metrics.clicks, metrics.conversions, metrics.conversions_value"
)


def test_google_campaign_rows(client: Client) -> None:
    rows = client.google_all(f"SELECT {FIELDS} FROM campaign WHERE segments.date = '2025-03-02'")
    world = build_world(SimulatorConfig())
    assert {r["campaign"]["id"] for r in rows} == {
        c.id for c in world.campaigns if c.platform == "google_ads"
    }
    row = rows[0]
    assert isinstance(row["metrics"]["costMicros"], str) and int(row["metrics"]["costMicros"]) > 0
    assert isinstance(row["metrics"]["impressions"], str)
    assert row["segments"]["date"] == "2025-03-02"
    assert row["campaign"]["resourceName"].startswith("customers/")


def test_google_shopping_rows_page_and_break_down_campaign_spend(client: Client) -> None:
    gaql = (
        "SELECT segments.date, campaign.id, segments.product_item_id, metrics.cost_micros, "
        "metrics.clicks FROM shopping_performance_view WHERE segments.date BETWEEN "
        "'2025-03-02' AND '2025-03-03'"
    )
    first = client.google(gaql).json()
    assert len(first["results"]) == 5 and "nextPageToken" in first
    products = client.google_all(gaql)
    campaigns = client.google_all(
        f"SELECT {FIELDS} FROM campaign "
        "WHERE segments.date >= '2025-03-02' AND segments.date <= '2025-03-03'"
    )
    spend = {
        (r["campaign"]["id"], r["segments"]["date"]): int(r["metrics"]["costMicros"])
        for r in campaigns
    }
    by_campaign: defaultdict[tuple[str, str], int] = defaultdict(int)
    for r in products:
        by_campaign[(r["campaign"]["id"], r["segments"]["date"])] += int(r["metrics"]["costMicros"])
    assert by_campaign and all(spend[k] == v for k, v in by_campaign.items())
    world = build_world(SimulatorConfig())
    cat = world.catalog
    offers = {s.lower(): i for i, s in enumerate(cat.sku)}  # Google lowercases offer ids
    shopify_offers = {
        f"shopify_fr_{p}_{v}": i
        for i, (p, v) in enumerate(zip(cat.product_num, cat.variant_num, strict=True))
    }
    offer_ids = [r["segments"]["productItemId"] for r in products]
    assert set(offer_ids) & set(offers) and set(offer_ids) & set(shopify_offers)
    index = {**offers, **shopify_offers}
    assert set(offer_ids) <= set(index)
    stock = warehouse_available(42, np.array([index[o] for o in offer_ids]), 739312)
    assert (stock == 0).any(), "some product ads run on skus with no warehouse stock"


def test_google_nothing_for_today_or_later(client: Client) -> None:
    body = client.google(f"SELECT {FIELDS} FROM campaign WHERE segments.date = '2025-03-10'").json()
    assert "results" not in body


def test_meta_campaign_and_ad_levels_page_with_next_urls(client: Client) -> None:
    campaigns, _ = client.meta_all("campaign", "2025-03-02")
    ads, pages = client.meta_all("ad", "2025-03-02")
    assert pages >= 3
    world = build_world(SimulatorConfig())
    assert {r["campaign_id"] for r in campaigns} == {
        c.id for c in world.campaigns if c.platform == "meta_ads"
    }
    assert all(isinstance(r["spend"], str) and isinstance(r["impressions"], str) for r in campaigns)
    purchases = [
        a for r in campaigns for a in r.get("actions", []) if a["action_type"] == "purchase"
    ]
    assert purchases
    catalog_rows = [r for r in ads if "product_id" in r]
    assert catalog_rows and {r["product_id"] for r in catalog_rows} <= set(world.catalog.sku)
    assert all("ad_id" in r for r in ads)
    total = {r["campaign_id"]: Decimal(r["spend"]) for r in campaigns}
    by_ads: defaultdict[str, Decimal] = defaultdict(Decimal)
    for r in ads:
        by_ads[r["campaign_id"]] += Decimal(r["spend"])
    assert all(abs(total[k] - v) <= Decimal("0.5") for k, v in by_ads.items())


def test_ads_wrong_credentials_are_401(client: Client) -> None:
    r = client.session.get(client.meta_url(), params={"access_token": "nope", "level": "campaign"})
    assert r.status_code == 401 and r.json()["error"]["code"] == 190
    r = client.session.post(
        f"{client.url}/google-ads/v26/customers/1234567890/googleAds:search",
        json={"query": "x"},
        headers={"Authorization": "Bearer nope"},
    )
    assert r.status_code == 401


def test_google_retired_version_is_not_served(client: Client) -> None:
    r = client.session.post(
        f"{client.url}/google-ads/v21/customers/1234567890/googleAds:search",
        json={"query": f"SELECT {FIELDS} FROM campaign WHERE segments.date = '2025-03-02'"},
        headers={
            "developer-token": C["GOOGLE_ADS_DEVELOPER_TOKEN"],
            "Authorization": f"Bearer {C['GOOGLE_ADS_ACCESS_TOKEN']}",
        },
    )
    assert r.status_code == 404 and "/google-ads/v21/customers/" in r.text
