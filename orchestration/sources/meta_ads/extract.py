"""Meta Marketing API insights: daily campaign rows, and ad rows with the catalog product.

Particular to Meta: Graph API paging (`paging.next`), every value a string, purchases hidden in
the `actions` / `action_values` lists, rate limits signalled as HTTP 400 with error codes, and
the API version in META_ADS_URL, which Meta expires about two years after release. Ad rows break
down the campaign rows: they never add to totals. They are spend, impressions and clicks only:
with `breakdowns=product_id` Meta returns pixel conversions without the product, so purchases
stay on the campaign rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import requests

from orchestration.lib.extract import ExtractRun, extract_asset
from orchestration.lib.http import ApiError, Auth, HttpSettings, RetryWhen, bearer_auth
from orchestration.lib.landing import (
    InvalidRecord,
    parse_count,
    parse_money,
    required,
    to_json,
)
from orchestration.lib.pagination import graph_api_pages
from orchestration.sources.meta_ads.landing import DATASETS, SOURCE

PAGE_SIZE = 500
#: Ads Manager's "Purchases" is one of these, in this order; summing them would double count.
PURCHASE_ACTIONS = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase")
_METRICS = "spend,impressions,clicks,date_start"
LEVELS = {
    "campaign_insights": {
        "level": "campaign",
        "fields": f"campaign_id,campaign_name,{_METRICS},actions,action_values",
    },
    "ad_insights": {
        "level": "ad",
        "fields": f"campaign_id,ad_id,{_METRICS}",
        "breakdowns": "product_id",
    },
}
#: "(#2635) You are calling a deprecated version of the Ads API".
EXPIRED_VERSION_CODE = 2635
#: Meta's throttling codes (answered as HTTP 400): app, user, API and business use case limits.
META_RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})


def meta_auth(access_token: str) -> Auth:
    """Meta accepts the token as a Bearer header: preferred to `?access_token=` in URLs."""
    return bearer_auth(access_token)


def meta_usage_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds until Meta lifts a rate limit, from its usage headers, or None if they don't say.

    `X-Business-Use-Case-Usage` gives `estimated_time_to_regain_access` in minutes per business
    use case; `X-Ad-Account-Usage` gives `reset_time_duration` in seconds.
    """
    waits: list[float] = []
    try:
        business = json.loads(headers.get("X-Business-Use-Case-Usage") or "{}")
        for entries in business.values():
            waits += [60.0 * float(e.get("estimated_time_to_regain_access") or 0) for e in entries]
        account = json.loads(headers.get("X-Ad-Account-Usage") or "{}")
        waits.append(float(account.get("reset_time_duration") or 0))
    except (ValueError, AttributeError, TypeError):
        return None
    return max(waits) if waits and max(waits) > 0 else None


def meta_rate_limit(settings: HttpSettings) -> RetryWhen:
    """Meta signals throttling as HTTP 400 with error code 4/17/613 (or 80000+ for BUC limits);
    waits as long as its usage headers say, else backs off exponentially."""

    def wait(response: requests.Response, attempt: int) -> float | None:
        if response.status_code != 400:
            return None
        try:
            code = int(response.json().get("error", {}).get("code", 0))
        except (ValueError, AttributeError, TypeError):
            return None
        if code not in META_RATE_LIMIT_CODES:
            return None
        return meta_usage_wait(response.headers) or settings.backoff(attempt)

    return wait


def purchase_value(actions: list[Mapping[str, Any]] | None) -> str | None:
    """The first purchase action type present (see PURCHASE_ACTIONS), as Meta's string."""
    by_type = {a.get("action_type"): a.get("value") for a in actions or []}
    return next((by_type[t] for t in PURCHASE_ACTIONS if t in by_type), None)


def insight_row(record: Mapping[str, Any], level: str) -> dict[str, Any]:
    raw_date = required(record, "date_start")
    try:
        day = date.fromisoformat(raw_date)
    except ValueError:
        raise InvalidRecord("date_start", f"not a date: {raw_date!r}") from None
    spend = parse_money(required(record, "spend"), "spend")
    if spend < 0:
        raise InvalidRecord("spend", f"negative value {spend}")
    row = {
        "date": day,
        "campaign_id": str(required(record, "campaign_id")),
        "impressions": parse_count(record.get("impressions", 0), "impressions"),
        "clicks": parse_count(record.get("clicks", 0), "clicks"),
        "spend": spend,
        "payload": to_json(record),
    }
    if level == "campaign":
        conversions = purchase_value(record.get("actions"))
        value = purchase_value(record.get("action_values"))
        return {
            **row,
            "campaign_name": record.get("campaign_name"),
            "conversions": float(Decimal(conversions)) if conversions else 0.0,
            "conversions_value": parse_money(value or 0, "action_values"),
        }
    # Product rows: no conversions (Meta cannot attribute pixel events to the breakdown).
    return {
        **row,
        "ad_id": str(required(record, "ad_id")),
        "sku": record.get("product_id"),
        "conversions": None,
        "conversions_value": None,
    }


def expired_version_check(settings_retry: RetryWhen) -> RetryWhen:
    """Meta's rate-limit backoff, plus a clear error when META_ADS_URL names an expired version
    (Meta answers it with error code 2635, which would otherwise read as a bad request)."""

    def check(response: requests.Response, attempt: int) -> float | None:
        if response.status_code == 400:
            try:
                error = response.json().get("error") or {}
            except (ValueError, AttributeError):
                error = {}
            if error.get("code") == EXPIRED_VERSION_CODE:
                raise ApiError(
                    SOURCE,
                    "GET",
                    response.url,
                    400,
                    "the Marketing API version in META_ADS_URL has expired (Meta retires versions "
                    "about two years after release): set META_ADS_URL to "
                    "https://graph.facebook.com/v25.0 or a later version",
                )
        return settings_retry(response, attempt)

    return check


def extract_meta_ads(run: ExtractRun, days: list[date]) -> None:
    """Both insight levels per day; Meta's rate-limit codes back off instead of failing."""
    credentials = run.settings.credentials
    client = run.client(meta_auth(credentials["META_ACCESS_TOKEN"]))
    path = f"/act_{credentials['META_AD_ACCOUNT_ID'].removeprefix('act_')}/insights"
    rate_limit = expired_version_check(meta_rate_limit(run.http))
    for day in days:
        time_range = json.dumps({"since": day.isoformat(), "until": day.isoformat()})
        with run.day(day, DATASETS) as landing:
            for dataset, level_params in LEVELS.items():
                params = {
                    **level_params,
                    "time_range": time_range,
                    "time_increment": 1,
                    "limit": PAGE_SIZE,
                }
                for page in graph_api_pages(client, path, params, rate_limit):
                    for record in page.get("data") or []:
                        try:
                            landing.write(dataset, insight_row(record, level_params["level"]))
                        except InvalidRecord as invalid:
                            record_id = record.get("ad_id") or record.get("campaign_id")
                            landing.reject(
                                dataset, record_id, invalid.field, invalid.reason, record
                            )


meta_ads = extract_asset(
    "meta_ads",
    source=SOURCE,
    group="acquisition",
    description=(
        "Meta (Facebook/Instagram) daily insights per campaign, and per ad with the catalog "
        "product (sku) of catalog ads (Marketing API act_{id}/insights)."
    ),
)(extract_meta_ads)
