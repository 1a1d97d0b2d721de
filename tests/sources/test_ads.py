"""Google Ads and Meta insights against the simulator: paging, rate limits, rejects."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from orchestration.sources import ExtractRun, google_ads, meta_ads
from simulator import FaultConfig, PageSizes
from tests.sources.conftest import DAY, read_landed, read_rejects


def _rows(warehouse: Path, source: str, dataset: str) -> list[dict]:
    table = read_landed(warehouse, source, dataset).drop_columns(["payload"])
    return sorted(table.to_pylist(), key=str)


def test_google_ads_pages_rate_limits_and_spend(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve()
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
    serve(faults=FaultConfig(malformed_rate=0.2))
    google_ads.extract_google_ads(extract_run("google_ads"), [DAY])
    rejects = read_rejects(warehouse, "google_ads", "product_stats").to_pylist()
    assert {r["reason"].split(" ")[0] for r in rejects} >= {"missing", "negative"}
    assert read_landed(warehouse, "google_ads", "product_stats").num_rows > 0


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
    assert any(r["sku"] for r in ads) and any(r["conversions"] for r in ads)
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
