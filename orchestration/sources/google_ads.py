"""Google Ads (REST `googleAds:search`): daily campaign stats and the Shopping product breakdown.

Particular to Google Ads: GAQL queries, `nextPageToken` paging, camelCase JSON with int64 values
as strings, and spend in micros. Product rows break down the Shopping campaigns' spend that the
campaign rows already count: they never add to totals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from orchestration.lib.http import ApiClient, google_ads_auth
from orchestration.lib.landing import (
    DayLanding,
    Dedupe,
    InvalidRecord,
    parse_count,
    parse_money,
    required,
    to_json,
)
from orchestration.lib.pagination import page_token_pages
from orchestration.sources import ExtractRun, extract_asset

SOURCE = "google_ads"
_METRICS = (
    "metrics.cost_micros, metrics.impressions, metrics.clicks, metrics.conversions, "
    "metrics.conversions_value"
)
CAMPAIGN_QUERY = (
    f"SELECT segments.date, campaign.id, campaign.name, {_METRICS} "
    "FROM campaign WHERE segments.date = '{day}'"
)
PRODUCT_QUERY = (
    f"SELECT segments.date, campaign.id, segments.product_item_id, {_METRICS} "
    "FROM shopping_performance_view WHERE segments.date = '{day}'"
)
DATASETS = {
    "campaign_stats": Dedupe(("date", "campaign_id")),
    "product_stats": Dedupe(("date", "campaign_id", "sku")),
}


def metric_columns(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """REST metrics -> landing columns; spend = costMicros / 1e6 in the account currency."""
    cost_micros = parse_count(metrics.get("costMicros", 0), "metrics.costMicros")
    return {
        "cost_micros": cost_micros,
        "impressions": parse_count(metrics.get("impressions", 0), "metrics.impressions"),
        "clicks": parse_count(metrics.get("clicks", 0), "metrics.clicks"),
        "spend": parse_money(cost_micros / 1_000_000, "metrics.costMicros"),
        "conversions": float(metrics.get("conversions") or 0.0),
        "conversions_value": parse_money(metrics.get("conversionsValue", 0), "conversionsValue"),
    }


def _date(segments: Mapping[str, Any]) -> date:
    raw = required(segments, "date")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidRecord("segments.date", f"not a date: {raw!r}") from None


def campaign_row(result: Mapping[str, Any]) -> dict[str, Any]:
    campaign = result.get("campaign") or {}
    return {
        "date": _date(result.get("segments") or {}),
        "campaign_id": str(required(campaign, "id")),
        "campaign_name": campaign.get("name"),
        **metric_columns(result.get("metrics") or {}),
        "payload": to_json(result),
    }


def product_row(result: Mapping[str, Any]) -> dict[str, Any]:
    segments = result.get("segments") or {}
    return {
        "date": _date(segments),
        "campaign_id": str(required(result.get("campaign") or {}, "id")),
        "sku": required(segments, "productItemId"),
        **metric_columns(result.get("metrics") or {}),
        "payload": to_json(result),
    }


def _land(
    landing: DayLanding,
    client: ApiClient,
    path: str,
    dataset: str,
    query: str,
    to_row: Callable[[Mapping[str, Any]], dict[str, Any]],
) -> None:
    for page in page_token_pages(client, path, {"query": query}):
        for result in page.get("results") or []:
            try:
                landing.write(dataset, to_row(result))
            except InvalidRecord as invalid:
                record_id = (result.get("campaign") or {}).get("id")
                landing.reject(dataset, record_id, invalid.field, invalid.reason, result)


def extract_google_ads(run: ExtractRun, days: list[date]) -> None:
    """Two GAQL queries per day: campaign totals, then their Shopping product breakdown."""
    credentials = run.settings.credentials
    client = run.client(
        google_ads_auth(
            credentials["GOOGLE_ADS_DEVELOPER_TOKEN"], credentials["GOOGLE_ADS_ACCESS_TOKEN"]
        )
    )
    customer_id = credentials["GOOGLE_ADS_CUSTOMER_ID"].replace("-", "")
    path = f"/{run.config.google_ads_api_version}/customers/{customer_id}/googleAds:search"
    for day in days:
        with run.day(day, DATASETS) as landing:
            query = CAMPAIGN_QUERY.format(day=day.isoformat())
            _land(landing, client, path, "campaign_stats", query, campaign_row)
            query = PRODUCT_QUERY.format(day=day.isoformat())
            _land(landing, client, path, "product_stats", query, product_row)


google_ads = extract_asset(
    "google_ads",
    source=SOURCE,
    group="acquisition",
    description=(
        "Google Ads daily spend, clicks and conversions per campaign, and the Shopping "
        "product (sku) breakdown of those campaigns (googleAds:search)."
    ),
)(extract_google_ads)
