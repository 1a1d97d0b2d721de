"""Faults on demand: each kind, deterministic, switchable at runtime."""

from __future__ import annotations

import json
import time
from datetime import date

import requests

from simulator import FaultConfig, SimulatorServer
from simulator.faults import EXTRA_FIELD
from tests.simulator.conftest import Client, day_filter, make_config
from tests.simulator.test_zendesk_ga4 import REPORT, START

DAY = day_filter("2025-03-01T23:00:00Z", "2025-03-02T23:00:00Z")
ORDERS = f'{{ orders(first: 20, query: "{DAY}") {{ nodes {{ id }} }} }}'


def test_rate_limits_speak_each_vendors_language(private: tuple[SimulatorServer, Client]) -> None:
    sim, c = private
    sim.set_faults(FaultConfig(rate_limit_every=1))
    body = c.shop(ORDERS)
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    r = c.google("SELECT campaign.id FROM campaign WHERE segments.date = '2025-03-02'")
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    r = c.session.get(c.meta_url(), params={"access_token": "EAADemoMetaAccessToken"})
    assert r.status_code == 400 and r.json()["error"]["code"] in (17, 613)
    assert "X-Business-Use-Case-Usage" in r.headers
    for r in (c.epcis(), c.zendesk(start_time=START), c.ga4(REPORT)):
        assert r.status_code == 429 and r.headers["Retry-After"] == "1"


def test_every_nth_request_fails_so_retries_get_through(
    private: tuple[SimulatorServer, Client],
) -> None:
    sim, c = private
    sim.set_faults(FaultConfig(server_error_every=2, sources=frozenset({"zendesk"})))
    statuses = [c.zendesk(start_time=START, per_page=1).status_code for _ in range(4)]
    assert statuses == [200, 503, 200, 503]
    assert c.ga4(REPORT).status_code == 200  # other sources untouched


def test_slow_responses(private: tuple[SimulatorServer, Client]) -> None:
    sim, c = private
    sim.set_faults(FaultConfig(delay_seconds=0.3, sources=frozenset({"ga4"})))
    start = time.monotonic()
    assert c.ga4(REPORT).status_code == 200
    assert time.monotonic() - start >= 0.3


def test_malformed_records_duplicates_and_unknown_fields(
    private: tuple[SimulatorServer, Client],
) -> None:
    sim, c = private
    clean = [o for o, _ in c.orders(DAY)]
    sim.set_faults(FaultConfig(malformed_rate=0.3, duplicate_rate=0.1, extra_fields=True))
    faulty = [o for o, _ in c.orders(DAY)]
    assert len(faulty) > len(clean)  # duplicates
    assert all(EXTRA_FIELD in o for o in faulty)
    assert any("id" not in o for o in faulty)
    lines = [line for o in faulty for line in o["lineItems"]["nodes"]]
    assert any(line["quantity"] < 0 for line in lines)
    assert any(line["sku"] == "UNKNOWN-SKU-0000" for line in lines)
    assert any(o.get("createdAt", "").startswith("2025-13") for o in faulty)
    again = [o for o, _ in c.orders(DAY)]
    assert json.dumps(again) == json.dumps(faulty)  # deterministic


def test_the_same_records_are_corrupted_whatever_the_port() -> None:
    """Fault decisions hash a record's key: two servers (two ports) corrupt the same records.

    The Zendesk key once was the ticket URL, which holds the port: a test expecting rejects got
    none when its server happened to listen on a port that left every ticket clean.
    """
    faults = FaultConfig(malformed_rate=0.5, sources=frozenset({"zendesk"}))
    served = []
    for _ in range(2):
        with SimulatorServer(make_config(faults=faults)) as sim:
            tickets, _, _ = Client(sim.url, requests.Session()).zendesk_all(START)
            served.append(
                (sim.url, [(t.get("id"), t["created_at"], t["updated_at"]) for t in tickets])
            )
    (first_url, first), (second_url, second) = served
    assert first_url != second_url
    assert any(ticket_id is None for ticket_id, _, _ in first)  # some tickets are corrupted
    assert first == second


def test_epcis_invalid_records(private: tuple[SimulatorServer, Client]) -> None:
    sim, c = private
    sim.set_faults(FaultConfig(malformed_rate=1.0, sources=frozenset({"epcis"})))
    events, _ = c.epcis_all(
        "Always_EPC_URN",
        perPage=50,
        GE_eventTime="2025-03-01T00:00:00Z",
        LT_eventTime="2025-03-08T00:00:00Z",
    )
    text = json.dumps(events)
    assert "3012345.99999.0" in text  # unknown store
    assert "3012345.099999" in text  # unknown GTIN
    assert any("eventID" not in e for e in events)
    assert any(e.get("eventTime") == "02/03/2025 07:15" for e in events)


def test_bad_days(private: tuple[SimulatorServer, Client]) -> None:
    sim, c = private
    created = "created_at:>='2025-03-01T23:00:00Z' AND created_at:<'2025-03-02T23:00:00Z'"
    usual = sum(1 for _ in c.orders(created))
    sim.set_faults(FaultConfig(bad_days={date(2025, 3, 2): "low_volume"}))
    low = sum(1 for _ in c.orders(created))
    assert 0 < low < 0.15 * usual
    sim.set_faults(FaultConfig(bad_days={date(2025, 3, 2): "negative_prices"}))
    orders = [o for o, _ in c.orders(created)]
    assert len(orders) == usual
    prices = [line for o in orders for line in o["lineItems"]["nodes"]]
    assert prices and all("quantity" in p for p in prices)
    query = f'{{ order(id: "{orders[0]["id"]}") {{ id }} }}'
    amount = c.shop(query)["data"]["order"]["lineItems"]["nodes"][0]["originalUnitPriceSet"]
    assert amount["shopMoney"]["amount"].startswith("-")
