"""One generator per standard pagination style; each yields parsed pages.

The generators only know how to get from one page to the next; what a page means is the source
module's business. They are lazy, so a consumer that has seen enough simply stops iterating and
no further request is made. Every page counts in `client.stats.pages`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from orchestration.lib.http import ApiClient, RetryWhen


def graphql_pages(
    client: ApiClient,
    path: str,
    query: str,
    variables: Mapping[str, Any],
    connection: Callable[[dict[str, Any]], dict[str, Any]],
    cursor: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Relay cursor pagination: `$cursor` <- `pageInfo.endCursor` while `hasNextPage`.

    `connection` picks the paginated connection (`{nodes, pageInfo}`) out of `data`; `cursor`
    resumes after a page already read (an order's first page of line items).
    """
    while True:
        page = connection(client.graphql(path, query, {**variables, "cursor": cursor}))
        client.stats.pages += 1
        yield page
        info = page.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return
        cursor = info.get("endCursor")
        if not cursor:
            raise ValueError(f"{client.source}: hasNextPage without endCursor at {path}")


def link_header_pages(
    client: ApiClient,
    path: str,
    params: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """RFC 8288 `Link: <url>; rel="next"` (EPCIS 2.0 query interface), until no next link."""
    url: str | None = path
    query: Mapping[str, Any] | None = params
    while url:
        response = client.request("GET", url, params=query, headers=headers)
        client.stats.pages += 1
        yield response.json()
        url, query = response.links.get("next", {}).get("url"), None


def page_token_pages(client: ApiClient, path: str, body: Mapping[str, Any]) -> Iterator[dict]:
    """Google Ads `googleAds:search`: POST again with `pageToken` <- `nextPageToken`."""
    token: str | None = None
    while True:
        page = client.post_json(path, {**body, **({"pageToken": token} if token else {})})
        client.stats.pages += 1
        yield page
        token = page.get("nextPageToken")
        if not token:
            return


def offset_pages(
    client: ApiClient, path: str, body: Mapping[str, Any], limit: int
) -> Iterator[dict[str, Any]]:
    """GA4 `runReport`: `offset` += rows read until `rowCount` rows are read."""
    offset = 0
    while True:
        page = client.post_json(path, {**body, "limit": limit, "offset": offset})
        client.stats.pages += 1
        yield page
        rows = len(page.get("rows") or [])
        offset += rows
        if rows == 0 or offset >= int(page.get("rowCount") or 0):
            return


def graph_api_pages(
    client: ApiClient,
    path: str,
    params: Mapping[str, Any],
    retry_when: RetryWhen | None = None,
) -> Iterator[dict[str, Any]]:
    """Meta Graph API: follow `paging.next` (its access_token is stripped by the client)."""
    url: str | None = path
    query: Mapping[str, Any] | None = params
    while url:
        page = client.get_json(url, params=query, retry_when=retry_when)
        client.stats.pages += 1
        yield page
        url, query = (page.get("paging") or {}).get("next"), None
