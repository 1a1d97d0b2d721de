"""How each source calls its API, declared in its own module: auth, and rate-limit rules plugged
into the shared client's hooks (Shopify's cost bucket, Meta's error codes), over loopback HTTP."""

from __future__ import annotations

import json
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from orchestration.lib import http
from orchestration.sources.google_ads.extract import google_ads_auth
from orchestration.sources.meta_ads.extract import meta_auth, meta_rate_limit
from orchestration.sources.shop.api import CostBucket, shopify_auth
from orchestration.sources.zendesk.extract import zendesk_auth

TOKEN = "shpat_secret_canary_0001"


def _sequence(*responses: Response) -> object:
    """A handler that plays `responses` in order, then repeats the last one."""
    queue = list(responses)

    def handler(request: Request) -> Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


def _ok(body: object) -> Response:
    return Response(json.dumps(body), content_type="application/json")


def _shop_client(server: HTTPServer, settings: http.HttpSettings) -> http.ApiClient:
    return http.ApiClient(
        "shop", server.url_for(""), shopify_auth(TOKEN), settings, pacing=CostBucket()
    )


_THROTTLED = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}


def test_auth_headers_per_source(httpserver: HTTPServer, fast_http: http.HttpSettings) -> None:
    httpserver.expect_request("/shop", headers={"X-Shopify-Access-Token": TOKEN}).respond_with_json(
        {"ok": 1}
    )
    httpserver.expect_request(
        "/ads",
        headers={"developer-token": "dev", "Authorization": "Bearer at"},
    ).respond_with_json({"ok": 2})
    httpserver.expect_request(
        "/zd", headers={"Authorization": "Basic YUBiLmMvdG9rZW46enQ="}
    ).respond_with_json({"ok": 3})
    base = httpserver.url_for("")
    assert http.ApiClient("shop", base, shopify_auth(TOKEN), fast_http).get_json("/shop")
    ads = http.ApiClient("google_ads", base, google_ads_auth("dev", "at"), fast_http)
    assert ads.get_json("/ads") == {"ok": 2}
    zendesk = http.ApiClient("zendesk", base, zendesk_auth("a@b.c", "zt"), fast_http)
    assert zendesk.get_json("/zd") == {"ok": 3}


def _cost(available: float) -> dict:
    return {
        "cost": {
            "requestedQueryCost": 50,
            "actualQueryCost": 10,
            "throttleStatus": {
                "maximumAvailable": 1000,
                "currentlyAvailable": available,
                "restoreRate": 100,
            },
        }
    }


def test_graphql_throttled_waits_for_the_bucket(
    httpserver: HTTPServer, fast_http: http.HttpSettings
) -> None:
    throttled = {**_THROTTLED, "extensions": _cost(20)}
    httpserver.expect_request("/graphql.json", method="POST").respond_with_handler(
        _sequence(_ok(throttled), _ok({"data": {"x": 1}, "extensions": _cost(900)}))
    )
    client = _shop_client(httpserver, fast_http)
    started = time.monotonic()
    assert client.graphql("/graphql.json", "{x}", {}) == {"x": 1}
    # (50 - 20) / 100 = 0.3 s until the bucket holds the query cost
    assert 0.25 <= time.monotonic() - started < 1.5
    assert client.stats.retries == 1


def test_graphql_paces_proactively(httpserver: HTTPServer, fast_http: http.HttpSettings) -> None:
    httpserver.expect_request("/g", method="POST").respond_with_json(
        {"data": {}, "extensions": _cost(10)}
    )
    client = _shop_client(httpserver, fast_http)
    client.graphql("/g", "{x}", {})
    started = time.monotonic()
    client.graphql("/g", "{x}", {})
    assert time.monotonic() - started >= 0.35  # (50 - 10) / 100 s before the second query
    assert client.stats.retries == 0


def test_meta_rate_limit_codes_back_off(
    httpserver: HTTPServer, fast_http: http.HttpSettings
) -> None:
    limited = Response(
        json.dumps({"error": {"code": 17, "message": "User request limit reached"}}), status=400
    )
    httpserver.expect_request("/act_1/insights").respond_with_handler(
        _sequence(limited, _ok({"data": []}))
    )
    client = http.ApiClient("meta_ads", httpserver.url_for(""), meta_auth(TOKEN), fast_http)
    page = client.get_json("/act_1/insights", retry_when=meta_rate_limit(fast_http))
    assert page == {"data": []}
    assert client.stats.retries == 1


def test_the_shared_client_knows_no_vendor_throttle_code(
    httpserver: HTTPServer, fast_http: http.HttpSettings
) -> None:
    """Without the shop's pacing, Shopify's THROTTLED is just a GraphQL error: the rule that it
    means "wait and retry" lives in the shop source, not in the shared client."""
    httpserver.expect_request("/g", method="POST").respond_with_json(
        {**_THROTTLED, "extensions": _cost(20)}
    )
    client = http.ApiClient("shop", httpserver.url_for(""), shopify_auth(TOKEN), fast_http)
    with pytest.raises(http.ApiError, match=r"shop: POST /g .*GraphQL errors: Throttled"):
        client.graphql("/g", "{x}", {})
    assert client.stats.requests == 1 and client.stats.throttled == 0


def test_the_cost_bucket_counts_the_points_spent(
    httpserver: HTTPServer, fast_http: http.HttpSettings
) -> None:
    httpserver.expect_request("/g", method="POST").respond_with_json(
        {"data": {}, "extensions": _cost(900)}
    )
    client = _shop_client(httpserver, fast_http)
    client.graphql("/g", "{x}", {})
    client.graphql("/g", "{x}", {})
    assert client.stats.as_metadata()["query_cost_points"] == 20.0  # 2 x actualQueryCost 10
