"""Meta's rate limits: the wait comes from its usage headers when they say how long."""

from __future__ import annotations

import json

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from orchestration.lib import http
from orchestration.sources.meta_ads.extract import meta_rate_limit, meta_usage_wait


def _limited_then_ok(code: int, headers: dict[str, str]) -> object:
    answers = [
        Response(json.dumps({"error": {"code": code, "message": "limit"}}), 400, headers),
        Response(json.dumps({"data": []}), 200, {"Content-Type": "application/json"}),
    ]

    def handler(request: Request) -> Response:
        return answers.pop(0) if len(answers) > 1 else answers[0]

    return handler


def test_business_use_case_usage_sets_the_wait(
    httpserver: HTTPServer, fast_http: http.HttpSettings
) -> None:
    usage = {"1": [{"type": "ads_insights", "estimated_time_to_regain_access": 1}]}
    headers = {"X-Business-Use-Case-Usage": json.dumps(usage)}
    httpserver.expect_request("/act_1/insights").respond_with_handler(
        _limited_then_ok(80004, headers)
    )
    client = http.ApiClient("meta_ads", httpserver.url_for(""), http.Auth(), fast_http)
    assert client.get_json("/act_1/insights", retry_when=meta_rate_limit(fast_http)) == {"data": []}
    # One minute to regain access, capped by retry_after_max (2 s in tests), not the 10 ms
    # exponential backoff.
    assert client.stats.throttle_wait_seconds == fast_http.retry_after_max


def test_ad_account_usage_reset_time_sets_the_wait() -> None:
    headers = {"X-Ad-Account-Usage": json.dumps({"acc_id_util_pct": 100, "reset_time_duration": 7})}
    assert meta_usage_wait(headers) == 7.0
    assert meta_usage_wait({}) is None
    assert meta_usage_wait({"X-Ad-Account-Usage": "not json"}) is None
