"""The landing writer on real Parquet files: streaming, atomic replace, dedupe, determinism."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from orchestration.lib import landing
from orchestration.sources.ga4.landing import GA4_SESSIONS
from orchestration.sources.zendesk.landing import ZENDESK_TICKETS

DAY = date(2026, 3, 2)
EXTRACTED = datetime(2026, 3, 3, 4, 0, tzinfo=UTC)
BK = landing.Bookkeeping(DAY, EXTRACTED, "demo")


def _session(i: int, sessions: int = 1) -> dict:
    return {"date": DAY, "session_source": f"s{i}", "sessions": sessions, "payload": "{}"}


def _land(warehouse: Path, rows: list[dict], chunk_rows: int = 3) -> landing.LandingTotals:
    totals = landing.LandingTotals()
    datasets = {"sessions": landing.Dataset(GA4_SESSIONS, landing.Dedupe(("session_source",)))}
    with landing.DayLanding(
        warehouse, "ga4", BK, datasets, totals=totals, chunk_rows=chunk_rows
    ) as day:
        for row in rows:
            day.write("sessions", row)
        day.reject("sessions", None, "date", "missing", {"x": 1})
    return totals


def test_streams_row_groups_and_lands_atomically(tmp_path: Path) -> None:
    totals = _land(tmp_path, [_session(i) for i in range(10)])
    path = landing.landing_path(tmp_path, "ga4", "sessions", DAY)
    parquet = pq.ParquetFile(path)
    assert parquet.num_row_groups == 4 and parquet.metadata.num_rows == 10
    assert parquet.schema_arrow == GA4_SESSIONS
    table = parquet.read()
    assert set(table.column("_source_mode").to_pylist()) == {"demo"}
    assert set(table.column("_partition_date").to_pylist()) == {DAY}
    assert totals.rows["sessions"] == 10 and totals.rejects["sessions"] == 1
    rejects = pq.read_table(landing.rejects_path(tmp_path, "ga4", "sessions", DAY))
    assert rejects.column("reason").to_pylist() == ["missing"]
    assert [p.name for p in path.parent.iterdir()] == ["data.parquet"]  # no temp file left


def test_rerun_gives_byte_identical_file(tmp_path: Path) -> None:
    path = landing.landing_path(tmp_path, "ga4", "sessions", DAY)
    _land(tmp_path, [_session(i) for i in range(10)])
    first = path.read_bytes()
    _land(tmp_path, [_session(i) for i in range(10)])
    assert path.read_bytes() == first


def test_empty_day_has_schema_and_no_rows(tmp_path: Path) -> None:
    with landing.DayLanding(tmp_path, "zendesk", BK, {"tickets": landing.Dataset(ZENDESK_TICKETS)}):
        pass
    table = pq.read_table(landing.landing_path(tmp_path, "zendesk", "tickets", DAY))
    assert table.num_rows == 0 and table.schema == ZENDESK_TICKETS


def test_failure_keeps_previous_file(tmp_path: Path) -> None:
    _land(tmp_path, [_session(1)])
    path = landing.landing_path(tmp_path, "ga4", "sessions", DAY)
    before = path.read_bytes()
    with (
        pytest.raises(RuntimeError),
        landing.DayLanding(tmp_path, "ga4", BK, {"sessions": landing.Dataset(GA4_SESSIONS)}) as d,
    ):
        d.write("sessions", _session(2))
        raise RuntimeError("network died")
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["data.parquet"]


def test_duplicates_keep_latest_version(tmp_path: Path) -> None:
    rows = [_session(i, sessions=1) for i in range(5)] + [_session(2, sessions=9)]
    totals = _land(tmp_path, rows, chunk_rows=2)
    table = pq.read_table(landing.landing_path(tmp_path, "ga4", "sessions", DAY))
    got = dict(
        zip(
            table.column("session_source").to_pylist(),
            table.column("sessions").to_pylist(),
            strict=True,
        )
    )
    assert got == {"s0": 1, "s1": 1, "s2": 9, "s3": 1, "s4": 1}
    assert totals.duplicates["sessions"] == 1 and totals.rows["sessions"] == 5


def test_version_column_beats_arrival_order(tmp_path: Path) -> None:
    early, late = datetime(2026, 3, 2, 8, tzinfo=UTC), datetime(2026, 3, 2, 9, tzinfo=UTC)
    base = {"created_at": early, "payload": "{}"}
    dedupe = {
        "tickets": landing.Dataset(ZENDESK_TICKETS, landing.Dedupe(("ticket_id",), "updated_at"))
    }
    with landing.DayLanding(tmp_path, "zendesk", BK, dedupe) as day:
        day.write("tickets", {**base, "ticket_id": 1, "updated_at": late, "status": "solved"})
        day.write("tickets", {**base, "ticket_id": 1, "updated_at": early, "status": "open"})
    table = pq.read_table(landing.landing_path(tmp_path, "zendesk", "tickets", DAY))
    assert table.column("status").to_pylist() == ["solved"]


def test_required_column_null_is_refused(tmp_path: Path) -> None:
    with (
        pytest.raises(ValueError, match="required column sessions"),
        landing.DayLanding(tmp_path, "ga4", BK, {"sessions": landing.Dataset(GA4_SESSIONS)}) as day,
    ):
        day.write("sessions", {"date": DAY, "sessions": None, "payload": "{}"})


def test_copy_day_changes_partition_date(tmp_path: Path) -> None:
    _land(tmp_path, [_session(i) for i in range(4)])
    source = landing.landing_path(tmp_path, "ga4", "sessions", DAY)
    target = landing.landing_path(tmp_path, "ga4", "sessions", date(2026, 3, 1))
    landing.copy_day(source, target, date(2026, 3, 1))
    table = pq.read_table(target)
    assert table.num_rows == 4 and set(table.column("_partition_date").to_pylist()) == {
        date(2026, 3, 1)
    }
