"""Google Ads REST `googleAds:search`: GAQL over `campaign` and `shopping_performance_view`.

The GAQL reader understands what the extractor sends: the SELECT list (projected into camelCase
JSON, int64 as strings), `FROM`, and `segments.date` as `=`, `BETWEEN` or `>=`/`<=` bounds.
Versions Google has switched off are not served (HTTP 404 from Google's front end). Product rows
name offers as Google reports them, lowercased: half by sku, half by the
`shopify_{country}_{product}_{variant}` id of Shopify's Google channel.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from simulator.ads import AdBook, CampaignDay
from simulator.api import (
    ApiRequest,
    ApiResponse,
    BadRequest,
    decode_cursor,
    encode_cursor,
    json_response,
)
from simulator.faults import Faults, Record

RESOURCES = ("campaign", "shopping_performance_view", "customer")
CUSTOMER_NAME = "Maison Demo"
CHANNEL_TYPE = {"search": "SEARCH", "shopping": "SHOPPING", "pmax": "PERFORMANCE_MAX"}
UNKNOWN_SKU = "unknown-sku-0000"
#: The versions Google serves (those the current client library ships); older ones are off.
SUPPORTED_VERSIONS = ("v23", "v24", "v25", "v26")

_SELECT = re.compile(r"SELECT\s+(.*?)\s+FROM\s+(\w+)", re.IGNORECASE | re.DOTALL)
_DATE_EQ = re.compile(r"segments\.date\s*=\s*'(\d{4}-\d{2}-\d{2})'", re.IGNORECASE)
_DATE_BETWEEN = re.compile(
    r"segments\.date\s+BETWEEN\s+'(\d{4}-\d{2}-\d{2})'\s+AND\s+'(\d{4}-\d{2}-\d{2})'", re.IGNORECASE
)
_DATE_BOUND = re.compile(r"segments\.date\s*(>=|<=|>|<)\s*'(\d{4}-\d{2}-\d{2})'", re.IGNORECASE)


def google_error(status: int, code: str, message: str) -> ApiResponse:
    return json_response(status, {"error": {"code": status, "message": message, "status": code}})


def retired_version(path: str) -> ApiResponse:
    """What Google answers on the URL of a sunset API version: its front end's plain HTML 404
    (the version's methods no longer exist), not a JSON error of the API."""
    body = (
        "<!DOCTYPE html>\n<html lang=en>\n<meta charset=utf-8>\n"
        "<title>Error 404 (Not Found)!!1</title>\n"
        "<p><b>404.</b> <ins>That\u2019s an error.</ins>\n"
        f"<p>The requested URL <code>{path}</code> "
        "was not found on this server.  <ins>That\u2019s all we know.</ins>\n"
    )
    return ApiResponse(404, body.encode(), {"Content-Type": "text/html; charset=UTF-8"})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def parse_dates(gaql: str) -> tuple[date, date]:
    """The inclusive date range of a GAQL WHERE clause."""
    if m := _DATE_EQ.search(gaql):
        d = date.fromisoformat(m.group(1))
        return d, d
    if m := _DATE_BETWEEN.search(gaql):
        return date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
    lo, hi = None, None
    for op, raw in _DATE_BOUND.findall(gaql):
        d = date.fromisoformat(raw)
        if op.startswith(">"):
            lo = d if op == ">=" else d + timedelta(days=1)
        else:
            hi = d if op == "<=" else d - timedelta(days=1)
    if lo is None or hi is None:
        raise BadRequest("the simulator needs a bounded segments.date condition in WHERE")
    return lo, hi


def project(row: Record, fields: list[str], resource: str) -> Record:
    """Keep the selected fields, plus the resource names the API always returns."""
    out: Record = {}
    for field in fields:
        parts = [_camel(p) for p in field.split(".")]
        src, dst = row, out
        for p in parts[:-1]:
            if p not in src:
                break
            src = src[p]
            dst = dst.setdefault(p, {})
        else:
            if parts[-1] in src:
                dst[parts[-1]] = src[parts[-1]]
    for key in {*out, _camel(resource)}:
        if isinstance(row.get(key), dict) and "resourceName" in row[key]:
            out.setdefault(key, {})["resourceName"] = row[key]["resourceName"]
    return out


class GoogleAdsApi:
    def __init__(
        self,
        ads: AdBook,
        faults: Faults,
        customer_id: str,
        retired_versions: frozenset[str] = frozenset(),
    ) -> None:
        self.ads, self.faults, self.customer_id = ads, faults, customer_id
        self.retired_versions = retired_versions

    def search(self, request: ApiRequest, version: str, customer_id: str) -> ApiResponse:
        if version not in SUPPORTED_VERSIONS:
            return not_served(request.path)
        if version in self.retired_versions:
            return retired_version(request.path.removeprefix("/google-ads"))
        if customer_id != self.customer_id:
            return google_error(
                403, "PERMISSION_DENIED", "User doesn't have permission to access customer."
            )
        body = request.json()
        gaql = str(body.get("query") or "")
        select = _SELECT.search(gaql)
        if select is None or select.group(2).lower() not in RESOURCES:
            return google_error(
                400,
                "INVALID_ARGUMENT",
                "Query error: the simulator serves FROM campaign, "
                "FROM shopping_performance_view and FROM customer.",
            )
        fields = [f.strip() for f in select.group(1).split(",") if f.strip()]
        resource = select.group(2).lower()
        if resource == "customer":
            rows = [self._customer_row()]
        else:
            first, last = parse_dates(gaql)
            rows = self._rows(resource, first, last, request.now)
        offset = int(decode_cursor(body["pageToken"], 1)[0]) if body.get("pageToken") else 0
        size = self.ads.world.config.page_sizes.google_ads
        page = [project(r, fields, resource) for r in rows[offset : offset + size]]
        page = self.faults.apply("google_ads", page, _row_key, CORRUPTIONS)
        payload: dict[str, Any] = {"fieldMask": ",".join(_camel_path(f) for f in fields)}
        if page:  # like the real API, no "results" key when nothing matched
            payload["results"] = page
        if offset + size < len(rows):
            payload["nextPageToken"] = encode_cursor(offset + size)
        payload["queryResourceConsumption"] = str(50 + len(page))
        return json_response(200, payload)

    def _rows(self, resource: str, first: date, last: date, now: int) -> list[Record]:
        rows: list[Record] = []
        for i in range((last - first).days + 1):
            for cd in self.ads.day(first + timedelta(days=i), now):
                if cd.campaign.platform != "google_ads":
                    continue
                if resource == "campaign":
                    rows.append(self._campaign_row(cd))
                else:
                    rows.extend(self._product_rows(cd))
        return rows

    def _customer_row(self) -> Record:
        """The account itself (`FROM customer`): one row, whatever the date."""
        return {
            "customer": {
                "resourceName": f"customers/{self.customer_id}",
                "id": self.customer_id,
                "descriptiveName": CUSTOMER_NAME,
                "currencyCode": "EUR",
                "timeZone": self.ads.world.config.timezone,
            }
        }

    def _campaign_json(self, cd: CampaignDay) -> Record:
        c = cd.campaign
        return {
            "resourceName": f"customers/{self.customer_id}/campaigns/{c.id}",
            "id": c.id,
            "name": c.name,
            "status": "ENABLED",
            "advertisingChannelType": CHANNEL_TYPE[c.kind],
        }

    def _campaign_row(self, cd: CampaignDay) -> Record:
        metrics = _metrics(
            cd.cost_micros, cd.impressions, cd.clicks, cd.conversions, cd.value_cents
        )
        return {
            "campaign": self._campaign_json(cd),
            "metrics": metrics,
            "segments": {"date": cd.day.isoformat()},
        }

    def _product_rows(self, cd: CampaignDay) -> list[Record]:
        view = {"resourceName": f"customers/{self.customer_id}/shoppingPerformanceView"}
        return [
            {
                "campaign": self._campaign_json(cd),
                "shoppingPerformanceView": view,
                "metrics": _metrics(
                    b.cost_micros, b.impressions, b.clicks, b.conversions, b.value_cents
                ),
                "segments": {"date": cd.day.isoformat(), "productItemId": self._offer_id(b.sku)},
            }
            for b in cd.breakdown
        ]

    def _offer_id(self, sku: int) -> str:
        """The Merchant Center offer id of a sku, lowercased as the API reports it."""
        cat = self.ads.world.catalog
        if sku % 2:
            return cat.sku[sku].lower()
        return f"shopify_fr_{int(cat.product_num[sku])}_{int(cat.variant_num[sku])}"


def not_served(path: str) -> ApiResponse:
    """Google's front end on a path no backend serves, e.g. a switched-off API version."""
    html = (
        "<!DOCTYPE html><html lang=en><title>Error 404 (Not Found)!!1</title>"
        f"<p><b>404.</b> <ins>That's an error.</ins><p>The requested URL <code>{path}</code> "
        "was not found on this server. <ins>That's all we know.</ins>"
    )
    return ApiResponse(404, html.encode(), {"Content-Type": "text/html; charset=UTF-8"})


def _camel_path(field: str) -> str:
    return ".".join(_camel(p) for p in field.split("."))


def _metrics(
    cost_micros: int, impressions: int, clicks: int, conversions: float, value_cents: int
) -> Record:
    return {
        "costMicros": str(cost_micros),
        "impressions": str(impressions),
        "clicks": str(clicks),
        "conversions": float(conversions),
        "conversionsValue": value_cents / 100,
    }


def _row_key(row: Record) -> str:
    seg = row.get("segments", {})
    return f"{row.get('campaign', {}).get('id')}:{seg.get('date')}:{seg.get('productItemId')}"


def _set(row: Record, path: tuple[str, str], value: Any) -> None:
    if path[0] in row:
        row[path[0]][path[1]] = value


CORRUPTIONS = (
    lambda r: r.get("campaign", {}).pop("id", None),
    lambda r: _set(r, ("metrics", "costMicros"), "-1000000"),
    lambda r: (
        _set(r, ("segments", "productItemId"), UNKNOWN_SKU)
        if "productItemId" in r.get("segments", {})
        else _set(r, ("metrics", "clicks"), "-5")
    ),
    lambda r: _set(r, ("segments", "date"), "2025-02-30"),
)
