"""Picking sheets match mart_store_picking_candidates row for row, in priority order."""

from __future__ import annotations

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
    size_from_sku,
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
    return pd.read_csv(path, encoding=CSV_ENCODING, dtype={"size": str, "store_id": str})


def _assert_rows_match(sheet: pd.DataFrame, mart_rows: pd.DataFrame) -> None:
    assert list(sheet.columns) == list(SHEET_COLUMNS)
    assert sheet["priority_rank"].tolist() == mart_rows["priority_rank"].tolist()
    assert sheet["store_id"].tolist() == mart_rows["store_id"].tolist()
    assert sheet["sku"].tolist() == mart_rows["sku"].tolist()
    assert sheet["product_name"].tolist() == mart_rows["product_name"].tolist()
    assert sheet["category"].tolist() == mart_rows["category"].tolist()
    assert sheet["quantity_to_send"].tolist() == mart_rows["transferable_qty"].tolist()
    assert sheet["on_hand_qty"].tolist() == mart_rows["on_hand_qty"].tolist()


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
    assert set(combined.loc[combined["sku"].str.startswith("SNK"), "size"]) <= {"39", "41", "43"}
    assert combined.loc[combined["sku"].str.startswith("JNS"), "size"].str.match("W3").all()
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


@pytest.mark.parametrize(
    ("sku", "name", "size"),
    [
        ("ACME-JNS-0012-26", None, "26"),  # the simulator's {brand}-{category}-{style}-{size}
        ("LUNE-ACC-0003-OS", None, "OS"),
        ("NORD-SHO-0044-41", None, "41"),
        ("TSH-0101-BLU-M", None, "M"),
        ("TSH-0101-BLU-xl", None, "XL"),
        ("SNK-0515-WHT-41", None, "41"),
        ("SNK_0515_WHT_42.5", None, "42.5"),
        ("JNS-0310-IND-W32L34", None, "W32L34"),
        ("KID-0001-8Y", None, "8Y"),
        ("BAG-0001-TU", None, "TU"),
        ("BAG-0001-BLK", "Tote bag Black", ""),  # no size: empty, never a guess
        ("ABC-0012", "Linen shirt - L", "L"),  # from the product name
        ("SKU-0007", None, ""),  # 07 is not a size
    ],
)
def test_size_from_sku(sku: str, name: str | None, size: str) -> None:
    assert size_from_sku(sku, name) == size


def test_pick_reason() -> None:
    assert pick_reason(True, 120.4, 40) == "online stockout; slow in store: 120 days of cover"
    assert pick_reason(False, None, 75) == "slow in store: no sale for 75 days"
    assert pick_reason(False, None, None) == "slow in store: no sale since counting began"
