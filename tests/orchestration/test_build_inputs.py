"""The "inputs unchanged" decision on real Parquet landing files and a real published file."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.build_inputs import (
    Fingerprint,
    decide,
    fingerprint,
    landing_digest,
    record_publication,
    start_build,
)
from orchestration.publication.publication_log import prepare_log

DAY = date(2026, 3, 2)


def _land(warehouse: Path, sessions: int, extracted_at: datetime) -> None:
    """A GA4 sessions day as the extract writes it: content columns, then bookkeeping."""
    path = warehouse / "landing" / "ga4" / "sessions" / f"date={DAY}" / "data.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "date": [DAY],
            "sessions": [sessions],
            "_partition_date": [DAY],
            "_extracted_at": pa.array([extracted_at], pa.timestamp("us", tz="UTC")),
            "_source_mode": ["demo"],
        }
    )
    pq.write_table(table, path)


def _publish(warehouse: Path, run_id: str) -> None:
    """A published file whose latest publication is `run_id`'s."""
    (warehouse / "published").mkdir(exist_ok=True)
    with duckdb.connect(str(warehouse / "published" / "marts.duckdb")) as con:
        prepare_log(con)
        con.execute(
            "insert into publication_log (published_at, run_id, source_mode, row_counts, checks) "
            "values (?, ?, 'demo', '{}', '{}')",
            [datetime.now(UTC), run_id],
        )


def _inputs(warehouse: Path, tmp_path: Path, **run_vars: str) -> Fingerprint:
    project, suites = tmp_path / "dbt_project", tmp_path / "expectations"
    if not project.exists():
        (project / "models").mkdir(parents=True)
        (project / "models" / "m.sql").write_text("select 1 as x\n")
        suites.mkdir()
        (suites / "s.json").write_text("{}")
    return fingerprint(warehouse, project, suites, {"partition_end": str(DAY), **run_vars})


@pytest.fixture
def warehouse(_isolated_warehouse: Path) -> Path:
    return _isolated_warehouse


def test_a_landing_row_read_again_at_another_time_is_unchanged_a_new_value_is_not(
    warehouse: Path,
) -> None:
    _land(warehouse, 10, datetime(2026, 3, 3, 5, tzinfo=UTC))
    first = landing_digest(warehouse)
    _land(warehouse, 10, datetime(2026, 3, 4, 5, tzinfo=UTC))
    assert landing_digest(warehouse) == first
    _land(warehouse, 11, datetime(2026, 3, 4, 5, tzinfo=UTC))
    assert landing_digest(warehouse) != first


def test_the_build_is_skipped_only_for_the_recorded_inputs_of_the_standing_publication(
    warehouse: Path, tmp_path: Path
) -> None:
    _land(warehouse, 10, datetime(2026, 3, 3, 5, tzinfo=UTC))
    inputs = _inputs(warehouse, tmp_path)
    assert decide(warehouse, inputs, force=False).since_run is None  # nothing recorded yet

    start_build(warehouse, "run-a", inputs)
    _publish(warehouse, "run-a")
    assert record_publication(warehouse, "run-a") == inputs.digest
    decision = decide(warehouse, _inputs(warehouse, tmp_path), force=False)
    assert decision.since_run == "run-a"

    assert decide(warehouse, inputs, force=True).since_run is None
    other_day = _inputs(warehouse, tmp_path, partition_start="2026-03-01")
    assert decide(warehouse, other_day, force=False).reason == "changed since run run-a: run_vars"
    (tmp_path / "expectations" / "s.json").write_text('{"changed": true}')
    assert decide(warehouse, _inputs(warehouse, tmp_path), force=False).since_run is None


def test_another_publication_or_a_build_started_since_means_build(
    warehouse: Path, tmp_path: Path
) -> None:
    inputs = _inputs(warehouse, tmp_path)
    start_build(warehouse, "run-a", inputs)
    _publish(warehouse, "run-a")
    record_publication(warehouse, "run-a")
    _publish(warehouse, "run-b")  # published by a run that recorded nothing (a partial build)
    decision = decide(warehouse, inputs, force=False)
    assert decision.reason == "the published file holds the publication of run run-b, not of run-a"

    _publish(warehouse, "run-a")
    start_build(warehouse, "run-c", inputs)  # run-c's build fails: it never publishes
    assert decide(warehouse, inputs, force=False).since_run is None
    assert record_publication(warehouse, "run-a") is None  # run-c's build replaced run-a's
