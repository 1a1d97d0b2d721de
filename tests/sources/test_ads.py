"""Google Ads and Meta insights against the simulator: paging, rate limits, rejects."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from orchestration.lib.extract import ExtractRun
from orchestration.lib.http import ApiError
from orchestration.sources.google_ads import extract as google_ads
from orchestration.sources.meta_ads import extract as meta_ads
from orchestration.sources.shop import catalog as catalog_src
from simulator import FaultConfig, PageSizes
from tests.sources.conftest import DAY, read_landed, read_rejects


def _rows(warehouse: Path, source: str, dataset: str) -> list[dict]:
    table = read_landed(warehouse, source, dataset).drop_columns(["payload"])
    return sorted(table.to_pylist(), key=str)


def test_google_ads_pages_rate_limits_and_spend(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve()
    catalog_src.extract_catalog(extract_run("shop"), [DAY])
    google_ads.extract_google_ads(extract_run("google_ads"), [DAY])
    reference = {d: _rows(warehouse, "google_ads", d) for d in google_ads.DATASETS}
    serve(
        page_sizes=PageSizes(google_ads=10),
        faults=FaultConfig(rate_limit_every=3, retry_after_seconds=0),
    )
    run = extract_run("google_ads")
    google_ads.extract_google_ads(run, [DAY])
    assert {d: _rows(warehouse, "google_ads", d) for d in google_ads.DATASETS} == reference
    assert run.metadata()["pages"] > 5 and run.metadata()["retries"] > 0
    campaign = reference["campaign_stats"][0]
    assert campaign["spend"] * 1_000_000 == campaign["cost_micros"]
    assert len(reference["product_stats"]) > 20


def test_google_ads_malformed_rows_rejected(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve()
    catalog_src.extract_catalog(extract_run("shop"), [DAY])
    serve(faults=FaultConfig(malformed_rate=0.2))
    google_ads.extract_google_ads(extract_run("google_ads"), [DAY])
    rejects = read_rejects(warehouse, "google_ads", "product_stats").to_pylist()
    assert {r["reason"].split(" ")[0] for r in rejects} >= {"missing", "negative", "unknown"}
    assert read_landed(warehouse, "google_ads", "product_stats").num_rows > 0


def test_google_ads_offer_ids_map_to_catalog_skus(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    """Offers named by sku (lowercased by Google) and by Shopify's channel id both land as the
    shop's sku."""
    serve()
    catalog_src.extract_catalog(extract_run("shop"), [DAY])
    google_ads.extract_google_ads(extract_run("google_ads"), [DAY])
    landed = read_landed(warehouse, "google_ads", "product_stats").to_pylist()
    catalog = set(read_landed(warehouse, "shop", "product_variants").column("sku").to_pylist())
    assert landed and {r["sku"] for r in landed} <= catalog
    offer_ids = {r["payload"].split('"productItemId":"')[1].split('"')[0] for r in landed}
    assert any(o.startswith("shopify_fr_") for o in offer_ids)
    assert any(o in {s.lower() for s in catalog} for o in offer_ids)


def test_google_ads_retired_version_names_the_variable(
    serve: Callable,
    extract_run: Callable[[str], ExtractRun],
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serve()
    catalog_src.extract_catalog(extract_run("shop"), [DAY])
    monkeypatch.setenv("GOOGLE_ADS_API_VERSION", "v21")
    with pytest.raises(ApiError) as raised:
        google_ads.extract_google_ads(extract_run("google_ads"), [DAY])
    message = str(raised.value)
    assert "Google Ads API v21 is retired" in message and "GOOGLE_ADS_API_VERSION" in message
    assert raised.value.permanent


def test_meta_pages_and_rate_limit_codes(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve()
    meta_ads.extract_meta_ads(extract_run("meta_ads"), [DAY])
    reference = {d: _rows(warehouse, "meta_ads", d) for d in meta_ads.DATASETS}
    serve(page_sizes=PageSizes(meta_ads=4), faults=FaultConfig(rate_limit_every=4))
    run = extract_run("meta_ads")
    meta_ads.extract_meta_ads(run, [DAY])
    assert {d: _rows(warehouse, "meta_ads", d) for d in meta_ads.DATASETS} == reference
    assert run.metadata()["retries"] > 0 and run.metadata()["pages"] > 10
    ads = reference["ad_insights"]
    assert any(r["sku"] for r in ads)
    # Product rows carry no conversions (Meta drops the breakdown on pixel events); purchases
    # stay on the campaign rows.
    assert all(r["conversions"] is None and r["conversions_value"] is None for r in ads)
    assert any(r["conversions"] for r in reference["campaign_insights"])
    assert all(r["campaign_name"] for r in reference["campaign_insights"])


def test_meta_malformed_rows_rejected(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve(faults=FaultConfig(malformed_rate=0.2))
    meta_ads.extract_meta_ads(extract_run("meta_ads"), [DAY])
    rejects = [
        reject
        for dataset in meta_ads.DATASETS
        for reject in read_rejects(warehouse, "meta_ads", dataset).to_pylist()
    ]
    fields = {r["field"] for r in rejects}
    assert {"campaign_id", "spend"} <= fields <= {"campaign_id", "spend", "date_start", "clicks"}
    assert read_landed(warehouse, "meta_ads", "ad_insights").num_rows > 0


def test_meta_expired_version_names_the_variable(
    serve: Callable,
    extract_run: Callable[[str], ExtractRun],
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = serve()
    monkeypatch.setenv("META_ADS_URL", f"{server.url}/meta/v23.0")
    with pytest.raises(ApiError) as raised:
        meta_ads.extract_meta_ads(extract_run("meta_ads"), [DAY])
    assert "META_ADS_URL has expired" in str(raised.value) and raised.value.permanent
    assert "v25.0" in str(raised.value)
