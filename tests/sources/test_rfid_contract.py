"""RFID extractor against GS1's EPCIS 2.0 artefacts: the official JSON schema and example forms.

The documents below are ours, modelled on GS1's official examples (github gs1/EPCIS):
`JSON/Example_9.6.1-ObjectEvent.jsonld` and `JSON/WithDigitalLinkID/Example_9.6.1-ObjectEvent
WithDigitalLink.jsonld` (SGTIN URNs and Digital Link items `/01/{gtin}/21/{serial}`, SGLN read
points), `Example_9.6.2-ObjectEvent.jsonld` / `...WithDigitalLink.jsonld` (class quantities:
`urn:epc:class:lgtin:4012345.012345.998877` = `/01/04012345123456/10/998877`, 200.5 KGM,
`urn:epc:idpat:sgtin:4012345.098765.*` = `/01/04012345987652`), `WithSensorData/SensorData
Example13.jsonld` (locations `https://id.gs1.org/414/9506000134307`), and the schema's own rule
that only `eventTime` and `eventTimeZoneOffset` are required (no `eventID`). They use GS1's
identifiers, with the counting bizStep, and are checked against the official schema first.

The loopback endpoint follows the REST binding: it answers Digital Link unless the request's
`GS1-EPC-Format` asks for `Always_EPC_URN`. Both answers are written out by hand, so the two
forms check each other without any of our conversion code producing the expected values.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from orchestration.lib.extract import ExtractRun
from orchestration.lib.http import HttpSettings
from orchestration.lib.landing import landing_path, rejects_path
from orchestration.sources.rfid import extract as rfid
from orchestration.sources.shop import catalog as catalog_src
from tests.sources import loopback
from tests.sources.conftest import DAY, read_landed, read_rejects
from tests.vendor import epcis_schema

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
STORE_GLN = "9506000134307"
OTHER_STORE_GLN = "0012345111112"  # urn:epc:id:sgln:0012345.11111.0 (GS1's example SGLN)
CATALOG = (
    "70614141123451",
    "04012345123456",
    "04012345987652",
    "04012345666663",
    "00614141777778",
    "10614141073464",
)


def _event(**fields: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "bizStep": "cycle_counting",
        "eventTimeZoneOffset": "+01:00",
        **fields,
    }


def _serialised(store: str, zone: str, items: list[str]) -> dict[str, Any]:
    return _event(
        eventID="ni:///sha-256;9fa42e8bf64e1cfe152d582a248646ce0ad2b0c6826c7e8ed95442a7a1545f33?ver=CBV2.0",
        eventTime="2026-03-02T08:15:00.000+01:00",
        bizLocation={"id": store},
        readPoint={"id": zone},
        epcList=items,
    )


def _classes(store: str, zone: str, lot_a: str, lot_b: str, plain: str, weighed: str) -> dict:
    """No eventID (optional), lots of one GTIN twice, a decimal count in EA, a weight in KGM."""
    return _event(
        eventTime="2026-03-02T08:40:00.000+01:00",
        bizLocation={"id": store},
        readPoint={"id": zone},
        quantityList=[
            {"epcClass": lot_a, "quantity": 10},
            {"epcClass": lot_b, "quantity": 2},
            {"epcClass": plain, "quantity": 4.0, "uom": "EA"},
            {"epcClass": weighed, "quantity": 200.5, "uom": "KGM"},
        ],
    )


#: Already in URN form on both answers: a URN-native reader, as in GS1's non-Digital-Link examples.
URN_NATIVE = _event(
    eventID="urn:uuid:5c1b3ed8-7f3e-4d52-9a0e-2f8b1a6c0d11",
    eventTime="2026-03-02T09:05:00.000+01:00",
    bizLocation={"id": "urn:epc:id:sgln:0012345.11111.0"},
    readPoint={"id": "urn:epc:id:sgln:0012345.11111.400"},
    epcList=["urn:epc:id:sgtin:0614141.107346.2017"],
    quantityList=[
        {"epcClass": "urn:epc:class:lgtin:0614141.077777.987", "quantity": 25},
        {"epcClass": "urn:epc:idpat:sgtin:4012345.066666.*", "quantity": 30},
        {"epcClass": "urn:epc:idpat:sgtin:4012345.098765.*", "quantity": 2.5},
    ],
)
SHIPPING = _event(
    eventTime="2026-03-02T15:00:00.000+01:00",
    bizStep="shipping",
    bizLocation={"id": "urn:epc:id:sgln:0012345.11111.0"},
    epcList=["urn:epc:id:sgtin:0614141.107346.2018"],
)

DIGITAL_LINK_EVENTS = [
    _serialised(
        f"https://id.gs1.org/414/{STORE_GLN}",
        f"https://id.gs1.org/414/{STORE_GLN}/254/SALESFLOOR",
        [
            "https://id.gs1.org/01/70614141123451/21/2017",
            "https://id.gs1.org/01/70614141123451/21/2018",
        ],
    ),
    _classes(
        f"https://id.gs1.org/414/{STORE_GLN}",
        f"https://id.gs1.org/414/{STORE_GLN}/254/BACKROOM",
        "https://id.gs1.org/01/04012345123456/10/998877",
        "https://id.gs1.org/01/04012345123456/10/998878",
        "https://id.gs1.org/01/04012345987652",
        "https://id.gs1.org/01/04012345123456/10/998877",
    ),
    URN_NATIVE,
    SHIPPING,
]
URN_EVENTS = [
    _serialised(
        "urn:epc:id:sgln:9506000.13430.0",
        "urn:epc:id:sgln:9506000.13430.SALESFLOOR",
        ["urn:epc:id:sgtin:0614141.712345.2017", "urn:epc:id:sgtin:0614141.712345.2018"],
    ),
    _classes(
        "urn:epc:id:sgln:9506000.13430.0",
        "urn:epc:id:sgln:9506000.13430.BACKROOM",
        "urn:epc:class:lgtin:4012345.012345.998877",
        "urn:epc:class:lgtin:4012345.012345.998878",
        "urn:epc:idpat:sgtin:4012345.098765.*",
        "urn:epc:class:lgtin:4012345.012345.998877",
    ),
    URN_NATIVE,
    SHIPPING,
]

#: (store GLN, GTIN-14, serial, quantity): what the counts above are, whatever their form.
EXPECTED_ITEMS = sorted(
    [
        (STORE_GLN, "70614141123451", "2017", 1),
        (STORE_GLN, "70614141123451", "2018", 1),
        (STORE_GLN, "04012345123456", None, 12),  # lots 998877 + 998878
        (STORE_GLN, "04012345987652", None, 4),
        (OTHER_STORE_GLN, "10614141073464", "2017", 1),
        (OTHER_STORE_GLN, "00614141777778", None, 25),
        (OTHER_STORE_GLN, "04012345666663", None, 30),
    ],
    key=str,
)


def _document(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-02T12:00:00.000Z",
        "epcisBody": {
            "queryResults": {
                "queryName": "SimpleEventQuery",
                "resultsBody": {"eventList": copy.deepcopy(events)},
            }
        },
    }


def _pages(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two pages; the event without eventID comes again on the second (a page read twice)."""
    return [_document(events[:2]), _document([events[1], *events[2:]])]


class EpcisEndpoint:
    """GET /events per the REST binding: `GS1-EPC-Format` picks the answer, Link pages it."""

    def __init__(self, server: HTTPServer, translates: bool = True):
        self.server, self.translates = server, translates
        self.requests: list[dict[str, str]] = []
        server.expect_request("/events").respond_with_handler(self._handle)

    def _handle(self, request: Request) -> Response:
        self.requests.append(dict(request.headers))
        asked = request.headers.get("GS1-EPC-Format", "Always_GS1_Digital_Link")
        urn = self.translates and asked == "Always_EPC_URN"
        pages = _pages(URN_EVENTS if urn else DIGITAL_LINK_EVENTS)
        page = int(request.args.get("nextPageToken", "0"))
        headers = {
            "GS1-EPCIS-Version": "2.0.0",
            "GS1-EPC-Format": "Always_EPC_URN" if urn else "Always_GS1_Digital_Link",
        }
        if page + 1 < len(pages):
            headers["Link"] = (
                f'<{self.server.url_for("/events")}?nextPageToken={page + 1}>; rel="next"'
            )
        body = json.dumps(pages[page])
        return Response(body, 200, headers, content_type="application/json")


@pytest.fixture
def live_run(
    warehouse: Path, fast_http: HttpSettings, httpserver: HTTPServer
) -> Iterator[Callable[[str], ExtractRun]]:
    """ExtractRuns in live mode on the loopback server, with a catalog of the GTINs landed."""
    runs: list[ExtractRun] = []

    def make(source: str) -> ExtractRun:
        runs.append(loopback.live_run(source, httpserver.url_for(""), warehouse, fast_http))
        return runs[-1]

    snapshot = datetime(2026, 3, 2, 6, tzinfo=UTC)
    with make("shop").day(DAY, catalog_src.CATALOG_DATASETS) as landing:
        for n, gtin in enumerate(CATALOG):
            row = {"variant_id": str(n), "sku": f"SKU-{n}", "product_id": str(n), "payload": "{}"}
            landing.write("product_variants", {**row, "gtin14": gtin, "snapshot_at": snapshot})
    yield make
    for run in runs:
        run.close()


def _landed_items(warehouse: Path) -> list[tuple]:
    rows = read_landed(warehouse, "rfid", "observations").to_pylist()
    return sorted(
        ((r["store_gln"], r["gtin14"], r["serial"], r["quantity"]) for r in rows), key=str
    )


def _extract(live_run: Callable[[str], ExtractRun]) -> ExtractRun:
    run = live_run("rfid")
    rfid.extract_rfid_counts(run, [DAY])
    return run


def test_example_documents_are_valid_per_gs1_schema() -> None:
    validator = Draft7Validator(epcis_schema(), format_checker=Draft7Validator.FORMAT_CHECKER)
    for page in [*_pages(DIGITAL_LINK_EVENTS), *_pages(URN_EVENTS)]:
        assert [e.message for e in validator.iter_errors(page)] == []


def test_asks_for_epc_urns_and_lands_every_item(
    httpserver: HTTPServer, live_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    endpoint = EpcisEndpoint(httpserver)
    _extract(live_run)
    assert len(endpoint.requests) == 2
    for headers in endpoint.requests:
        assert headers["Gs1-Epc-Format"] == "Always_EPC_URN"
        assert headers["Gs1-Epcis-Version"] == "2.0.0"
    assert _landed_items(warehouse) == EXPECTED_ITEMS


def test_digital_link_answer_lands_the_same_items(
    httpserver: HTTPServer, live_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    """A server that answers its default (Digital Link) whatever the request asks."""
    EpcisEndpoint(httpserver, translates=False)
    _extract(live_run)
    assert _landed_items(warehouse) == EXPECTED_ITEMS
    events = read_landed(warehouse, "rfid", "events").to_pylist()
    assert sorted(e["store_gln"] for e in events) == [OTHER_STORE_GLN, STORE_GLN, STORE_GLN]
    assert f"https://id.gs1.org/414/{STORE_GLN}/254/BACKROOM" in {e["read_point"] for e in events}


def test_event_without_event_id_gets_a_stable_id_and_dedupes(
    httpserver: HTTPServer, live_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    EpcisEndpoint(httpserver)
    run = _extract(live_run)
    events = read_landed(warehouse, "rfid", "events").to_pylist()
    assert len(events) == 3 and run.totals.duplicates["events"] == 1  # read twice, landed once
    derived = [e["event_id"] for e in events if e["event_id"].startswith("ni:///sha-256;")]
    assert len(derived) == 2 and derived[0] != derived[1]  # the given ni: id is kept as is
    assert not any(
        r["field"] == "eventID" for r in read_rejects(warehouse, "rfid", "events").to_pylist()
    )


def test_quantities_that_are_not_item_counts_are_rejected_with_reason(
    httpserver: HTTPServer, live_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    EpcisEndpoint(httpserver)
    _extract(live_run)
    rejects = read_rejects(warehouse, "rfid", "observations").to_pylist()
    by_field = {r["field"]: r for r in rejects}
    assert set(by_field) == {"quantityList.uom", "quantityList.quantity"}
    weight, fraction = by_field["quantityList.uom"], by_field["quantityList.quantity"]
    assert "'KGM'" in weight["reason"] and weight["record_id"] in weight["reason"]
    assert weight["record_id"].startswith("ni:///sha-256;")
    assert "'2.5'" in fraction["reason"]
    assert fraction["record_id"] == URN_NATIVE["eventID"] in fraction["reason"]


def test_items_must_be_instances_and_quantities_present() -> None:
    """An epcList entry without serial (a lot, a class) is no item; a class needs a quantity."""
    event = _event(
        eventTime="2026-03-02T08:15:00.000+01:00",
        bizLocation={"id": f"https://id.gs1.org/414/{STORE_GLN}"},
        epcList=["https://id.gs1.org/01/04012345123456/10/998877"],
        quantityList=[{"epcClass": "https://id.gs1.org/01/04012345987652"}],
    )
    parent = rfid.event_row(event)
    rejected = list(rfid.observations(event, parent, set(CATALOG)))
    assert [(r.field, r.reason) for r in rejected] == [
        (
            "epcList",
            "EPC https://id.gs1.org/01/04012345123456/10/998877 names no serial: "
            "a class, not an item",
        ),
        (
            "quantityList.quantity",
            f"event {parent['event_id']}: https://id.gs1.org/01/04012345987652 has no quantity",
        ),
    ]


def test_cbv_urn_biz_step_is_the_same_step() -> None:
    """EPCIS 1.x servers spell the step as a CBV URN: still a cycle count."""
    assert (
        rfid.biz_step({"bizStep": "urn:epcglobal:cbv:bizstep:cycle_counting"}) == "cycle_counting"
    )
    assert rfid.biz_step({"bizStep": "cycle_counting"}) == "cycle_counting"


def test_rerunning_a_day_lands_byte_identical_files(
    httpserver: HTTPServer, live_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    EpcisEndpoint(httpserver)
    paths = [
        f(warehouse, "rfid", dataset, DAY)
        for f in (landing_path, rejects_path)
        for dataset in ("events", "observations")
    ]
    _extract(live_run)
    first = [p.read_bytes() for p in paths]
    _extract(live_run)
    assert [p.read_bytes() for p in paths] == first
