"""Picking sheets match mart_store_picking_candidates row for row, in priority order."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest

from orchestration.reports.picking_sheets import (
    COMBINED_CSV,
    CSV_ENCODING,
    HTML_VIEW,
    SHEET_COLUMNS,
    build_picking_sheets,
    pick_reason,
)
from tests.reports.html_parsing import parse
from tests.reports.published_fixture import REPORT_DATE, build_tables, write_published


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    """A published warehouse written by the test (it stands in for the publication step)."""
    fixture = write_published(tmp_path_factory.mktemp("warehouse"))
    return fixture, build_picking_sheets(fixture.warehouse_dir)


def _expected(fixture) -> pd.DataFrame:
    mart = fixture.tables["mart_store_picking_candidates"]
    run = mart[mart["as_of_date"] == mart["as_of_date"].max()]
    return run.sort_values("priority_rank").reset_index(drop=True)


def _read(path: Path) -> pd.DataFrame:
    text = ("store_id", "gtin", "barcode", "colour", "size", "zone", "quantity_picked")
    return pd.read_csv(
        path, encoding=CSV_ENCODING, dtype=dict.fromkeys(text, str), keep_default_na=False
    )


def _assert_rows_match(sheet: pd.DataFrame, mart_rows: pd.DataFrame) -> None:
    assert list(sheet.columns) == list(SHEET_COLUMNS)
    assert sheet["priority_rank"].tolist() == mart_rows["priority_rank"].tolist()
    assert sheet["store_id"].tolist() == mart_rows["store_id"].tolist()
    assert sheet["sku"].tolist() == mart_rows["sku"].tolist()
    assert sheet["product_name"].tolist() == mart_rows["product_name"].tolist()
    assert sheet["category"].tolist() == mart_rows["category"].tolist()
    assert sheet["quantity_to_send"].tolist() == mart_rows["transferable_qty"].tolist()
    assert sheet["on_hand_qty"].tolist() == mart_rows["on_hand_qty"].tolist()
    assert sheet["gtin"].tolist() == mart_rows["gtin"].tolist()
    assert sheet["online_price"].tolist() == mart_rows["unit_price"].tolist()
    assert sheet["zone"].tolist() == mart_rows["last_count_zones"].str.replace("_", " ").tolist()
    assert (sheet["quantity_picked"] == "").all()  # to be written by hand


def test_combined_csv_is_the_runs_candidates_by_priority(built) -> None:
    fixture, sheets = built
    expected = _expected(fixture)
    assert sheets.directory.name == str(REPORT_DATE)
    assert sheets.as_of_date == REPORT_DATE
    combined = _read(sheets.combined_csv)
    _assert_rows_match(combined, expected)  # the older run's row is not there
    assert combined["priority_rank"].is_monotonic_increasing


def test_one_csv_per_store_matching_the_mart(built) -> None:
    fixture, sheets = built
    expected = _expected(fixture)
    assert set(sheets.store_files) == set(expected["store_id"])
    for store_id, path in sheets.store_files.items():
        assert path.exists()
        _assert_rows_match(
            _read(path), expected[expected["store_id"] == store_id].reset_index(drop=True)
        )
    written = {p.name for p in sheets.directory.iterdir()}
    assert written == {f"{s}.csv" for s in sheets.store_files} | {COMBINED_CSV, HTML_VIEW}


def test_store_names_sizes_and_reasons(built) -> None:
    _, sheets = built
    combined = _read(sheets.combined_csv)
    lyon = combined[combined["store_id"] == "LYO-PRESQUILE"]
    assert (lyon["store_name"] == "Lyon Presqu'île").all()  # UTF-8 with BOM survives
    unknown = combined[combined["store_id"] == "3012345000093"]
    assert not unknown.empty
    assert unknown["store_name"].str.contains("not in stores seed").all()
    colours = {"TSH": "Blue", "JKT": "Navy", "JNS": "Indigo", "DRS": "Rouge", "SNK": "White"}
    colours["SWT"] = "Grey marl"
    assert (combined["colour"] == combined["sku"].str[:3].map(colours)).all()
    # the fixture's skus end with their size option (SNK-0515-WHT-41, JNS-0310-IND-W30L32)
    assert (combined["size"] == combined["sku"].str.split("-").str[-1]).all()
    assert (combined["barcode"] == combined["gtin"].str[1:]).all()  # EAN-13 of the GTIN-14
    stockouts = combined[combined["reason"].str.startswith("online stockout")]
    assert stockouts["priority_rank"].max() < combined["priority_rank"].max()
    assert combined["reason"].str.contains("slow in store").all()


def test_per_store_counts_and_html_view(built) -> None:
    fixture, sheets = built
    expected = _expected(fixture).groupby("store_id").size()
    counts = sheets.per_store.set_index("store_id")["candidates"]
    assert counts.to_dict() == expected.to_dict()
    tables = parse(sheets.html_path.read_text(encoding="utf-8")).tables
    for store_id, n in expected.items():
        rows = tables[f"picking-{store_id}"]
        assert len(rows) == n
        assert [int(r["priority_rank"]) for r in rows] == sorted(
            int(r["priority_rank"]) for r in rows
        )


def test_rewrite_swaps_the_whole_directory(tmp_path: Path) -> None:
    tables = build_tables()
    first = write_published(tmp_path, tables=tables)
    build_picking_sheets(first.warehouse_dir)
    mart = tables["mart_store_picking_candidates"]
    tables["mart_store_picking_candidates"] = mart[mart["store_id"] != "PAR-MARAIS"]
    second = build_picking_sheets(write_published(tmp_path, tables=tables).warehouse_dir)
    assert "PAR-MARAIS" not in second.store_files
    assert not (second.directory / "PAR-MARAIS.csv").exists()  # no stale sheet left behind
    assert [p.name for p in second.directory.parent.iterdir()] == [str(REPORT_DATE)]


def test_no_candidates_still_writes_an_empty_combined_sheet(tmp_path: Path) -> None:
    tables = build_tables()
    tables["mart_store_picking_candidates"] = tables["mart_store_picking_candidates"].iloc[:0]
    sheets = build_picking_sheets(write_published(tmp_path, tables=tables).warehouse_dir)
    assert _read(sheets.combined_csv).empty
    assert list(_read(sheets.combined_csv).columns) == list(SHEET_COLUMNS)
    assert sheets.store_files == {}


def test_pick_reason() -> None:
    assert pick_reason(True, 120.4, 40) == "online stockout; slow in store: 120 days of cover"
    assert pick_reason(False, None, 75) == "slow in store: no sale for 75 days"
    assert pick_reason(False, None, None) == "slow in store: no sale since counting began"


PRINTED_HEADERS = ["#", "Zone", "Product", "Colour", "Size", "EAN / GTIN", "SKU"]
PRINTED_HEADERS += ["Online price (excl. tax)", "To send", "Picked"]


def test_html_prints_one_a4_page_per_store(built) -> None:
    fixture, sheets = built
    document = sheets.html_path.read_text(encoding="utf-8")
    assert "@page { size: A4 portrait; margin: 10mm; }" in document
    assert "@media print" in document
    assert (  # after every store but the last: no blank page at the end
        "section.store-sheet:not(:last-of-type) { break-after: page; page-break-after: always; }"
        in document
    )
    stores = set(_expected(fixture)["store_id"])
    assert document.count('<section class="store-sheet"') == len(stores) == 5
    assert document.count("<h2>Picking sheet — ") == len(stores)
    heads = re.findall(r'<table id="picking-[^"]+">.*?</thead>', document)
    assert len(heads) == len(stores)
    for head in heads:
        assert re.findall(r"<th(?: [^>]*)?>(.*?)</th>", head) == PRINTED_HEADERS
    assert "more candidate(s)" not in document  # every store fits its page


def test_printed_colour_size_zone_and_ean_of_a_fixture_sku(tmp_path: Path) -> None:
    tables = build_tables()
    mart = tables["mart_store_picking_candidates"]
    row = mart[mart["as_of_date"] == mart["as_of_date"].max()].iloc[[0]]
    row = row.assign(sku="SNK-0515-WHT-41", store_id="LYO-PRESQUILE", priority_rank=1)
    row = row.assign(last_count_zones="BACKROOM, SALES_FLOOR", unit_price=107.5)
    tables["mart_store_picking_candidates"] = row.assign(transferable_qty=3)
    sheets = build_picking_sheets(write_published(tmp_path, tables=tables).warehouse_dir)
    printed = parse(sheets.html_path.read_text(encoding="utf-8")).tables["picking-LYO-PRESQUILE"]
    assert len(printed) == 1
    cells = printed[0]
    assert (cells["colour"], cells["size"], cells["zone"]) == (
        "White",
        "41",
        "backroom, sales floor",
    )
    assert (cells["sku"], cells["barcode"]) == ("SNK-0515-WHT-41", "3012345000012")
    assert (cells["quantity_to_send"], cells["online_price"], cells["quantity_picked"]) == (
        "3",
        "107.5",
        "",
    )


def test_a_store_with_more_candidates_than_a_page_prints_the_first_by_priority(
    tmp_path: Path,
) -> None:
    tables = build_tables()
    products = tables["dim_products"]
    mart = tables["mart_store_picking_candidates"]
    first = mart[mart["as_of_date"] == mart["as_of_date"].max()].iloc[0]
    rows = [
        first.to_dict() | {"store_id": "PAR-MARAIS", "sku": sku, "priority_rank": rank}
        for rank, sku in enumerate(products["sku"].tolist()[:17] * 2, start=1)
    ]
    tables["mart_store_picking_candidates"] = pd.DataFrame(rows[:30])
    sheets = build_picking_sheets(write_published(tmp_path, tables=tables).warehouse_dir)
    document = sheets.html_path.read_text(encoding="utf-8")
    printed = parse(document).tables["picking-PAR-MARAIS"]
    assert [int(r["priority_rank"]) for r in printed] == list(range(1, 19))
    assert 'data-more="12"' in document
    assert "+ 12 more candidate(s) after rank 18, not printed" in document
    assert "all are in PAR-MARAIS.csv" in document
    assert len(_read(sheets.store_files["PAR-MARAIS"])) == 30  # the CSV keeps every candidate


def _screenshot_module():
    path = Path(__file__).resolve().parents[2] / "scripts" / "screenshot_report.py"
    spec = importlib.util.spec_from_file_location("screenshot_report", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_chromium_prints_one_a4_page_per_store(tmp_path: Path) -> None:
    """Debian's Chromium prints the sheets; a store with 30 candidates still takes one page."""
    import pypdfium2

    tables = build_tables()
    mart = tables["mart_store_picking_candidates"]
    run = mart[mart["as_of_date"] == mart["as_of_date"].max()]
    crowded = [
        run.iloc[0].to_dict() | {"store_id": "PAR-MARAIS", "sku": f"EXTRA-{n:02d}"}
        for n in range(30)
    ]
    frame = pd.concat([run, pd.DataFrame(crowded)], ignore_index=True)
    tables["mart_store_picking_candidates"] = frame.assign(priority_rank=range(1, len(frame) + 1))
    sheets = build_picking_sheets(write_published(tmp_path / "wh", tables=tables).warehouse_dir)
    screenshot = _screenshot_module()
    assert screenshot.chromium_binary() is not None, "chromium is not installed"
    pdf = screenshot.print_to_pdf(sheets.html_path, tmp_path / "sheets.pdf")
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        assert len(document) == len(sheets.per_store) == 5
        width, height = document[0].get_size()  # points: A4 is 210 x 297 mm
        assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
    finally:
        document.close()
