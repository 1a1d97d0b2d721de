"""The vendors' artefacts the contract tests use as their oracle, fetched once per session.

Shopify's schema comes from a pinned npm tarball (scripts/vendor_artefacts.py, see README.md);
the Google and Meta client libraries are test dependencies. A missing artefact fails the tests:
they never skip.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import graphql
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from orchestration.lib.config import resolve_config
from orchestration.lib.extract import ExtractRun
from orchestration.lib.http import HttpSettings
from orchestration.lib.settings import SOURCE_ENV
from orchestration.sources.shop import catalog as catalog_src
from tests.vendor import fetch_all

ROOT = Path(__file__).resolve().parents[2]
SHOPIFY_SCHEMA_VERSION = "2026-10"


@pytest.fixture(scope="session")
def vendor_dir() -> Path:
    """The fetched artefacts (tests/vendor: pinned, checked, fetched once)."""
    return fetch_all()


@pytest.fixture(scope="session")
def shopify_schema(vendor_dir: Path) -> graphql.GraphQLSchema:
    """Shopify's Admin GraphQL schema of the version the extractor defaults to."""
    path = vendor_dir / "shopify-admin-graphql" / "dist" / "data"
    with gzip.open(path / f"admin_{SHOPIFY_SCHEMA_VERSION}.json.gz") as handle:
        introspection = json.load(handle)
    return graphql.build_client_schema(introspection["data"])


#: Live-mode credentials for the contract tests (the server is pytest-httpserver on loopback).
LIVE_CREDENTIALS = {
    "SHOP_ACCESS_TOKEN": "shpat_contract",
    "GOOGLE_ADS_CUSTOMER_ID": "123-456-7890",
    "GOOGLE_ADS_DEVELOPER_TOKEN": "dev-contract",
    "GOOGLE_ADS_ACCESS_TOKEN": "ya29.contract",
    "META_AD_ACCOUNT_ID": "1029384756",
    "META_ACCESS_TOKEN": "EAAContract",
    "EPCIS_TOKEN": "epcis-contract",
    "ZENDESK_EMAIL": "bot@example.com",
    "ZENDESK_API_TOKEN": "zendesk-contract",
    "ZENDESK_ORDER_FIELD_ID": "360000000001",
    "GA4_PROPERTY_ID": "987654321",
    "GA4_ACCESS_TOKEN": "ya29.ga4-contract",
}
META_VERSION = "v25.0"


@pytest.fixture
def live_extract_run(
    httpserver: HTTPServer,
    warehouse: Path,
    fast_http: HttpSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[str], ExtractRun]:
    """ExtractRuns in live mode, every source URL on the test's HTTP server."""
    base = httpserver.url_for("").rstrip("/")
    for name, spec in SOURCE_ENV.items():
        suffix = f"/{META_VERSION}" if name == "meta_ads" else ""
        monkeypatch.setenv(spec.url_var, base + suffix)
    for var, value in LIVE_CREDENTIALS.items():
        monkeypatch.setenv(var, value)

    def make(source: str) -> ExtractRun:
        return ExtractRun(source, resolve_config(os.environ), fast_http)

    return make


def land_catalog(run: ExtractRun, day: date, variants: list[dict[str, Any]]) -> None:
    """A landed catalog, as the shop extract writes it, for extracts that map ids through it."""
    snapshot = datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    with run.day(day, catalog_src.CATALOG_DATASETS) as landing:
        for node in variants:
            landing.write("product_variants", catalog_src.variant_row(node, snapshot, True))


def recording_handler(
    answer: Callable[[Request], Any], seen: list[Request]
) -> Callable[[Request], Response]:
    """A pytest-httpserver handler that records each request and answers it with JSON text."""

    def handler(request: Request) -> Response:
        seen.append(request)
        return Response(answer(request), 200, {"Content-Type": "application/json"})

    return handler
