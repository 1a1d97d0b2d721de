"""RFID store stock (GS1 EPCIS 2.0 query interface): the stores' daily cycle counts.

Particular to EPCIS: `Link: rel="next"` paging, events whose items are SGTIN URNs, Digital Link
URIs or class-level quantity lists (all converted to GTIN-14 here), stores named by SGLN or
Digital Link `/414/`, and other business steps (receiving, shipping) that are not stock counts
and are ignored. The request asks for EPC URNs (`GS1-EPC-Format`), but a server may not
translate, so every identifier is parsed in both forms. A GTIN that is not in the latest landed
catalog is rejected; a valid store GLN is landed even when the `stores` seed does not list it
(dbt's dim_stores shows it with a warning).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from orchestration.lib.catalog import latest_catalog
from orchestration.lib.extract import ExtractRun, extract_asset
from orchestration.lib.gs1 import epc_class_to_gtin14, epc_to_gtin14, location_to_gln13
from orchestration.lib.http import bearer_auth
from orchestration.lib.landing import (
    DayLanding,
    InvalidRecord,
    parse_utc,
    required,
    to_json,
)
from orchestration.lib.pagination import link_header_pages
from orchestration.lib.partitions import day_bounds_utc, iso_utc
from orchestration.sources.rfid.landing import DATASETS, SOURCE

PAGE_SIZE = 500
CYCLE_COUNTING = "cycle_counting"
CBV_BIZSTEP = "urn:epcglobal:cbv:bizstep:"
#: The REST binding answers in Digital Link unless asked otherwise; URNs are the stable form.
REQUEST_HEADERS = {"GS1-EPCIS-Version": "2.0.0", "GS1-EPC-Format": "Always_EPC_URN"}
ITEM_UOM = "EA"  # UN/CEFACT "each": the only unit of measure that counts items


def catalog_gtins(warehouse_dir: Path) -> set[str]:
    """GTIN-14s of the latest landed catalog: what a counted item must be to be known."""
    column = latest_catalog(warehouse_dir, SOURCE, ["gtin14"]).column("gtin14")
    return {gtin for gtin in column.to_pylist() if gtin}


def biz_step(event: Mapping[str, Any]) -> str:
    """`cycle_counting` whether the event spells it short or as a CBV URN."""
    return str(event.get("bizStep") or "").removeprefix(CBV_BIZSTEP)


def event_id(event: Mapping[str, Any], event_time: Any) -> str:
    """The event's `eventID`, or one derived from what identifies the observation.

    `eventID` is optional in EPCIS 2.0. Without it, a hash of (event time, location, read point,
    EPCs, class quantities) names the event, so a page read twice still dedupes and a re-run
    lands the same id. The `ni:` form (RFC 6920) without CBV's `?ver=` marks it as ours, not
    the CBV canonical event hash.
    """
    given = event.get("eventID")
    if given:
        return str(given)
    quantities = sorted(
        (str(q.get("epcClass")), str(q.get("quantity")), str(q.get("uom")))
        for q in event.get("quantityList") or []
    )
    identity = [
        str(event_time),
        (event.get("bizLocation") or {}).get("id"),
        (event.get("readPoint") or {}).get("id"),
        sorted(str(epc) for epc in event.get("epcList") or []),
        quantities,
    ]
    return "ni:///sha-256;" + hashlib.sha256(to_json(identity).encode()).hexdigest()


def event_row(event: Mapping[str, Any]) -> dict[str, Any]:
    location = required(event.get("bizLocation") or {}, "id")
    try:
        store_gln = location_to_gln13(str(location))
    except ValueError as error:
        raise InvalidRecord("bizLocation.id", str(error)) from None
    event_time = parse_utc(required(event, "eventTime"), "eventTime")
    return {
        "event_id": event_id(event, event_time),
        "event_time": event_time,
        "event_time_zone_offset": event.get("eventTimeZoneOffset"),
        "biz_step": biz_step(event),
        "store_gln": store_gln,
        "read_point": (event.get("readPoint") or {}).get("id"),
        "payload": to_json(event),
    }


def item_count(item: Mapping[str, Any], event: str) -> int:
    """A quantityList element's `quantity` as a number of items, or why it is not one.

    EPCIS 2.0 quantities are decimals with an optional UN/CEFACT `uom`: only a whole number
    without a unit (or in `EA`) counts items; 200.5 KGM of a class is a weight, not stock units.
    """
    epc_class, uom, raw = item.get("epcClass"), item.get("uom"), item.get("quantity")
    if uom not in (None, ITEM_UOM):
        reason = f"event {event}: quantity of {epc_class} is in {uom!r}, not items ({ITEM_UOM})"
        raise InvalidRecord("quantityList.uom", reason)
    if raw is None:
        raise InvalidRecord("quantityList.quantity", f"event {event}: {epc_class} has no quantity")
    try:
        quantity = Decimal(str(raw))
    except InvalidOperation:
        quantity = Decimal("NaN")
    if not quantity.is_finite() or quantity != quantity.to_integral_value() or quantity < 0:
        reason = f"event {event}: quantity {str(raw)[:40]!r} of {epc_class} is not a count"
        raise InvalidRecord("quantityList.quantity", reason)
    return int(quantity)


def observations(
    event: Mapping[str, Any], parent: Mapping[str, Any], known: set[str]
) -> Iterator[dict[str, Any] | InvalidRecord]:
    """The event's items as observation rows, or an InvalidRecord for each item that cannot land.

    Class quantities are summed per GTIN: two lots of one GTIN are one stock line.
    """
    base = {k: parent[k] for k in ("event_id", "event_time", "store_gln", "read_point")}
    for epc in event.get("epcList") or []:
        try:
            gtin, serial = epc_to_gtin14(str(epc))
        except ValueError as error:
            yield InvalidRecord("epcList", str(error))
            continue
        if serial is None:
            yield InvalidRecord("epcList", f"EPC {epc} names no serial: a class, not an item")
            continue
        if gtin not in known:
            yield InvalidRecord("epcList", f"unknown GTIN {gtin} ({epc}): not in the catalog")
            continue
        yield {**base, "gtin14": gtin, "serial": serial, "quantity": 1}
    per_gtin: Counter[str] = Counter()
    for item in event.get("quantityList") or []:
        epc_class = str(item.get("epcClass"))
        try:
            gtin = epc_class_to_gtin14(epc_class)
            quantity = item_count(item, parent["event_id"])
        except InvalidRecord as invalid:
            yield invalid
            continue
        except ValueError as error:
            yield InvalidRecord("quantityList.epcClass", str(error))
            continue
        if gtin not in known:
            yield InvalidRecord("quantityList.epcClass", f"unknown GTIN {gtin} ({epc_class})")
            continue
        per_gtin[gtin] += quantity
    for gtin, quantity in per_gtin.items():
        yield {**base, "gtin14": gtin, "serial": None, "quantity": quantity}


def land_event(landing: DayLanding, event: Mapping[str, Any], known: set[str]) -> None:
    try:
        parent = event_row(event)
    except InvalidRecord as invalid:
        landing.reject("events", event.get("eventID"), invalid.field, invalid.reason, event)
        return
    landing.write("events", parent)
    for observation in observations(event, parent, known):
        if isinstance(observation, InvalidRecord):
            reason = observation.reason
            landing.reject("observations", parent["event_id"], observation.field, reason, event)
        else:
            landing.write("observations", observation)


def extract_rfid_counts(run: ExtractRun, days: list[date]) -> dict[str, Any]:
    """Cycle-counting events per shop day (UTC bounds), items checked against the catalog."""
    client = run.client(bearer_auth(run.settings.credentials["EPCIS_TOKEN"]))
    known = catalog_gtins(run.config.warehouse_dir)
    ignored = 0
    for day in days:
        start, end = day_bounds_utc(day, run.config.shop_timezone)
        params = {
            "eventType": "ObjectEvent",
            "EQ_bizStep": CYCLE_COUNTING,
            "GE_eventTime": iso_utc(start),
            "LT_eventTime": iso_utc(end),
            "perPage": PAGE_SIZE,
        }
        with run.day(day, DATASETS) as landing:
            for page in link_header_pages(client, "/events", params, REQUEST_HEADERS):
                body = (page.get("epcisBody") or {}).get("queryResults") or {}
                for event in (body.get("resultsBody") or {}).get("eventList") or []:
                    if biz_step(event) != CYCLE_COUNTING:
                        ignored += 1
                        continue
                    land_event(landing, event, known)
    return {"ignored_other_biz_steps": ignored, "catalog_gtins": len(known)}


rfid_counts = extract_asset(
    "rfid_counts",
    source=SOURCE,
    group="stores",
    description=(
        "RFID cycle counts of the stores (GS1 EPCIS 2.0 ObjectEvents): one row per event and "
        "one per item seen, EPCs converted to GTIN-14 and store SGLNs to GLN-13."
    ),
    deps=[["landing", "shop_catalog"]],
)(extract_rfid_counts)
