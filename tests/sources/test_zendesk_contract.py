"""Zendesk extractor against a loopback incremental export that behaves as Zendesk documents it.

The export (`GET /api/v2/incremental/tickets/cursor.json`) is ordered by `generated_timestamp`,
not `updated_at`: a ticket regenerated after its last update comes after tickets updated later.
Its `after_url` may not carry `include`, and sideloaded `metric_sets` come only with the pages
whose request asked for them. Nothing may be lost and no metric may be silently empty.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from orchestration.lib.extract import ExtractRun
from orchestration.lib.http import HttpSettings
from orchestration.lib.landing import landing_path, rejects_path
from orchestration.sources.zendesk import extract as zendesk
from tests.sources import loopback
from tests.sources.conftest import DAY, read_landed

PATH = "/api/v2/incremental/tickets/cursor.json"
DAYS = [DAY - timedelta(days=1), DAY]  # 2026-03-01 and 2026-03-02, Europe/Paris


def _ticket(ticket_id: int, updated: str, generated: str | None = None) -> dict[str, Any]:
    stamp = int(datetime.fromisoformat(generated or updated).timestamp())
    return {
        "id": ticket_id,
        "created_at": "2026-02-27T10:00:00Z",
        "updated_at": updated,
        "generated_timestamp": stamp,
        "status": "solved",
        "subject": "Où est ma commande ?",
        "via": {"channel": "email", "source": {"from": {"address": "a@example.org"}}},
        "tags": ["reason_delivery"],
        "custom_fields": [],
        "satisfaction_rating": {"score": "good"},
    }


def _metric_set(ticket_id: int) -> dict[str, Any]:
    """Distinct values per ticket, so a metric landed on the wrong ticket shows."""
    return {
        "ticket_id": ticket_id,
        "reply_time_in_minutes": {"calendar": ticket_id, "business": ticket_id // 2},
        "full_resolution_time_in_minutes": {"calendar": 10 * ticket_id, "business": 5 * ticket_id},
        "reopens": ticket_id % 3,
        "replies": ticket_id % 5,
    }


#: Export order (generated_timestamp). Range days in Paris: [2026-02-28T23:00Z, 2026-03-02T23:00Z).
PAGES = [
    [
        _ticket(101, "2026-03-01T08:00:00Z"),
        _ticket(102, "2026-03-02T09:00:00Z"),
        _ticket(103, "2026-03-03T07:00:00Z"),  # the day after the range
    ],
    [
        _ticket(104, "2026-03-01T10:00:00Z", "2026-03-03T08:00:00Z"),  # regenerated later
        _ticket(105, "2026-02-28T12:00:00Z", "2026-03-03T09:00:00Z"),  # updated before the range
    ],
    [_ticket(106, "2026-03-02T20:00:00Z", "2026-03-03T10:00:00Z")],
]
EXPECTED = {DAYS[0]: [101, 104], DAYS[1]: [102, 106]}


class ExportEndpoint:
    """Pages by `cursor`; `after_url` drops `include`; metric sets only when `include` asks."""

    def __init__(self, server: HTTPServer, without_metric_set: int | None = None):
        self.server, self.without_metric_set = server, without_metric_set
        self.requests: list[dict[str, str]] = []
        server.expect_request(PATH).respond_with_handler(self._handle)

    def _handle(self, request: Request) -> Response:
        self.requests.append(dict(request.args))
        page = int(request.args.get("cursor", "0"))
        tickets = PAGES[page]
        last = page == len(PAGES) - 1
        body: dict[str, Any] = {
            "tickets": tickets,
            "after_url": None if last else f"{self.server.url_for(PATH)}?cursor={page + 1}",
            "after_cursor": None if last else str(page + 1),
            "before_url": None,
            "before_cursor": None,
            "end_of_stream": last,
        }
        if "metric_sets" in request.args.get("include", ""):
            wanted = [t["id"] for t in tickets if t["id"] != self.without_metric_set]
            body["metric_sets"] = [_metric_set(i) for i in wanted]
        return Response(json.dumps(body), 200, content_type="application/json")


@pytest.fixture
def run(warehouse: Path, fast_http: HttpSettings, httpserver: HTTPServer) -> Iterator[ExtractRun]:
    extract_run = loopback.live_run("zendesk", httpserver.url_for(""), warehouse, fast_http)
    yield extract_run
    extract_run.close()


def test_stream_read_to_its_end_lands_each_ticket_on_its_updated_day(
    httpserver: HTTPServer, run: ExtractRun, warehouse: Path
) -> None:
    endpoint = ExportEndpoint(httpserver)
    metadata = zendesk.extract_tickets(run, DAYS)
    assert len(endpoint.requests) == len(PAGES)
    landed = {d: read_landed(warehouse, "zendesk", "tickets", d).to_pylist() for d in DAYS}
    assert {d: sorted(r["ticket_id"] for r in rows) for d, rows in landed.items()} == EXPECTED
    assert metadata["tickets_outside_range"] == 2  # 103 (after), 105 (before)
    start = datetime(2026, 2, 28, 23, tzinfo=UTC)
    assert endpoint.requests[0]["start_time"] == str(int(start.timestamp()))


def test_include_holds_on_every_page_and_every_metric_lands(
    httpserver: HTTPServer, run: ExtractRun, warehouse: Path
) -> None:
    endpoint = ExportEndpoint(httpserver)
    zendesk.extract_tickets(run, DAYS)
    assert [r.get("include") for r in endpoint.requests] == ["metric_sets"] * len(PAGES)
    rows = [r for d in DAYS for r in read_landed(warehouse, "zendesk", "tickets", d).to_pylist()]
    assert len(rows) == 4
    for row in rows:
        served = _metric_set(row["ticket_id"])
        assert row["first_reply_minutes"] == served["reply_time_in_minutes"]["calendar"]
        assert row["first_reply_minutes_business"] == served["reply_time_in_minutes"]["business"]
        assert (
            row["full_resolution_minutes"] == served["full_resolution_time_in_minutes"]["calendar"]
        )
        assert (
            row["full_resolution_minutes_business"]
            == served["full_resolution_time_in_minutes"]["business"]
        )
        assert (row["reopens"], row["replies"]) == (served["reopens"], served["replies"])
        assert "a@example.org" not in row["payload"] and "commande" not in row["payload"]


def test_ticket_without_its_metric_set_is_an_error_naming_it(
    httpserver: HTTPServer, run: ExtractRun, warehouse: Path
) -> None:
    ExportEndpoint(httpserver, without_metric_set=104)
    with pytest.raises(zendesk.MissingMetricSet, match="ticket 104"):
        zendesk.extract_tickets(run, DAYS)
    for day in DAYS:  # nothing of the range lands half-done
        assert not landing_path(warehouse, "zendesk", "tickets", day).exists()


def test_rerunning_the_range_lands_byte_identical_files(
    httpserver: HTTPServer, run: ExtractRun, warehouse: Path
) -> None:
    ExportEndpoint(httpserver)
    paths = [
        f(warehouse, "zendesk", "tickets", d) for d in DAYS for f in (landing_path, rejects_path)
    ]
    zendesk.extract_tickets(run, DAYS)
    first = [p.read_bytes() for p in paths]
    zendesk.extract_tickets(run, DAYS)
    assert [p.read_bytes() for p in paths] == first
