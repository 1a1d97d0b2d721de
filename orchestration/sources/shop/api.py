"""How the shop source calls Shopify's GraphQL Admin API: auth, the endpoint, the cost bucket.

Shopify limits GraphQL by query cost, not by calls: a leaky bucket of points (2,000 restoring
100 a second on the standard plan, 10x on Plus), each query costing what it asks for. Every
response says what the bucket holds (`extensions.cost.throttleStatus`) and what the query was
expected to cost (`requestedQueryCost`); an empty bucket answers HTTP 200 with a `THROTTLED`
error. `CostBucket` plugs that into the shared client's pacing hooks: before a query goes, it
waits until the bucket holds what that query cost the last time, so a long pagination is rarely
throttled at all; a throttled query waits until the bucket holds its cost again.

Nested connections (an order's line items, a refund's lines, a variant's inventory levels) are
capped at their `first`: `complete_connection` reads the pages after the first one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from orchestration.lib.extract import ExtractRun
from orchestration.lib.http import (
    ApiClient,
    Auth,
    GraphQLPacing,
    HttpSettings,
    RequestStats,
    secret_forms,
)
from orchestration.lib.pagination import graphql_pages

API_VERSION_HEADER = "X-Shopify-API-Version"
PAGE_INFO = "pageInfo { hasNextPage endCursor }"
log = logging.getLogger(__name__)


def shopify_auth(access_token: str) -> Auth:
    """An Admin API access token travels in its own header."""
    return Auth(
        headers={"X-Shopify-Access-Token": access_token}, secrets=secret_forms(access_token)
    )


class CostBucket(GraphQLPacing):
    """Shopify's query-cost bucket, as the last response described it."""

    def __init__(self) -> None:
        self._bucket: tuple[float, float, float] | None = None  # available, restore rate, at
        self._last_query_cost = 0.0
        self._query_costs: dict[str, float] = {}  # GraphQL document -> its requested cost

    def wait_before(self, query: str) -> float:
        """Until the bucket holds what `query` cost the last time it was sent (a follow-up query
        and a page of orders cost very different amounts), else the last query's cost."""
        if self._bucket is None:
            return 0.0
        cost = self._query_costs.get(query, self._last_query_cost)
        available, restore_rate, at = self._bucket
        available += restore_rate * (time.monotonic() - at)
        return (cost - available) / restore_rate if available < cost else 0.0

    def record(self, body: Mapping[str, Any], query: str, stats: RequestStats) -> None:
        cost = (body.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        if "currentlyAvailable" in status and status.get("restoreRate"):
            self._bucket = (
                float(status["currentlyAvailable"]),
                float(status["restoreRate"]),
                time.monotonic(),
            )
        if cost.get("requestedQueryCost") is not None:
            self._last_query_cost = float(cost["requestedQueryCost"])
            self._query_costs[query] = self._last_query_cost
        stats.query_cost_points += float(cost.get("actualQueryCost") or 0)

    def throttled(self, errors: list[Mapping[str, Any]]) -> bool:
        return all((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors)

    def throttle_wait(self, attempt: int, settings: HttpSettings) -> float:
        """Until the bucket holds the throttled query's cost (else plain backoff)."""
        if self._bucket is None or not self._last_query_cost:
            return settings.backoff(attempt)
        available, restore_rate, _ = self._bucket
        return max(0.0, (self._last_query_cost - available) / restore_rate)


def graphql_path(run: ExtractRun) -> str:
    return f"/admin/api/{run.config.shop_api_version}/graphql.json"


def shop_client(run: ExtractRun) -> ApiClient:
    """The run's client for the shop, paced by its own cost bucket."""
    token = run.settings.credentials["SHOP_ACCESS_TOKEN"]
    return run.client(shopify_auth(token), pacing=CostBucket())


def complete_connection(
    client: ApiClient,
    path: str,
    connection: Mapping[str, Any] | None,
    follow_up: tuple[str, Callable[[dict[str, Any]], dict[str, Any]]],
    owner_id: str | None,
) -> list[Mapping[str, Any]]:
    """Every node of a nested connection: the first page as served with its parent, then the
    pages after it through `follow_up` (a query by the owner's id, and how to find the
    connection in its answer). Shopify caps every connection at `first`: never stop there."""
    connection = connection or {}
    nodes = list(connection.get("nodes") or [])
    info = connection.get("pageInfo") or {}
    if info.get("hasNextPage") and owner_id:
        query, pick_connection = follow_up
        pages = graphql_pages(
            client, path, query, {"id": owner_id}, pick_connection, cursor=info.get("endCursor")
        )
        nodes += [item for page in pages for item in page.get("nodes") or []]
    return nodes


def answered_version(run: ExtractRun, client: ApiClient) -> dict[str, Any]:
    """The API version Shopify answered with (header `X-Shopify-API-Version`), for the metadata.

    A version past its 12 months of support is not refused: Shopify silently answers with the
    oldest supported one, so a difference is reported rather than ignored.
    """
    requested = run.config.shop_api_version
    answered = client.last_headers.get(API_VERSION_HEADER) if client.last_headers else None
    metadata: dict[str, Any] = {"shop_api_version": answered or "unknown"}
    if answered and answered != requested:
        note = (
            f"SHOP_API_VERSION={requested} is no longer supported: Shopify answered with "
            f"{answered}; set SHOP_API_VERSION to a supported version"
        )
        log.warning("shop: %s", note)
        metadata["shop_api_version_note"] = note
    return metadata
