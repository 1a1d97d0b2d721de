"""GA4 runReport against the simulator: offset paging and retries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from orchestration.sources import ExtractRun, ga4
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
