"""Every pagination style followed across many pages over real loopback HTTP."""

from __future__ import annotations

import json

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from orchestration.lib import pagination
from orchestration.lib.http import ApiClient, Auth, HttpSettings

PAGES = 7


def _client(server: HTTPServer, settings: HttpSettings) -> ApiClient:
    return ApiClient("test", server.url_for(""), Auth(), settings)


def test_graphql_cursor(httpserver: HTTPServer, fast_http: HttpSettings) -> None:
    def handler(request: Request) -> Response:
        cursor = request.get_json()["variables"]["cursor"]
        n = 0 if cursor is None else int(cursor)
        page = {"nodes": [n], "pageInfo": {"hasNextPage": n < PAGES - 1, "endCursor": str(n + 1)}}
        return Response(json.dumps({"data": {"orders": page}}), content_type="application/json")

    httpserver.expect_request("/g", method="POST").respond_with_handler(handler)
    client = _client(httpserver, fast_http)
    pages = pagination.graphql_pages(client, "/g", "q", {}, lambda d: d["orders"])
    assert [p["nodes"][0] for p in pages] == list(range(PAGES))
    assert client.stats.pages == PAGES


def test_link_header(httpserver: HTTPServer, fast_http: HttpSettings) -> None:
    def handler(request: Request) -> Response:
        n = int(request.args.get("nextPageToken", 0))
        headers = {}
        if n < PAGES - 1:
            headers["Link"] = f'<{httpserver.url_for("/events")}?nextPageToken={n + 1}>; rel="next"'
        return Response(json.dumps({"n": n}), headers=headers, content_type="application/json")

    httpserver.expect_request("/events").respond_with_handler(handler)
    client = _client(httpserver, fast_http)
    pages = list(pagination.link_header_pages(client, "/events", {"perPage": 1}))
    assert [p["n"] for p in pages] == list(range(PAGES))
    assert httpserver.log[0][0].args["perPage"] == "1"


def test_page_token(httpserver: HTTPServer, fast_http: HttpSettings) -> None:
    def handler(request: Request) -> Response:
        n = int(request.get_json().get("pageToken", 0))
        body = {"results": [n], **({"nextPageToken": str(n + 1)} if n < PAGES - 1 else {})}
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request("/search", method="POST").respond_with_handler(handler)
    pages = pagination.page_token_pages(_client(httpserver, fast_http), "/search", {"query": "q"})
    assert [p["results"][0] for p in pages] == list(range(PAGES))


def test_offset_row_count(httpserver: HTTPServer, fast_http: HttpSettings) -> None:
    def handler(request: Request) -> Response:
        body = request.get_json()
        offset, limit = body["offset"], body["limit"]
        rows = [{"i": i} for i in range(offset, min(offset + limit, 20))]
        return Response(json.dumps({"rows": rows, "rowCount": 20}), content_type="application/json")

    httpserver.expect_request("/report", method="POST").respond_with_handler(handler)
    pages = list(pagination.offset_pages(_client(httpserver, fast_http), "/report", {}, limit=3))
    assert [r["i"] for p in pages for r in p["rows"]] == list(range(20))
    assert len(pages) == 7


def test_graph_api_paging_next(httpserver: HTTPServer, fast_http: HttpSettings) -> None:
    def handler(request: Request) -> Response:
        n = int(request.args.get("after", 0))
        body: dict = {"data": [n], "paging": {"cursors": {"after": str(n + 1)}}}
        if n < PAGES - 1:
            body["paging"]["next"] = httpserver.url_for("/ins") + f"?after={n + 1}&access_token=t"
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request("/ins").respond_with_handler(handler)
    pages = pagination.graph_api_pages(_client(httpserver, fast_http), "/ins", {"level": "ad"})
    assert [p["data"][0] for p in pages] == list(range(PAGES))
    assert all("access_token" not in r.args for r, _ in httpserver.log)
