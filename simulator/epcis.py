"""GS1 EPCIS 2.0 query interface: the stores' RFID cycle counts as ObjectEvents.

Each counting morning a store emits one OBSERVE event per zone (sales floor, backroom) listing
what the readers saw: serialised SGTIN URNs, GS1 Digital Link URIs, or class-level quantityLists
(always at the large scale, for volume). Formats, bizStep spellings and time notations vary by
store, as they do across real RFID vendors; like an EPCIS 2.0 repository, the query interface
translates them on the REST binding's `GS1-EPC-Format` header (Digital Link when it is absent,
URNs on `Always_EPC_URN`, the stores' own forms on `No_Preference` / `Never_Translates`), and
speaks CBV 2.0's bare vocabulary (`cycle_counting`). Receiving and shipping events exist too;
they are served only to queries without `EQ_bizStep` (or asking for them), so an extractor that
filters on `cycle_counting` never sees them and one that does not must drop them itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import numpy as np

from simulator.api import (
    ApiRequest,
    ApiResponse,
    BadRequest,
    decode_cursor,
    encode_cursor,
    json_response,
)
from simulator.faults import Faults, Record
from simulator.gs1 import COMPANY_PREFIX, to_digital_link, to_epc_urn
from simulator.orders import LruCache
from simulator.rng import Stream, hash64, uniform
from simulator.stock import StoreShelf, build_shelf, counts_today
from simulator.world import World

CBV_BIZSTEP = "urn:epcglobal:cbv:bizstep:"
EPC_FORMATS = {
    "Always_GS1_Digital_Link": to_digital_link,
    "Always_EPC_URN": to_epc_urn,
    "No_Preference": None,
    "Never_Translates": None,
}
DEFAULT_EPC_FORMAT = "Always_GS1_Digital_Link"  # the REST binding's default when absent
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
ZONES = (("SALESFLOOR", "sellable_accessible"), ("BACKROOM", "sellable_not_accessible"))
FLOOR_SHARE = 0.65
CROSS_READ_SHARE = 0.01  # tags read from both zones: stock counts distinct serials
UNKNOWN_STORE = f"urn:epc:id:sgln:{COMPANY_PREFIX}.99999.0"
UNKNOWN_EPC = f"urn:epc:id:sgtin:{COMPANY_PREFIX}.099999.1"


def _serials(store: int, cycle: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """Serial numbers unique per (store, replenishment cycle, unit) for a GTIN."""
    return (store * 10_000 + cycle % 10_000) * 100 + unit


class EpcisApi:
    def __init__(self, world: World, faults: Faults) -> None:
        self.world, self.faults = world, faults
        self.shelves = [build_shelf(world, s.number) for s in world.stores]
        self._days: LruCache[date, list[Record]] = LruCache(64)

    # --- event generation -------------------------------------------------------------------

    def events_of_day(self, day: date) -> list[Record]:
        """All events of a local day (every bizStep), sorted by time; cached."""
        return self._days.get(day, lambda: self._generate(day))

    def _generate(self, day: date) -> list[Record]:
        events: list[tuple[int, Record]] = []
        seed, ordinal = self.world.config.seed, day.toordinal()
        for shelf in self.shelves:
            store = self.world.stores[shelf.store - 1]
            if not counts_today(seed, shelf.store, ordinal, day.weekday()):
                continue
            start = 7 * 3600 + int(uniform(seed, Stream.STORE_DAY, shelf.store, ordinal, 2) * 5400)
            for z, (zone, disposition) in enumerate(ZONES):
                t = int(self.world.calendar.local_to_epoch(day, np.array([start + z * 1500]))[0])
                body = self._observations(shelf, ordinal, z)
                events.append(
                    (
                        t,
                        self._event(
                            store.number,
                            t,
                            "cycle_counting",
                            "OBSERVE",
                            store.sgln,
                            zone,
                            disposition,
                            body,
                        ),
                    )
                )
            events.extend(self._other_events(shelf, day))
        events.sort(key=lambda e: (e[0], e[1]["eventID"]))
        return [e for _, e in events]

    def _format(self, store: int, ordinal: int) -> str:
        if self.world.config.sizes.rfid_quantity_lists_only:
            return "quantity"
        u = float(uniform(self.world.config.seed, Stream.STORE_DAY, store, ordinal, 3))
        return "sgtin" if u < 0.5 else ("digital_link" if u < 0.75 else "quantity")

    def _units(
        self, shelf: StoreShelf, ordinal: int, zone: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(sku, cycle, unit) of every tag the zone's readers see on that morning."""
        seed = self.world.config.seed
        cycle, _ = shelf.cycle(ordinal)
        sold = shelf.sold(seed, ordinal)
        counts = shelf.capacity - sold
        pair = np.repeat(np.arange(len(shelf.sku)), counts)
        unit = np.arange(len(pair)) - np.repeat(np.cumsum(counts) - counts, counts) + sold[pair]
        u = uniform(seed, Stream.STORE, shelf.store, shelf.sku[pair], cycle[pair], unit)
        on_floor = u < FLOOR_SHARE
        cross = uniform(seed, Stream.STORE, shelf.store, shelf.sku[pair], cycle[pair], unit, 7)
        seen = on_floor if zone == 0 else (~on_floor | (cross < CROSS_READ_SHARE))
        return shelf.sku[pair[seen]], cycle[pair[seen]], unit[seen]

    def _observations(self, shelf: StoreShelf, ordinal: int, zone: int) -> Record:
        cat = self.world.catalog
        sku, cycle, unit = self._units(shelf, ordinal, zone)
        serial = _serials(shelf.store, cycle, unit).tolist()
        fmt = self._format(shelf.store, ordinal)
        if fmt == "sgtin":
            return {
                "epcList": [
                    cat.sgtin_prefix[k] + str(s) for k, s in zip(sku.tolist(), serial, strict=True)
                ]
            }
        if fmt == "digital_link":
            return {
                "epcList": [
                    f"https://id.gs1.org/01/{cat.gtin14[k]}/21/{s}"
                    for k, s in zip(sku.tolist(), serial, strict=True)
                ]
            }
        skus, qty = np.unique(sku, return_counts=True)
        digital = shelf.store % 4 == 0
        return {
            "quantityList": [
                {
                    "epcClass": f"https://id.gs1.org/01/{cat.gtin14[k]}"
                    if digital
                    else cat.sgtin_prefix[k].replace(":id:sgtin:", ":idpat:sgtin:") + "*",
                    "quantity": int(q),
                }
                for k, q in zip(skus.tolist(), qty.tolist(), strict=True)
            ]
        }

    def _other_events(self, shelf: StoreShelf, day: date) -> list[tuple[int, Record]]:
        """Receipts on refill days, and now and then a transfer out: noise for the extractor."""
        seed, ordinal, cat = self.world.config.seed, day.toordinal(), self.world.catalog
        cycle, t = shelf.cycle(ordinal)
        refilled = np.flatnonzero((t == 0) & ~shelf.slow)
        store = self.world.stores[shelf.store - 1]
        out = []
        if len(refilled) and day.weekday() != 6:
            epcs = [
                cat.sgtin_prefix[int(shelf.sku[p])] + str(int(_serials(shelf.store, cycle[p], j)))
                for p in refilled[:20]
                for j in range(int(shelf.capacity[p]))
            ]
            when = int(self.world.calendar.local_to_epoch(day, np.array([11 * 3600]))[0])
            out.append(
                (
                    when,
                    self._event(
                        store.number,
                        when,
                        "receiving",
                        "ADD",
                        store.sgln,
                        "BACKROOM",
                        "in_progress",
                        {"epcList": epcs},
                    ),
                )
            )
        if float(uniform(seed, Stream.STORE_DAY, shelf.store, ordinal, 4)) < 0.1 and len(shelf.sku):
            p = int(uniform(seed, Stream.STORE_DAY, shelf.store, ordinal, 5) * len(shelf.sku))
            epc = cat.sgtin_prefix[int(shelf.sku[p])] + str(
                int(_serials(shelf.store, cycle[p], 99))
            )
            when = int(self.world.calendar.local_to_epoch(day, np.array([15 * 3600]))[0])
            out.append(
                (
                    when,
                    self._event(
                        store.number,
                        when,
                        "shipping",
                        "OBSERVE",
                        store.sgln,
                        "BACKROOM",
                        "in_transit",
                        {"epcList": [epc]},
                    ),
                )
            )
        return out

    def _event(
        self,
        store: int,
        epoch: int,
        step: str,
        action: str,
        sgln: str,
        zone: str,
        disposition: str,
        body: Record,
    ) -> Record:
        local = datetime.fromtimestamp(epoch, UTC).astimezone(self.world.calendar.tz)
        offset = local.strftime("%z")
        offset = f"{offset[:3]}:{offset[3:]}"
        use_local = store % 2 == 0
        event_time = (
            local.isoformat(timespec="milliseconds")
            if use_local
            else datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        )
        h = int(hash64(self.world.config.seed, store, epoch, len(step))[()])
        return {
            "type": "ObjectEvent",
            "eventID": f"urn:uuid:{uuid.UUID(int=(h << 64) | (h ^ 0x5DEECE66D), version=4)}",
            "eventTime": event_time,
            "eventTimeZoneOffset": offset,
            "recordTime": datetime.fromtimestamp(epoch + 240, UTC).strftime(
                "%Y-%m-%dT%H:%M:%S.000Z"
            ),
            "action": action,
            "bizStep": step,
            "disposition": disposition,
            "readPoint": {"id": sgln.rsplit(".", 1)[0] + "." + zone},
            "bizLocation": {"id": sgln},
            **body,
        }

    # --- query interface ----------------------------------------------------------------------

    def events(self, request: ApiRequest) -> ApiResponse:
        epc_format = request.headers.get("GS1-EPC-Format") or DEFAULT_EPC_FORMAT
        if epc_format not in EPC_FORMATS:
            raise BadRequest(f"GS1-EPC-Format {epc_format!r} is not one of {sorted(EPC_FORMATS)}")
        event_types = (request.arg("eventType") or "ObjectEvent").split(",")
        steps = {
            s.removeprefix(CBV_BIZSTEP) for s in (request.arg("EQ_bizStep") or "").split(",") if s
        }
        lo = _parse_time(request.arg("GE_eventTime"), 0)
        hi = min(_parse_time(request.arg("LT_eventTime"), 2**62), request.now + 1)
        matches = self._matching(lo, hi, steps) if "ObjectEvent" in event_types else []
        cap = self.world.config.page_sizes.epcis
        per_page = min(int(request.arg("perPage") or cap), cap)
        token = request.arg("nextPageToken")
        offset = int(decode_cursor(token, 1)[0]) if token else 0
        page = self.faults.apply(
            "epcis", matches[offset : offset + per_page], _event_key, CORRUPTIONS
        )
        translate = EPC_FORMATS[epc_format]
        if translate is not None:
            page = [_translated(event, translate) for event in page]
        headers = {
            "GS1-EPCIS-Version": "2.0.0",
            "GS1-CBV-Version": "2.0.0",
            "GS1-EPC-Format": epc_format,
        }
        if offset + per_page < len(matches):
            params = {k: v[0] for k, v in request.query.items() if k != "nextPageToken"}
            params["nextPageToken"] = encode_cursor(offset + per_page)
            headers["Link"] = f'<{request.base_url}{request.path}?{urlencode(params)}>; rel="next"'
        return json_response(200, self._document(page, request.now), headers)

    def _matching(self, lo: int, hi: int, steps: set[str]) -> list[Record]:
        cal = self.world.calendar
        first = max(cal.local_date(lo) - timedelta(days=1), self.world.config.history_start)
        last = cal.local_date(min(hi, 2**40))
        out = []
        for i in range((last - first).days + 1):
            for event in self.events_of_day(first + timedelta(days=i)):
                epoch = _parse_time(event["eventTime"], 0)
                step = event["bizStep"]
                if lo <= epoch < hi and (not steps or step in steps):
                    out.append(event)
        return out

    def _document(self, events: list[Record], now: int) -> dict[str, Any]:
        return {
            "@context": CONTEXT,
            "type": "EPCISQueryDocument",
            "schemaVersion": "2.0",
            "creationDate": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "epcisBody": {
                "queryResults": {
                    "queryName": "SimpleEventQuery",
                    "resultsBody": {"eventList": events},
                }
            },
        }


def _parse_time(raw: str | None, default: int) -> int:
    if not raw:
        return default
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest(f"invalid time {raw!r}") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def _translated(event: Record, translate: Callable[[str], str]) -> Record:
    """A copy of the event with every EPC, class and location in the requested form."""
    out = dict(event)
    if "epcList" in event:
        out["epcList"] = [translate(str(epc)) for epc in event["epcList"]]
    if "quantityList" in event:
        out["quantityList"] = [
            {**item, "epcClass": translate(str(item["epcClass"]))} for item in event["quantityList"]
        ]
    for place in ("readPoint", "bizLocation"):
        if isinstance(event.get(place), dict) and "id" in event[place]:
            out[place] = {**event[place], "id": translate(str(event[place]["id"]))}
    return out


def _event_key(event: Record) -> str:
    return str(event.get("eventID"))


def _add_unknown_gtin(event: Record) -> None:
    if "epcList" in event:
        event["epcList"].append(UNKNOWN_EPC)
    else:
        event["quantityList"].append(
            {"epcClass": f"urn:epc:idpat:sgtin:{COMPANY_PREFIX}.099999.*", "quantity": 4}
        )


def _negative_quantity(event: Record) -> None:
    if event.get("quantityList"):
        event["quantityList"][0]["quantity"] = -2
    else:
        _add_unknown_gtin(event)


CORRUPTIONS = (
    lambda e: e.pop("eventID"),
    _negative_quantity,
    _add_unknown_gtin,
    lambda e: e.update(eventTime="02/03/2025 07:15"),
    lambda e: e.update(bizLocation={"id": UNKNOWN_STORE}),
)
