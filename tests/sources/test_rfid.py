"""RFID cycle counts against the simulated EPCIS 2.0 query interface."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from orchestration.lib.extract import ExtractRun
from orchestration.lib.gs1 import sgln_to_gln13
from orchestration.sources.rfid import extract as rfid
from orchestration.sources.shop import catalog as catalog_src
from simulator import FaultConfig, PageSizes
from tests.sources.conftest import DAY, read_landed, read_rejects

UNLIMITED = {"shop_bucket_size": 1e9, "shop_restore_rate": 1e9}


def _counts(
    serve: Callable, extract_run: Callable[[str], ExtractRun], **config: object
) -> ExtractRun:
    serve(**UNLIMITED, **config)
    catalog_src.extract_catalog(extract_run("shop"), [DAY])
    run = extract_run("rfid")
    rfid.extract_rfid_counts(run, [DAY])
    return run


def test_counts_across_pages_all_epc_forms(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    run = _counts(serve, extract_run, page_sizes=PageSizes(epcis=2))
    events = read_landed(warehouse, "rfid", "events")
    observations = read_landed(warehouse, "rfid", "observations")
    assert run.metadata()["pages"] >= events.num_rows // 2 > 3
    assert set(events.column("biz_step").to_pylist()) == {"cycle_counting"}
    payloads = "".join(events.column("payload").to_pylist())
    # asked for EPC URNs (GS1-EPC-Format), the simulator translates the Digital Link stores too
    assert "urn:epc:id:sgtin" in payloads and "id.gs1.org" not in payloads
    gtins = set(observations.column("gtin14").to_pylist())
    catalog = set(read_landed(warehouse, "shop", "product_variants").column("gtin14").to_pylist())
    assert gtins <= catalog
    assert all(g.startswith("0") or len(g) == 14 for g in gtins)
    seed_stores = {f"3012345{n:05d}" for n in range(1, 9)}
    assert {gln[:-1] for gln in events.column("store_gln").to_pylist()} <= seed_stores
    assert read_rejects(warehouse, "rfid", "observations").num_rows == 0


def test_invalid_items_rejected_unknown_store_landed(
    serve: Callable, extract_run: Callable[[str], ExtractRun], warehouse: Path
) -> None:
    _counts(
        serve, extract_run, faults=FaultConfig(malformed_rate=0.8, sources=frozenset({"epcis"}))
    )
    events = read_rejects(warehouse, "rfid", "events").to_pylist()
    observations = read_rejects(warehouse, "rfid", "observations").to_pylist()
    reasons = {(r["field"], r["reason"].split(" ")[0]) for r in events + observations}
    assert ("eventID", "missing") in reasons or ("eventTime", "unparseable") in reasons
    assert any(r["reason"].startswith("unknown GTIN") for r in observations)
    stores = set(read_landed(warehouse, "rfid", "events").column("store_gln").to_pylist())
    # a valid SGLN that the stores seed does not list is landed (dim_stores warns), not rejected
    assert sgln_to_gln13("urn:epc:id:sgln:3012345.99999.0") in stores


def test_without_a_landed_catalog_fails_clearly(
    serve: Callable, extract_run: Callable[[str], ExtractRun]
) -> None:
    serve()
    with pytest.raises(RuntimeError, match="materialise landing/shop_catalog first"):
        rfid.extract_rfid_counts(extract_run("rfid"), [DAY])
