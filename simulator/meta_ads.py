"""Meta Marketing API `GET act_{id}/insights` at level=campaign and level=ad, daily.

Values are strings, purchases are in `actions` / `action_values`, catalog ads carry the sku as
`product_id`. Paging follows the Graph API: `paging.cursors.after` and an absolute `paging.next`.
Expired API versions are refused with Meta's error code 2635.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from simulator.ads import AdBook, Breakdown, CampaignDay
from simulator.api import (
    ApiRequest,
    ApiResponse,
    BadRequest,
    WindowCounter,
    cents,
    decode_cursor,
    encode_cursor,
    json_response,
)
from simulator.faults import Faults, Record

ALWAYS = ("date_start", "date_stop", "product_id")
OLDEST_VERSION = 25  # Meta expires versions about two years after release
UNKNOWN_SKU = "UNKNOWN-SKU-0000"
ACCOUNT_NAME = "Maison Demo"
ACCOUNT_FIELDS = ("id", "account_id", "name", "account_status", "currency", "timezone_name")
#: Calls per hour that make 100 % of the simulated account's and business's quota.
HOURLY_CALLS = 1000


def meta_error(
    status: int,
    code: int,
    message: str,
    error_type: str = "OAuthException",
    headers: dict[str, str] | None = None,
) -> ApiResponse:
    error = {"message": message, "type": error_type, "code": code, "fbtrace_id": "AsimulatorTrace"}
    return json_response(status, {"error": error}, headers)


def _time_range(request: ApiRequest) -> tuple[date, date]:
    raw = request.arg("time_range")
    if not raw:
        raise BadRequest("time_range is required by the simulator")
    try:
        rng = json.loads(raw)
        return date.fromisoformat(rng["since"]), date.fromisoformat(rng["until"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest(f"invalid time_range {raw!r}") from exc


def _actions(clicks: int, conversions: float, value_cents: int) -> dict[str, list[Record]]:
    """Meta lists only the action types that happened."""
    purchases = round(conversions)
    actions = [{"action_type": "link_click", "value": str(clicks)}]
    out: dict[str, list[Record]] = {"actions": actions}
    if purchases:
        actions += [
            {"action_type": "purchase", "value": str(purchases)},
            {"action_type": "offsite_conversion.fb_pixel_purchase", "value": str(purchases)},
        ]
        out["action_values"] = [{"action_type": "purchase", "value": cents(value_cents)}]
    return out


class MetaAdsApi:
    def __init__(self, ads: AdBook, faults: Faults, account_id: str) -> None:
        self.ads, self.faults, self.account_id = ads, faults, account_id
        self.account_calls = WindowCounter(3600)

    def account(self, request: ApiRequest, account_id: str) -> ApiResponse:
        """`GET act_{id}?fields=...`: the ad account node, with the usage headers Meta sends."""
        if account_id != self.account_id:
            return _unknown_account(account_id)
        fields = [f for f in (request.arg("fields") or "id").split(",") if f]
        unknown = [f for f in fields if f not in ACCOUNT_FIELDS]
        if unknown:
            return meta_error(
                400,
                100,
                f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type (AdAccount)",
                "OAuthException",
            )
        node = {
            "id": f"act_{account_id}",
            "account_id": account_id,
            "name": ACCOUNT_NAME,
            "account_status": 1,  # ACTIVE
            "currency": "EUR",
            "timezone_name": self.ads.world.config.timezone,
        }
        pct = min(100, round(self.account_calls.hit(request.now) * 100 / HOURLY_CALLS))
        usage = {
            "acc_id_util_pct": pct,
            "reset_time_duration": 0,
            "ads_api_access_tier": "standard_access",
        }
        business = {
            account_id: [
                {
                    "type": "ads_management",
                    "call_count": pct,
                    "total_cputime": pct,
                    "total_time": pct,
                    "estimated_time_to_regain_access": 0,
                    "ads_api_access_tier": "standard_access",
                }
            ]
        }
        headers = {
            "X-Ad-Account-Usage": json.dumps(usage),
            "X-Business-Use-Case-Usage": json.dumps(business),
        }
        return json_response(200, {f: node[f] for f in fields}, headers)

    def insights(
        self, request: ApiRequest, account_id: str, version: int = OLDEST_VERSION
    ) -> ApiResponse:
        if version < OLDEST_VERSION:
            return meta_error(
                400,
                2635,
                f"(#2635) You are calling a deprecated version of the Ads API. Please update to "
                f"the latest version: v{OLDEST_VERSION}.0.",
            )
        if account_id != self.account_id:
            return _unknown_account(account_id)
        level = request.arg("level", "campaign")
        if level not in ("campaign", "ad"):
            raise BadRequest(f"the simulator serves level=campaign and level=ad, not {level!r}")
        first, last = _time_range(request)
        rows = self._rows(level, first, last, request.now)
        fields = [f for f in (request.arg("fields") or "").split(",") if f]
        if fields:
            rows = [{k: v for k, v in r.items() if k in fields or k in ALWAYS} for r in rows]
        cap = self.ads.world.config.page_sizes.meta_ads
        limit = min(int(request.arg("limit") or 25), cap)
        offset = int(decode_cursor(request.arg("after"), 1)[0]) if request.arg("after") else 0
        page = self.faults.apply("meta_ads", rows[offset : offset + limit], _row_key, CORRUPTIONS)
        payload: dict[str, Any] = {"data": page}
        if rows:
            after = encode_cursor(min(offset + limit, len(rows)))
            paging: dict[str, Any] = {"cursors": {"before": encode_cursor(offset), "after": after}}
            if offset + limit < len(rows):
                params = {k: v[0] for k, v in request.query.items() if k != "after"}
                paging["next"] = (
                    f"{request.base_url}{request.path}?{urlencode({**params, 'after': after})}"
                )
            payload["paging"] = paging
        return json_response(200, payload)

    def _rows(self, level: str, first: date, last: date, now: int) -> list[Record]:
        rows: list[Record] = []
        for i in range((last - first).days + 1):
            for cd in self.ads.day(first + timedelta(days=i), now):
                if cd.campaign.platform != "meta_ads":
                    continue
                if level == "campaign":
                    rows.append(
                        self._row(
                            cd,
                            cd.cost_micros,
                            cd.impressions,
                            cd.clicks,
                            cd.conversions,
                            cd.value_cents,
                        )
                    )
                else:
                    rows.extend(self._ad_row(cd, b) for b in cd.breakdown)
        return rows

    def _row(
        self,
        cd: CampaignDay,
        cost_micros: int,
        impressions: int,
        clicks: int,
        conversions: float,
        value_cents: int,
    ) -> Record:
        return {
            "account_id": self.account_id,
            "campaign_id": cd.campaign.id,
            "campaign_name": cd.campaign.name,
            "spend": cents(round(cost_micros / 10_000)),
            "impressions": str(impressions),
            "clicks": str(clicks),
            **_actions(clicks, conversions, value_cents),
            "date_start": cd.day.isoformat(),
            "date_stop": cd.day.isoformat(),
        }

    def _ad_row(self, cd: CampaignDay, b: Breakdown) -> Record:
        base = int(cd.campaign.id) + 1000
        row = self._row(cd, b.cost_micros, b.impressions, b.clicks, b.conversions, b.value_cents)
        row.update(
            adset_id=str(base),
            adset_name=f"{cd.campaign.name} | FR 18-65",
            ad_id=str(base + 10 + b.ad),
            ad_name=f"{cd.campaign.name} | ad {b.ad + 1}",
        )
        if b.sku >= 0:
            row["product_id"] = self.ads.world.catalog.sku[b.sku]
        return row


def _unknown_account(account_id: str) -> ApiResponse:
    return meta_error(
        404, 803, f"(#803) Some of the aliases you requested do not exist: act_{account_id}"
    )


def _row_key(row: Record) -> str:
    return ":".join(str(row.get(k)) for k in ("campaign_id", "ad_id", "product_id", "date_start"))


CORRUPTIONS = (
    lambda r: r.pop("campaign_id", None),
    lambda r: r.update(spend="-12.00"),
    lambda r: r.update(product_id=UNKNOWN_SKU) if "product_id" in r else r.update(clicks="-3"),
    lambda r: r.update(date_start="2025-02-30"),
)
