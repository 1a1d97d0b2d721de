"""GA4 runReport against the simulator: offset paging and retries."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import requests

from orchestration.lib.extract import ExtractRun
from orchestration.sources.ga4 import extract as ga4
from simulator import DEMO_CREDENTIALS as C
from simulator import FaultConfig, PageSizes
from tests.sources.conftest import DAY, read_landed


def test_sessions_across_pages_with_retries(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve()
    ga4.extract_sessions(extract_run("ga4"), [DAY])
    reference = read_landed(warehouse, "ga4", "sessions").drop_columns(["_extracted_at"])
    serve(
        page_sizes=PageSizes(ga4=3),
        faults=FaultConfig(rate_limit_every=3, server_error_every=5, retry_after_seconds=0),
    )
    run = extract_run("ga4")
    ga4.extract_sessions(run, [DAY])
    landed = read_landed(warehouse, "ga4", "sessions").drop_columns(["_extracted_at"])
    assert landed.sort_by("payload").equals(reference.sort_by("payload"))
    assert run.metadata()["pages"] >= reference.num_rows // 3 and run.metadata()["retries"] > 0
    assert set(landed.column("date").to_pylist()) == {DAY}
    assert sum(landed.column("sessions").to_pylist()) > 100


def test_report_metadata_lands_one_row_per_day_as_the_api_says(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    """Thresholding and sampling flags land per day, as the raw response's metadata says, and a
    day without rows still gets its row."""
    server = serve()
    days = [DAY - timedelta(days=k) for k in range(14)]
    empty_day = date(2023, 6, 1)  # before the simulated shop's history: no rows at all
    extra = ga4.extract_sessions(extract_run("ga4"), [*days, empty_day])
    landed = {}
    for day in [*days, empty_day]:
        rows = read_landed(warehouse, "ga4", "report_metadata", day).to_pylist()
        assert len(rows) == 1 and rows[0]["date"] == day
        landed[day] = rows[0]
    for day in days:
        raw = requests.post(
            f"{server.url}/ga4/v1beta/properties/{C['GA4_PROPERTY_ID']}:runReport",
            json=ga4.report_body(day),
            headers={"Authorization": f"Bearer {C['GA4_ACCESS_TOKEN']}"},
            timeout=10,
        ).json()["metadata"]
        assert landed[day]["subject_to_thresholding"] == bool(raw.get("subjectToThresholding"))
        assert landed[day]["is_sampled"] == bool(raw.get("samplingMetadatas"))
        assert landed[day]["data_loss_from_other_row"] == bool(raw.get("dataLossFromOtherRow"))
        assert json.loads(landed[day]["payload"]) == raw
    thresholded = [d for d in days if landed[d]["subject_to_thresholding"]]
    assert thresholded and len(thresholded) < len(days)
    assert read_landed(warehouse, "ga4", "sessions", empty_day).num_rows == 0
    assert not landed[empty_day]["subject_to_thresholding"]
    assert set(extra["days_thresholded_merged_or_sampled"]) >= {d.isoformat() for d in thresholded}
