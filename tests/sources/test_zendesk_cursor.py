"""Zendesk's cursor-based export pagination, followed across many pages over loopback HTTP."""

from __future__ import annotations

import json

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from orchestration.lib.http import ApiClient, Auth, HttpSettings
from orchestration.sources.zendesk.extract import zendesk_cursor_pages

PAGES = 7


def _client(server: HTTPServer, settings: HttpSettings) -> ApiClient:
    return ApiClient("zendesk", server.url_for(""), Auth(), settings)


def test_zendesk_cursor(httpserver: HTTPServer, fast_http: HttpSettings) -> None:
    def handler(request: Request) -> Response:
        n = int(request.args.get("cursor", 0))
        body = {
            "tickets": [n],
            "end_of_stream": n == PAGES - 1,
            "after_cursor": str(n + 1),
            "after_url": httpserver.url_for("/export") + f"?cursor={n + 1}",
        }
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request("/export").respond_with_handler(handler)
    client = _client(httpserver, fast_http)
    pages = zendesk_cursor_pages(client, "/export", {"start_time": 0})
    assert [p["tickets"][0] for p in pages] == list(range(PAGES))
    # a consumer that stops early makes no further request
    client.stats.pages = 0
    for _page in zendesk_cursor_pages(client, "/export", {"start_time": 0}):
        break
    assert client.stats.pages == 1


def test_zendesk_cursor_keeps_sticky_params(
    httpserver: HTTPServer, fast_http: HttpSettings
) -> None:
    """`after_url` without `include`, then a bare `after_cursor`: both get it back, once."""
    seen: list[dict[str, list[str]]] = []

    def handler(request: Request) -> Response:
        seen.append(request.args.to_dict(flat=False))
        n = int(request.args.get("cursor", 0))
        after_url = httpserver.url_for("/export") + f"?cursor={n + 1}" if n == 0 else None
        body = {"tickets": [n], "end_of_stream": n == 2, "after_cursor": str(n + 1)}
        return Response(
            json.dumps({**body, "after_url": after_url}), content_type="application/json"
        )

    httpserver.expect_request("/export").respond_with_handler(handler)
    params = {"start_time": 0, "include": "metric_sets"}
    client = _client(httpserver, fast_http)
    list(zendesk_cursor_pages(client, "/export", params, sticky=("include",)))
    assert [s.get("include") for s in seen] == [["metric_sets"]] * 3
    assert [s.get("cursor") for s in seen] == [None, ["1"], ["2"]]
