"""The executor the daily job runs with keeps what the pipeline relies on: a step that fails is
retried alone (the other extracts run once), and its retry runs before what depends on it.

The assets here are stand-ins with the extracts' pool and a retry policy without delay (the
extracts' own policy waits 10 s before a retry); the executor and the launch are the real ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from orchestration.jobs import PIPELINE_EXECUTOR

_MARKER_ENV = "TEST_EXECUTOR_FAIL_ONCE"


@dg.asset(pool="landing", retry_policy=dg.RetryPolicy(max_retries=2))
def flaky_extract() -> None:
    """Fails on its first attempt (a marker file says it already failed)."""
    marker = Path(os.environ[_MARKER_ENV])
    if not marker.exists():
        marker.touch()
        raise RuntimeError("first attempt fails")


@dg.asset(pool="landing", retry_policy=dg.RetryPolicy(max_retries=2))
def steady_extract() -> None:
    """Succeeds the first time."""


@dg.asset(deps=[flaky_extract, steady_extract], pool="duckdb")
def build() -> None:
    """Stands for dbt: runs once both extracts have landed."""


def stand_in_job() -> dg.JobDefinition:
    return dg.Definitions(
        assets=[flaky_extract, steady_extract, build],
        jobs=[dg.define_asset_job("stand_in", executor_def=PIPELINE_EXECUTOR)],
    ).resolve_job_def("stand_in")


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dg.DagsterInstance]:
    monkeypatch.setenv(_MARKER_ENV, str(tmp_path / "failed-once"))
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        yield instance


def test_a_failed_step_is_retried_alone(instance: dg.DagsterInstance) -> None:
    with dg.execute_job(dg.reconstructable(stand_in_job), instance=instance) as result:
        assert result.success
        events = [
            (event.step_key, event.event_type_value)
            for event in result.all_events
            if event.step_key
        ]
    starts = [key for key, kind in events if kind in ("STEP_START", "STEP_RESTARTED")]
    assert starts.count("flaky_extract") == 2
    assert starts.count("steady_extract") == 1
    assert starts.count("build") == 1
    assert ("flaky_extract", "STEP_UP_FOR_RETRY") in events
    last_flaky = max(i for i, (key, kind) in enumerate(events) if key == "flaky_extract")
    first_build = min(i for i, (key, _) in enumerate(events) if key == "build")
    assert last_flaky < first_build
