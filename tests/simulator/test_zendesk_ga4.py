"""Zendesk incremental export and GA4 runReport."""

from __future__ import annotations

import json
from datetime import date, datetime

from simulator import SimulatorConfig
from simulator.orders import OrderBook
from simulator.world import build_world
from simulator.zendesk import ORDER_NUMBER_FIELD_ID
from tests.simulator.conftest import CANARY, Client

START = 1740870000  # 2025-03-01T23:00:00Z


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


def test_tickets_stream_to_end_sorted_with_metric_sets(client: Client) -> None:
    """Zendesk's order: by generated_timestamp, which some tickets have after their updated_at."""
    tickets, metrics, pages = client.zendesk_all(START)
    assert pages >= 3
    stamps = [(t["generated_timestamp"], t["id"]) for t in tickets]
    assert stamps == sorted(stamps) and stamps[0][0] >= START
    assert stamps[-1][0] <= 1741607940  # 2025-03-10T11:59:00Z: the last minute is not exported
    updated = [t["updated_at"] for t in tickets]
    assert updated != sorted(updated)  # updated_at out of export order
    late = [t for t in tickets if _epoch(t["updated_at"]) < t["generated_timestamp"]]
    assert 0.05 < len(late) / len(tickets) < 0.3
    assert {m["ticket_id"] for m in metrics} == {t["id"] for t in tickets}
    reasons = [tag for t in tickets for tag in t["tags"] if tag.startswith("reason_")]
    logistics = sum(
        r
        in (
            "reason_delivery",
            "reason_tracking",
            "reason_return",
            "reason_damaged",
            "reason_exchange",
        )
        for r in reasons
    )
    assert logistics / len(reasons) > 0.6
    assert {t["via"]["channel"] for t in tickets} >= {"email", "web"}


def test_ticket_order_numbers_are_real_orders(client: Client) -> None:
    tickets, _, _ = client.zendesk_all(START)
    names = [
        f["value"]
        for t in tickets
        for f in t["custom_fields"]
        if f["id"] == ORDER_NUMBER_FIELD_ID and f["value"]
    ]
    assert len(names) > 0.7 * len(tickets)
    query = '{ order(id: "gid://shopify/Order/%d") { id } }'
    for name in names[:10]:
        order = client.shop(query % (5_500_000_000_000 + int(name[1:])))["data"]["order"]
        assert order["name"] == name


def test_raw_tickets_carry_the_pii_canary(client: Client) -> None:
    r = client.zendesk(start_time=START, per_page=5)
    assert CANARY in r.text
    ticket = r.json()["tickets"][0]
    assert CANARY in ticket["subject"] and CANARY in ticket["via"]["source"]["from"]["name"]


def test_zendesk_auth_and_recent_start(client: Client) -> None:
    r = client.session.get(
        f"{client.url}/zendesk/api/v2/incremental/tickets/cursor.json",
        params={"start_time": START},
        auth=("x/token", "y"),
    )
    assert r.status_code == 401
    assert client.zendesk(start_time=1741608000).status_code == 422  # now itself


REPORT = {
    "dateRanges": [{"startDate": "2025-03-01", "endDate": "2025-03-07"}],
    "dimensions": [
        {"name": n} for n in ("date", "sessionSource", "sessionMedium", "sessionCampaignName")
    ],
    "metrics": [{"name": n} for n in ("sessions", "totalUsers", "addToCarts")],
}


def test_ga4_pages_with_offset_and_matches_orders(client: Client) -> None:
    first = client.ga4({**REPORT, "limit": 10}).json()
    total, rows, offset = first["rowCount"], [], 0
    while offset < total:
        page = client.ga4({**REPORT, "limit": 10, "offset": offset}).json()["rows"]
        assert len(page) == 4  # capped by the simulator's page size
        rows += page
        offset += len(page)
    assert len(rows) == total > 100
    assert all(
        len(r["dimensionValues"]) == 4 and r["dimensionValues"][0]["value"].isdigit() for r in rows
    )
    sessions = sum(int(r["metricValues"][0]["value"]) for r in rows)
    book = OrderBook(build_world(SimulatorConfig()))
    orders = sum(len(book.day(date(2025, 3, d))) for d in range(1, 8))
    assert 0.015 < orders / sessions < 0.04
    sources = {(r["dimensionValues"][1]["value"], r["dimensionValues"][2]["value"]) for r in rows}
    assert {("google", "cpc"), ("(direct)", "(none)"), ("newsletter", "email")} <= sources


def test_ga4_errors(client: Client) -> None:
    bad = {**REPORT, "metrics": [{"name": "revenue"}]}
    assert client.ga4(bad).status_code == 400
    r = client.session.post(
        f"{client.url}/ga4/v1beta/properties/1:runReport", data=json.dumps(REPORT)
    )
    assert r.status_code == 401
