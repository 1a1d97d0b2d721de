"""Keeping to the vendors' rate limits: throttled at most once, then paced below the limit.

The simulator enforces each limit as the vendor does (Shopify's cost bucket, Zendesk's export
calls per minute); the extractors must use the budget without being throttled again.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from orchestration.lib.extract import ExtractRun
from orchestration.lib.http import ApiClient, HttpSettings
from orchestration.sources.shop.api import CostBucket, shopify_auth
from orchestration.sources.zendesk import extract as zendesk
from simulator import PageSizes, SimulatorServer
from simulator.shop import LeakyBucket
from tests.sources.conftest import DAY


def test_shopify_paces_each_query_by_its_own_cost(
    httpserver: HTTPServer, fast_http: HttpSettings
) -> None:
    """A page of orders (100 points) after follow-ups (20 points): pacing on the last query's
    cost would send the page into a bucket that holds only what a follow-up needs. The server
    is Shopify's leaky bucket (the simulator's), 110 points restoring 100 a second."""
    bucket = LeakyBucket(110.0, 100.0)
    costs = {"query Page { a }": 100, "query FollowUp { b }": 20}

    def answer(request: Request) -> Response:
        cost = costs[request.get_json()["query"]]
        paid = bucket.take(cost)
        if paid:
            body: dict = {"data": {}}
        else:
            body = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}
        body["extensions"] = {"cost": bucket.cost(cost, cost if paid else 0)}
        return Response(json.dumps(body), 200, {"Content-Type": "application/json"})

    httpserver.expect_request("/graphql.json").respond_with_handler(answer)
    client = ApiClient(
        "shop", httpserver.url_for(""), shopify_auth("t"), fast_http, pacing=CostBucket()
    )
    page, follow_up = "query Page { a }", "query FollowUp { b }"
    for query in [page, follow_up, follow_up] * 3 + [page]:
        client.graphql("/graphql.json", query, {})
    assert client.stats.throttled == 0
    assert client.stats.query_cost_points == 4 * 100 + 6 * 20


def test_zendesk_is_throttled_once_then_keeps_to_the_limit(
    serve: Callable[..., SimulatorServer],
    extract_run: Callable[[str], ExtractRun],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Zendesk's 10 export calls a minute, scaled down to 1 a second so the test takes seconds
    (the constant is the documented limit the client spaces its calls by, not a mock)."""
    monkeypatch.setattr(zendesk, "EXPORT_REQUESTS_PER_MINUTE", 60)
    serve(zendesk_export_limit=(1, 1.0), page_sizes=PageSizes(zendesk=10))
    run = extract_run("zendesk")
    zendesk.extract_tickets(run, [DAY])
    metadata = run.metadata()
    assert metadata["pages"] >= 5 and metadata["rows_total"] > 0
    assert metadata["throttled"] == 1
