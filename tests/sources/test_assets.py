"""The extract assets materialised by Dagster for one day: metadata, re-runs, secrets, demo."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest

from orchestration.definitions import extract_assets
from orchestration.demo import DemoPipelineResource
from orchestration.sources import LANDING_DATASETS
from simulator import DEMO_CREDENTIALS
from tests.sources.conftest import DAY

SECRETS = [v for k, v in DEMO_CREDENTIALS.items() if "TOKEN" in k]
FAST = DemoPipelineResource(max_retries=3, backoff_factor=0.01, backoff_max=0.05, retry_after_max=2)


def _landed(warehouse: Path) -> dict[str, list[dict]]:
    """Every landed file's rows minus what a re-run changes by design: the run's timestamps
    (`_extracted_at`, and the catalog's `snapshot_at`, which is when the stock was read)."""
    landed = {}
    for path in sorted(warehouse.glob("landing/**/data.parquet")):
        table = pq.read_table(path)
        moving = [c for c in ("_extracted_at", "snapshot_at") if c in table.column_names]
        landed[str(path.relative_to(warehouse))] = sorted(
            table.drop_columns(moving).to_pylist(), key=str
        )
    return landed


def _asset(name: str) -> dg.AssetsDefinition:
    return next(a for a in extract_assets if a.key == dg.AssetKey(["landing", name]))


@pytest.mark.slow
def test_materialise_one_day_twice_same_data_no_secrets(
    serve: Callable,
    warehouse: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    serve(shop_bucket_size=1e9, shop_restore_rate=1e9)
    caplog.set_level(logging.DEBUG)
    key = DAY.isoformat()
    result = dg.materialize(extract_assets, partition_key=key, resources={"pipeline": FAST})
    assert result.success
    materialisations = result.get_asset_materialization_events()
    assert len(materialisations) == len(extract_assets)
    metadata = {"/".join(e.asset_key.path): e.materialization.metadata for e in materialisations}
    for name, values in metadata.items():
        assert values["partition_range"].value == f"{key}...{key}", name
        assert values["requests"].value >= 1 and "duration_seconds" in values, name
    assert metadata["landing/shop_orders"]["rows_total"].value > 50
    for source, datasets in LANDING_DATASETS.items():
        for dataset in datasets:
            assert (warehouse / "landing" / source / dataset / f"date={key}").is_dir()
    first = _landed(warehouse)
    assert dg.materialize(extract_assets, partition_key=key, resources={"pipeline": FAST}).success
    assert _landed(warehouse) == first  # a re-run of the day lands the same data
    out, err = capfd.readouterr()
    text = caplog.text + out + err + repr(metadata)
    assert "graphql.json" in caplog.text  # the DEBUG request log was captured
    assert not [s for s in SECRETS if s in text]


def test_no_source_url_runs_on_the_demo_simulator(warehouse: Path) -> None:
    assets = [_asset("ga4_sessions"), _asset("shop_catalog"), _asset("google_ads")]
    result = dg.materialize(assets, partition_key=DAY.isoformat(), resources={"pipeline": FAST})
    assert result.success
    for event in result.get_asset_materialization_events():
        assert event.materialization.metadata["source_mode"].value == "demo"
    table = pq.read_table(next(warehouse.glob("landing/ga4/sessions/date=*/data.parquet")))
    assert set(table.column("_source_mode").to_pylist()) == {"demo"}


def test_permanent_error_fails_without_retries(
    serve: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve()
    monkeypatch.setenv("GA4_ACCESS_TOKEN", "ya29.revoked-token")
    ga4 = _asset("ga4_sessions")
    started = time.monotonic()
    result = dg.materialize(
        [ga4], partition_key=DAY.isoformat(), resources={"pipeline": FAST}, raise_on_error=False
    )
    assert not result.success
    assert not [e for e in result.all_events if e.is_step_up_for_retry]
    assert time.monotonic() - started < 8  # no RetryPolicy retries (5 s delay, then 15 s)
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert failure is not None
    message = failure.message + "".join(c.message for c in [failure.cause] if c)
    assert "ga4: POST /ga4/v1beta/properties/987654321:runReport failed (HTTP 401)" in message
    assert "revoked-token" not in message
