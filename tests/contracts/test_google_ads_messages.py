"""Google Ads: the official client library (`google-ads`) is the shape of requests and answers.

Our REST body must parse strictly as the `SearchGoogleAdsRequest` of the version we call, our
GAQL must select fields that `GoogleAdsRow` has, the version must be one the current library
ships, and rows built with the library's messages and serialised as the REST API does
(`MessageToJson`: camelCase, int64 as strings) must land.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from google.ads.googleads import client as google_ads_client
from google.protobuf import json_format
from pytest_httpserver import HTTPServer
from werkzeug import Request

from orchestration.lib.extract import ExtractRun
from orchestration.lib.settings import DEFAULT_GOOGLE_ADS_API_VERSION
from orchestration.sources.google_ads import extract as google_ads
from tests.contracts.conftest import land_catalog, recording_handler
from tests.sources.conftest import DAY, read_landed, read_rejects

VERSION = DEFAULT_GOOGLE_ADS_API_VERSION
_SELECT = re.compile(r"SELECT\s+(.*?)\s+FROM\s+(\w+)", re.DOTALL)


def _module(path: str) -> ModuleType:
    return importlib.import_module(f"google.ads.googleads.{VERSION}.{path}")


def test_the_version_we_call_is_one_the_current_library_ships() -> None:
    assert VERSION in google_ads_client._VALID_API_VERSIONS


@pytest.mark.parametrize("query", [google_ads.CAMPAIGN_QUERY, google_ads.PRODUCT_QUERY])
def test_gaql_selects_fields_of_google_ads_row(query: str) -> None:
    service = _module("services.types.google_ads_service")
    row = service.GoogleAdsRow.pb(service.GoogleAdsRow()).DESCRIPTOR
    select = _SELECT.search(query)
    assert select is not None
    assert select.group(2) in row.fields_by_name  # the FROM resource
    for field in (f.strip() for f in select.group(1).split(",")):
        message, name = field.split(".")
        assert name in row.fields_by_name[message].message_type.fields_by_name, field


def _row(campaign_id: int, cost_micros: int, offer_id: str | None = None) -> object:
    service = _module("services.types.google_ads_service")
    campaign = _module("resources.types.campaign")
    metrics = _module("common.types.metrics")
    segments = _module("common.types.segments")
    return service.GoogleAdsRow(
        campaign=campaign.Campaign(id=campaign_id, name=f"Campaign {campaign_id}"),
        metrics=metrics.Metrics(
            cost_micros=cost_micros,
            impressions=1000,
            clicks=40,
            conversions=2.5,
            conversions_value=180.4,
        ),
        segments=segments.Segments(date=DAY.isoformat(), product_item_id=offer_id),
    )


def _response(rows: list[object], next_page_token: str = "") -> str:
    service = _module("services.types.google_ads_service")
    message = service.SearchGoogleAdsResponse(results=rows, next_page_token=next_page_token)
    return json_format.MessageToJson(service.SearchGoogleAdsResponse.pb(message))


VARIANTS = [
    {
        "id": f"gid://shopify/ProductVariant/{number}",
        "sku": sku,
        "barcode": None,
        "price": "49.90",
        "product": {"id": "gid://shopify/Product/7001"},
    }
    for number, sku in ((8001, "NORD-TSH-0001-M"), (8002, "NORD-TSH-0001-L"))
]


def _answer(request: Request) -> str:
    """Campaigns on two pages; product rows by sku, by Shopify channel id, and unknown."""
    body = request.get_json()
    if "FROM campaign" in body["query"]:
        if body.get("pageToken") == "page-2":
            return _response([_row(222, 2_500_000)])
        return _response([_row(111, 12_340_000)], next_page_token="page-2")
    return _response(
        [
            _row(111, 1_000_000, "nord-tsh-0001-m"),
            _row(111, 2_000_000, "shopify_fr_7001_8002"),
            _row(111, 3_000_000, "shopify_fr_7001_9999"),
        ]
    )


def test_requests_parse_strictly_and_library_built_answers_land(
    httpserver: HTTPServer,
    live_extract_run: Callable[[str], ExtractRun],
    warehouse: Path,
) -> None:
    land_catalog(live_extract_run("shop"), DAY, VARIANTS)
    seen: list[Request] = []
    path = f"/{VERSION}/customers/1234567890/googleAds:search"
    httpserver.expect_request(path, method="POST").respond_with_handler(
        recording_handler(_answer, seen)
    )
    google_ads.extract_google_ads(live_extract_run("google_ads"), [DAY])

    service = _module("services.types.google_ads_service")
    assert len(seen) == 3
    for request in seen:
        message = service.SearchGoogleAdsRequest.pb(service.SearchGoogleAdsRequest())
        json_format.ParseDict(json.loads(request.data), message, ignore_unknown_fields=False)
        assert message.query.startswith("SELECT ")
    campaigns = read_landed(warehouse, "google_ads", "campaign_stats").to_pylist()
    assert {(r["campaign_id"], str(r["spend"])) for r in campaigns} == {
        ("111", "12.3400"),
        ("222", "2.5000"),
    }
    assert {(r["impressions"], r["clicks"], r["conversions"]) for r in campaigns} == {
        (1000, 40, 2.5)
    }
    assert {str(r["conversions_value"]) for r in campaigns} == {"180.4000"}
    products = read_landed(warehouse, "google_ads", "product_stats").to_pylist()
    assert {(r["sku"], r["cost_micros"]) for r in products} == {
        ("NORD-TSH-0001-M", 1_000_000),
        ("NORD-TSH-0001-L", 2_000_000),
    }
    rejects = read_rejects(warehouse, "google_ads", "product_stats").to_pylist()
    assert [(r["field"], "shopify_fr_7001_9999" in r["reason"]) for r in rejects] == [
        ("segments.productItemId", True)
    ]


def test_our_body_would_fail_strict_parsing_if_it_carried_a_field_google_lacks() -> None:
    """The strict parse is what catches a misspelt body key (the REST API rejects them)."""
    service = _module("services.types.google_ads_service")
    message = service.SearchGoogleAdsRequest.pb(service.SearchGoogleAdsRequest())
    with pytest.raises(json_format.ParseError):
        json_format.ParseDict(
            {"query": "SELECT campaign.id FROM campaign", "page_tokn": "x"}, message
        )
