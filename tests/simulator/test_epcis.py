"""EPCIS: cycle counts that join the catalog (GTINs) and the stores (SGLNs)."""

from __future__ import annotations

import csv
import re

from jsonschema import Draft7Validator

from orchestration.lib import gs1
from simulator import SimulatorConfig
from simulator.gs1 import check_digit
from simulator.world import build_world
from tests.simulator.conftest import Client
from tests.simulator.test_world import SEED_STORES
from tests.vendor import epcis_schema

DAY = {"GE_eventTime": "2025-03-03T00:00:00+01:00", "LT_eventTime": "2025-03-04T00:00:00+01:00"}
WEEK = {"GE_eventTime": "2025-03-03T00:00:00+01:00", "LT_eventTime": "2025-03-10T00:00:00+01:00"}


def gtin_of(epc: str) -> str:
    """GTIN-14 of an SGTIN URN, a Digital Link URI, or a class pattern (TDS rules)."""
    if m := re.match(r"https://id\.gs1\.org/01/(\d{14})", epc):
        return m.group(1)
    m = re.match(r"urn:epc:(?:id|idpat):sgtin:(\d+)\.(\d+)\.", epc)
    assert m, epc
    prefix, ref = m.groups()
    body = ref[0] + prefix + ref[1:]
    return body + check_digit(body)


def test_cycle_counts_page_and_join_catalog_and_stores(client: Client) -> None:
    """The stores' own identifier forms (untranslated) all name catalog GTINs and seed stores."""
    events, pages = client.epcis_all(
        "Never_Translates", eventType="ObjectEvent", EQ_bizStep="cycle_counting", perPage=9, **WEEK
    )
    assert pages >= 3
    world = build_world(SimulatorConfig())
    gtins = set(world.catalog.gtin14)
    with SEED_STORES.open() as f:
        glns = {row["gln"] for row in csv.DictReader(f)}
    seen_formats = set()
    for e in events:
        assert e["type"] == "ObjectEvent" and e["action"] == "OBSERVE"
        assert e["bizStep"] == "cycle_counting"  # CBV 2.0 bare form, as the 2.0 schema has it
        assert e["eventTimeZoneOffset"] in ("+01:00", "+02:00")
        m = re.fullmatch(r"urn:epc:id:sgln:(\d{7})\.(\d{5})\.0", e["bizLocation"]["id"])
        assert m and m.group(1) + m.group(2) + check_digit(m.group(1) + m.group(2)) in glns
        assert e["readPoint"]["id"].endswith(("SALESFLOOR", "BACKROOM"))
        epcs = e.get("epcList") or [q["epcClass"] for q in e["quantityList"]]
        assert {gtin_of(x) for x in epcs} <= gtins
        seen_formats |= {"quantity" if "quantityList" in e else epcs[0][:8]}
    assert seen_formats == {"urn:epc:", "https://", "quantity"}


def _identifiers(events: list[dict]) -> list[str]:
    return [
        x
        for e in events
        for x in (
            *e.get("epcList", []),
            *(q["epcClass"] for q in e.get("quantityList", [])),
            e["readPoint"]["id"],
            e["bizLocation"]["id"],
        )
    ]


def test_epc_format_header_defaults_to_digital_link(client: Client) -> None:
    """REST binding: without GS1-EPC-Format, EPCs come as GS1 Digital Link; URNs on request."""
    query = {"EQ_bizStep": "cycle_counting", "perPage": 50, **DAY}
    default, _ = client.epcis_all(**query)
    urns, _ = client.epcis_all("Always_EPC_URN", **query)
    assert client.epcis(**query).headers["GS1-EPC-Format"] == "Always_GS1_Digital_Link"
    assert len(default) == len(urns) > 3
    dl, urn = _identifiers(default), _identifiers(urns)
    assert all(x.startswith("https://id.gs1.org/") for x in dl)
    assert all(
        x.startswith(("urn:epc:id:sgtin:", "urn:epc:idpat:sgtin:", "urn:epc:id:sgln:")) for x in urn
    )
    # the two answers name the same things: checked with the pipeline's own GS1 parser
    assert [gs1.location_to_gln13(e["bizLocation"]["id"]) for e in default] == [
        gs1.location_to_gln13(e["bizLocation"]["id"]) for e in urns
    ]
    items = [
        (gs1.epc_to_gtin14(a), gs1.epc_to_gtin14(b))
        for a, b in zip(dl, urn, strict=True)
        if "/01/" in a and "/21/" in a
    ]
    assert items and all(a == b for a, b in items)
    assert client.epcis("Sometimes_URN", **query).status_code == 400


def test_other_biz_steps_only_without_filter(client: Client) -> None:
    everything, _ = client.epcis_all(
        perPage=50, GE_eventTime="2025-03-01T00:00:00Z", LT_eventTime="2025-03-08T00:00:00Z"
    )
    steps = {e["bizStep"] for e in everything}
    assert {"cycle_counting", "receiving"} <= steps


def test_link_header_and_auth(client: Client) -> None:
    r = client.epcis(perPage=2, EQ_bizStep="cycle_counting", **DAY)
    assert r.headers["GS1-EPCIS-Version"] == "2.0.0"
    assert r.json()["type"] == "EPCISQueryDocument"
    assert "nextPageToken=" in r.links["next"]["url"]
    assert client.session.get(f"{client.url}/epcis/events").status_code == 401


def test_slow_lines_sit_still(client: Client) -> None:
    """A month apart, many (store, GTIN) class counts are unchanged: the picking candidates."""
    from simulator.stock import build_shelf

    world = build_world(SimulatorConfig())
    shelf = build_shelf(world, 1)
    a, b = shelf.on_hand(42, 739300), shelf.on_hand(42, 739330)
    still = (a == b) & shelf.slow & (a > 1)
    assert still.sum() > 10
    assert ((a != b) & ~shelf.slow).sum() > 10


def test_pages_validate_against_gs1_schema(client: Client) -> None:
    """Every /events page, in each EPC format, is a valid EPCISQueryDocument per GS1's schema."""
    validator = Draft7Validator(epcis_schema(), format_checker=Draft7Validator.FORMAT_CHECKER)
    for epc_format in (None, "Always_EPC_URN", "Never_Translates"):
        pages = client.epcis_pages(epc_format, perPage=7, **DAY)
        assert len(pages) > 2
        for page in pages:
            errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(page)]
            assert errors == [], (epc_format, errors[:3])
