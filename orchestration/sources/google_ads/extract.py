"""Google Ads (REST `googleAds:search`): daily campaign stats and the Shopping product breakdown.

Particular to Google Ads: GAQL queries, `nextPageToken` paging, camelCase JSON with int64 values
as strings, spend in micros, and API versions that Google switches off about a year after their
release. Product rows break down the Shopping campaigns' spend that the campaign rows already
count: they never add to totals. Their `segments.product_item_id` is the Merchant Center offer
id, lowercased by the API: the shop's sku, or `shopify_{country}_{product}_{variant}` when the
feed comes from Shopify's Google channel; both are mapped to the sku through the landed catalog.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from orchestration.lib.catalog import latest_catalog
from orchestration.lib.extract import ExtractRun, extract_asset
from orchestration.lib.http import ApiClient, ApiError, Auth, bearer_auth, secret_forms
from orchestration.lib.landing import (
    DayLanding,
    InvalidRecord,
    parse_count,
    parse_money,
    required,
    to_json,
)
from orchestration.lib.pagination import page_token_pages
from orchestration.lib.settings import DEFAULT_GOOGLE_ADS_API_VERSION
from orchestration.sources.google_ads.landing import DATASETS, SOURCE

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
#: Shopify's Google channel names offers `shopify_{country}_{product id}_{variant id}`.
SHOPIFY_OFFER_ID = re.compile(r"^shopify_[a-z]{2}_(\d+)_(\d+)$", re.IGNORECASE)
#: What answers a version Google has switched off (or never had): the path is not served.
RETIRED_VERSION_STATUSES = frozenset({404, 501})


def google_ads_auth(developer_token: str, access_token: str) -> Auth:
    """Google Ads wants an OAuth Bearer token and the developer token on every call."""
    auth = bearer_auth(access_token, {"developer-token": developer_token})
    return Auth(headers=auth.headers, secrets=auth.secrets | secret_forms(developer_token))


class OfferIds:
    """Offer id (`segments.product_item_id`) -> the shop's sku, from the latest landed catalog."""

    def __init__(self, skus: list[str], variant_ids: list[str]) -> None:
        self.by_sku = {sku.lower(): sku for sku in skus}
        self.by_variant = {
            gid.rsplit("/", 1)[-1]: sku for sku, gid in zip(skus, variant_ids, strict=True)
        }

    @classmethod
    def from_catalog(cls, warehouse_dir: Path) -> OfferIds:
        table = latest_catalog(warehouse_dir, SOURCE, ["sku", "variant_id"])
        return cls(table.column("sku").to_pylist(), table.column("variant_id").to_pylist())

    def sku(self, offer_id: str) -> str:
        """The sku an offer id names, or InvalidRecord when it names none of the catalog."""
        if sku := self.by_sku.get(offer_id.lower()):
            return sku
        shopify = SHOPIFY_OFFER_ID.match(offer_id)
        if shopify and (sku := self.by_variant.get(shopify.group(2))):
            return sku
        raise InvalidRecord(
            "segments.productItemId",
            f"unknown offer id {offer_id!r}: neither a catalog sku nor a "
            "shopify_{country}_{product}_{variant} id of a catalog variant",
        )


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


def product_row(result: Mapping[str, Any], offers: OfferIds) -> dict[str, Any]:
    segments = result.get("segments") or {}
    return {
        "date": _date(segments),
        "campaign_id": str(required(result.get("campaign") or {}, "id")),
        "sku": offers.sku(str(required(segments, "productItemId"))),
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


def search_path(version: str, customer_id: str) -> str:
    return f"/{version}/customers/{customer_id.replace('-', '')}/googleAds:search"


def retired_version_error(error: ApiError, version: str) -> ApiError:
    """A clear error naming the variable to change, for a version Google no longer serves."""
    return ApiError(
        SOURCE,
        "POST",
        error.path,
        error.status,
        f"Google Ads API {version} is retired (or not a version): Google switches each version "
        "off about a year after its release. Set GOOGLE_ADS_API_VERSION to a version the "
        f"current google-ads client library ships, e.g. {DEFAULT_GOOGLE_ADS_API_VERSION} (the "
        "default); if the version is current, check GOOGLE_ADS_URL",
    )


def extract_google_ads(run: ExtractRun, days: list[date]) -> dict[str, Any]:
    """Two GAQL queries per day: campaign totals, then their Shopping product breakdown."""
    credentials = run.settings.credentials
    client = run.client(
        google_ads_auth(
            credentials["GOOGLE_ADS_DEVELOPER_TOKEN"], credentials["GOOGLE_ADS_ACCESS_TOKEN"]
        )
    )
    version = run.config.google_ads_api_version
    path = search_path(version, credentials["GOOGLE_ADS_CUSTOMER_ID"])
    offers = OfferIds.from_catalog(run.config.warehouse_dir)
    try:
        for day in days:
            with run.day(day, DATASETS) as landing:
                query = CAMPAIGN_QUERY.format(day=day.isoformat())
                _land(landing, client, path, "campaign_stats", query, campaign_row)
                query = PRODUCT_QUERY.format(day=day.isoformat())
                _land(
                    landing,
                    client,
                    path,
                    "product_stats",
                    query,
                    lambda result: product_row(result, offers),
                )
    except ApiError as error:
        if error.status in RETIRED_VERSION_STATUSES:
            raise retired_version_error(error, version) from None
        raise
    return {"google_ads_api_version": version, "catalog_skus": len(offers.by_sku)}


google_ads = extract_asset(
    "google_ads",
    source=SOURCE,
    group="acquisition",
    description=(
        "Google Ads daily spend, clicks and conversions per campaign, and the Shopping "
        "product (sku) breakdown of those campaigns (googleAds:search), offer ids mapped to "
        "skus through the landed catalog."
    ),
    deps=[["landing", "shop_catalog"]],
)(extract_google_ads)
