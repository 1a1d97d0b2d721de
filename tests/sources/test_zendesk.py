"""Zendesk incremental export against the simulator: paging, 429, whitelist (no PII lands)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from orchestration.lib.extract import ExtractRun
from orchestration.sources.zendesk import extract as zendesk
from simulator import DEMO_CREDENTIALS, FaultConfig, PageSizes, SimulatorServer
from tests.sources.conftest import DAY, read_landed

CANARY = "Zoe-Canary-7f3a9c"


def test_range_in_one_stream_across_pages_with_429(
    serve: Callable,
    extract_run: Callable[[str], ExtractRun],
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Once throttled, the extract spaces its calls to Zendesk's documented export rate (10 a
    # minute: 6 s apart); this test pages through dozens of small pages, so it raises the rate to
    # keep the test fast. The spacing itself is tested in tests/sources/test_rate_budget.py.
    monkeypatch.setattr(zendesk, "EXPORT_REQUESTS_PER_MINUTE", 6_000)
    days = [DAY - timedelta(days=2), DAY - timedelta(days=1), DAY]
    serve(page_sizes=PageSizes(zendesk=4), faults=FaultConfig(rate_limit_every=5))
    run = extract_run("zendesk")
    zendesk.extract_tickets(run, days)
    tables = [read_landed(warehouse, "zendesk", "tickets", d) for d in days]
    assert all(t.num_rows > 0 for t in tables)
    assert run.metadata()["pages"] >= sum(t.num_rows for t in tables) // 4
    assert run.metadata()["retries"] > 0
    for day, table in zip(days, tables, strict=True):
        assert set(table.column("_partition_date").to_pylist()) == {day}
    rows = [r for t in tables for r in t.to_pylist()]
    assert any(r["order_number"] and r["order_number"].startswith("#") for r in rows)
    assert all(r["reason_tag"] is None or r["reason_tag"].startswith("reason_") for r in rows)
    assert any(r["first_reply_minutes"] is not None for r in rows)


def test_pii_canary_never_lands(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    serve(pii_canary=CANARY, faults=FaultConfig(malformed_rate=0.3, extra_fields=True))
    run = extract_run("zendesk")
    # A week, not a day: about ten tickets a day, and the faults pick records by a hash of
    # their id, so one day's tickets can all come out clean. A week has dozens of each.
    zendesk.extract_tickets(run, [DAY - timedelta(days=n) for n in range(6, -1, -1)])
    files = list(warehouse.rglob("*"))
    assert any(f.name == "data.parquet" and "_rejects" in str(f) for f in files)
    assert run.totals.rows["tickets"] > 0 and run.totals.rejects["tickets"] > 0
    for path in (f for f in files if f.is_file()):
        content = path.read_bytes()
        assert CANARY.encode() not in content, path
        assert b"@example.org" not in content, path  # requester emails
    assert CANARY not in str(run.metadata())


def _served_ticket_days(server: SimulatorServer, start: datetime) -> dict[int, date]:
    """Every ticket of the raw export from `start` to its end -> its updated_at shop day."""
    c, paris = DEMO_CREDENTIALS, ZoneInfo("Europe/Paris")
    url: str | None = f"{server.env()['ZENDESK_URL']}/api/v2/incremental/tickets/cursor.json"
    params: dict | None = {"start_time": int(start.timestamp())}
    days: dict[int, date] = {}
    while url:
        page = requests.get(
            url, params=params, auth=(f"{c['ZENDESK_EMAIL']}/token", c["ZENDESK_API_TOKEN"])
        ).json()
        for t in page["tickets"]:
            days[t["id"]] = datetime.fromisoformat(t["updated_at"]).astimezone(paris).date()
        url, params = (None if page["end_of_stream"] else page["after_url"]), None
    return days


def test_tickets_exported_out_of_updated_order_all_land(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    """The simulator regenerates some tickets after their update: none of the range is lost."""
    days = [DAY - timedelta(days=1), DAY]
    server = serve()
    zendesk.extract_tickets(extract_run("zendesk"), days)
    start = datetime(2026, 2, 28, 23, tzinfo=UTC)  # 2026-03-01 00:00 in Paris
    served = _served_ticket_days(server, start)
    for day in days:
        landed = read_landed(warehouse, "zendesk", "tickets", day).column("ticket_id").to_pylist()
        assert landed and sorted(landed) == sorted(i for i, d in served.items() if d == day)
