"""A served simulator with small pages, and thin clients for its six APIs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from simulator import DEMO_CREDENTIALS, PageSizes, SimulatorConfig, SimulatorServer

C = DEMO_CREDENTIALS
NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
CANARY = "CANARY-7f3a9e"
SMALL_PAGES = PageSizes(
    shop=20, shop_line_items=2, google_ads=5, meta_ads=5, epcis=3, zendesk=5, ga4=4
)
ORDERS_QUERY = """query($cursor: String, $q: String) {
  orders(first: 20, after: $cursor, query: $q, sortKey: UPDATED_AT) {
    nodes { id name updatedAt lineItems(first: 2) { nodes { id sku quantity }
            pageInfo { hasNextPage endCursor } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def day_filter(start: str, end: str) -> str:
    return f"updated_at:>='{start}' AND updated_at:<'{end}'"


@dataclass
class Client:
    """Requests against one served simulator, with the vendors' auth and paging."""

    url: str
    session: requests.Session

    def shop(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        r = self.session.post(
            f"{self.url}/shop/admin/api/2025-07/graphql.json",
            json={"query": query, "variables": variables or {}},
            headers={"X-Shopify-Access-Token": C["SHOP_ACCESS_TOKEN"]},
        )
        assert r.status_code == 200, r.text
        return r.json()

    def orders(self, search: str) -> Iterator[tuple[dict[str, Any], int]]:
        """(order, page number) over every page of an orders query."""
        cursor, page = None, 0
        while True:
            body = self.shop(ORDERS_QUERY, {"cursor": cursor, "q": search})
            assert "errors" not in body, body
            conn = body["data"]["orders"]
            for node in conn["nodes"]:
                yield node, page
            if not conn["pageInfo"]["hasNextPage"]:
                return
            cursor, page = conn["pageInfo"]["endCursor"], page + 1

    def variants(self) -> list[dict[str, Any]]:
        out, cursor = [], None
        while True:
            q = """query($c: String) { productVariants(first: 250, after: $c) {
                nodes { sku } pageInfo { hasNextPage endCursor } } }"""
            conn = self.shop(q, {"c": cursor})["data"]["productVariants"]
            out += conn["nodes"]
            if not conn["pageInfo"]["hasNextPage"]:
                return out
            cursor = conn["pageInfo"]["endCursor"]

    def google(self, gaql: str, page_token: str | None = None) -> requests.Response:
        return self.session.post(
            f"{self.url}/google-ads/v26/customers/{C['GOOGLE_ADS_CUSTOMER_ID']}/googleAds:search",
            json={"query": gaql, **({"pageToken": page_token} if page_token else {})},
            headers={
                "developer-token": C["GOOGLE_ADS_DEVELOPER_TOKEN"],
                "Authorization": f"Bearer {C['GOOGLE_ADS_ACCESS_TOKEN']}",
            },
        )

    def google_all(self, gaql: str) -> list[dict[str, Any]]:
        rows, token, pages = [], None, 0
        while True:
            body = self.google(gaql, token).json()
            rows += body.get("results", [])
            pages += 1
            token = body.get("nextPageToken")
            if not token:
                return rows

    def meta_url(self) -> str:
        return f"{self.url}/meta/v25.0/act_{C['META_AD_ACCOUNT_ID']}/insights"

    def meta_all(self, level: str, day: str) -> tuple[list[dict[str, Any]], int]:
        params: dict[str, Any] | None = {
            "level": level,
            "time_range": json.dumps({"since": day, "until": day}),
            "time_increment": 1,
            "access_token": C["META_ACCESS_TOKEN"],
        }
        url, rows, pages = self.meta_url(), [], 0
        while url:
            r = self.session.get(url, params=params)
            assert r.status_code == 200, r.text
            body = r.json()
            rows += body["data"]
            pages += 1
            url, params = body.get("paging", {}).get("next"), None
        return rows, pages

    def epcis(self, epc_format: str | None = None, **params: Any) -> requests.Response:
        """One query page; `epc_format` is the REST binding's GS1-EPC-Format (absent if None)."""
        headers = {"Authorization": f"Bearer {C['EPCIS_TOKEN']}", "GS1-EPCIS-Version": "2.0.0"}
        return self.session.get(
            f"{self.url}/epcis/events",
            params=params,
            headers={**headers, **({"GS1-EPC-Format": epc_format} if epc_format else {})},
        )

    def epcis_pages(self, epc_format: str | None = None, **params: Any) -> list[dict[str, Any]]:
        """Every page (EPCISQueryDocument) of a query, following the Link header."""
        r, pages = self.epcis(epc_format, **params), []
        headers = {"Authorization": f"Bearer {C['EPCIS_TOKEN']}"}
        if epc_format:
            headers["GS1-EPC-Format"] = epc_format
        while True:
            assert r.status_code == 200, r.text
            pages.append(r.json())
            if "next" not in r.links:
                return pages
            r = self.session.get(r.links["next"]["url"], headers=headers)

    def epcis_all(
        self, epc_format: str | None = None, **params: Any
    ) -> tuple[list[dict[str, Any]], int]:
        pages = self.epcis_pages(epc_format, **params)
        events = [
            e for p in pages for e in p["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        ]
        return events, len(pages)

    def zendesk(self, **params: Any) -> requests.Response:
        return self.session.get(
            f"{self.url}/zendesk/api/v2/incremental/tickets/cursor.json",
            params=params,
            auth=(f"{C['ZENDESK_EMAIL']}/token", C["ZENDESK_API_TOKEN"]),
        )

    def zendesk_all(
        self, start_time: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
        body = self.zendesk(start_time=start_time, include="metric_sets").json()
        tickets, metrics, pages = [], [], 0
        while True:
            tickets += body["tickets"]
            metrics += body["metric_sets"]
            pages += 1
            if body["end_of_stream"]:
                return tickets, metrics, pages
            body = self.session.get(
                body["after_url"], auth=(f"{C['ZENDESK_EMAIL']}/token", C["ZENDESK_API_TOKEN"])
            ).json()

    def ga4(self, body: dict[str, Any]) -> requests.Response:
        return self.session.post(
            f"{self.url}/ga4/v1beta/properties/{C['GA4_PROPERTY_ID']}:runReport",
            json=body,
            headers={"Authorization": f"Bearer {C['GA4_ACCESS_TOKEN']}"},
        )


def make_config(**overrides: Any) -> SimulatorConfig:
    """Small pages (paging is exercised), and a bucket that never throttles the test clients:
    throttling has its own test."""
    return SimulatorConfig(
        now=NOW, page_sizes=SMALL_PAGES, pii_canary=CANARY, shop_restore_rate=1e6, **overrides
    )


@pytest.fixture(scope="package")
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(make_config()) as sim:
        yield sim


@pytest.fixture(scope="package")
def client(server: SimulatorServer) -> Client:
    return Client(server.url, requests.Session())


@pytest.fixture
def private() -> Iterator[tuple[SimulatorServer, Client]]:
    """A simulator of the test's own, for tests that change faults."""
    with SimulatorServer(make_config()) as sim:
        yield sim, Client(sim.url, requests.Session())
