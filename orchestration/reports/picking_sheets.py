"""Store picking sheets: what each store should pick off its shelves and send to the web shop.

Built from mart_store_picking_candidates of the run's day D only (plus dim_products for the
barcode, colour and size, and dim_stores for names), in the mart's priority order: the mart owns
the selection and the ranking, this module only turns rows into something a store employee can
act on.

Output, per as_of_date D, swapped in as one directory (never half written):
  published/picking/{D}/{store_id}.csv   one per store with candidates
  published/picking/{D}/all_stores.csv   every candidate, by priority_rank
  published/picking/{D}/index.html       the sheets to print: one A4 page per store
CSVs are UTF-8 with a BOM so that Excel shows store and product names with accents correctly.
"""

from __future__ import annotations

import html
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from orchestration.lib.paths import WarehouseLayout
from orchestration.reports.published import (
    LOG_QUERY,
    PUBLICATION_LOG,
    Publication,
    as_date,
    publication_of,
    published_db_path,
    read_marts,
    replace_dir_atomic,
    require_columns,
    safe_name,
    write_text_atomic,
)
from orchestration.reports.render import Column, html_table, markdown_table, page

SHEET_COLUMNS = (
    "priority_rank",
    "store_id",
    "store_name",
    "gtin",
    "barcode",
    "sku",
    "product_name",
    "colour",
    "size",
    "zone",
    "quantity_to_send",
    "online_price",
    "quantity_picked",
    "on_hand_qty",
    "category",
    "reason",
)
CANDIDATE_COLUMNS = (
    "as_of_date",
    "store_id",
    "sku",
    "gtin",
    "product_name",
    "category",
    "on_hand_qty",
    "days_of_cover",
    "days_since_last_depletion",
    "online_stockout",
    "transferable_qty",
    "unit_price",
    "priority_rank",
    "last_count_zones",
)
COMBINED_CSV = "all_stores.csv"
HTML_VIEW = "index.html"
CSV_ENCODING = "utf-8-sig"
#: Rows one store's sheet prints: what fits one A4 portrait page at a legible size with room to
#: write in the "picked" column. A store with more candidates prints its first rows by priority
#: and a line saying how many more its CSV holds (the rest can wait for the next day's sheet).
PRINT_ROWS_PER_STORE = 18

PRINT_CSS = """
section.store-sheet:not(:last-of-type) { break-after: page; page-break-after: always; }
section.store-sheet h2 { border-top: none; margin-top: 8px; }
section.store-sheet td, section.store-sheet th { padding: 4px 6px; }
td[data-col="quantity_picked"] { min-width: 70px; border: 1px solid #9aa5b1; }
td[data-col="sku"], td[data-col="barcode"] { white-space: nowrap; }
td[data-col="product_name"] { min-width: 42mm; }
p.more { font-weight: 600; color: #8a1c1c; }
p.signoff { margin-top: 14px; color: var(--muted); }
@page { size: A4 portrait; margin: 10mm; }
@media print {
  body { padding: 0; font-size: 9.5pt; }
  nav, .screen-only { display: none; }
  .banner { margin: 0 0 4px; padding: 3px 6px; font-size: 9pt; }
  h1 { display: none; }
  h2 { font-size: 13pt; margin: 0 0 4px; padding: 0; }
  p.note { font-size: 8.5pt; margin: 2px 0 4px; }
  table { width: 100%; margin: 0; }
  th { font-size: 8.5pt; white-space: normal; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  section.store-sheet td { height: 8mm; }  /* room to write the quantity picked */
  th, td { color: #000; }
}
"""


@dataclass(frozen=True)
class PickingSheets:
    """The files written and the per-store counts the Dagster asset shows."""

    directory: Path
    combined_csv: Path
    html_path: Path
    store_files: dict[str, Path]
    as_of_date: date | None
    publication: Publication
    per_store: pd.DataFrame  # store_id, store_name, candidates, units_to_send


def _whole(value: object) -> int | None:
    return None if value is None or pd.isna(value) else round(float(value))


def pick_reason(online_stockout: object, days_of_cover: object, days_since_sale: object) -> str:
    """Why the pair is on the sheet, in the words a store employee uses."""
    parts = []
    if bool(online_stockout) and not pd.isna(online_stockout):
        parts.append("online stockout")
    cover = _whole(days_of_cover)
    since = _whole(days_since_sale)
    if cover is not None:
        parts.append(f"slow in store: {cover} days of cover")
    elif since is not None:
        parts.append(f"slow in store: no sale for {since} days")
    else:
        parts.append("slow in store: no sale since counting began")
    return "; ".join(parts)


def picking_queries() -> dict[str, str]:
    """The run's candidates (latest as_of_date) and the two dimensions that name them."""
    return {
        "mart_store_picking_candidates": (
            "select * from mart_store_picking_candidates where as_of_date = "
            "(select max(as_of_date) from mart_store_picking_candidates) order by priority_rank"
        ),
        "dim_products": "select * from dim_products",
        "dim_stores": "select * from dim_stores",
        PUBLICATION_LOG: LOG_QUERY,
    }


def _store_label(store_id: str, name: object, gln: object) -> str:
    if name is not None and not pd.isna(name) and str(name).strip():
        return str(name)
    suffix = f", GLN {gln}" if gln is not None and not pd.isna(gln) else ""
    return f"(not in stores seed{suffix})"


def _text(series: pd.Series) -> pd.Series:
    """Strings with nulls as "" (an empty cell on the sheet, never "nan" or "None")."""
    return series.astype(object).where(series.notna(), "").astype(str)


def _zones(zones: pd.Series) -> pd.Series:
    """The mart's read point names (`BACKROOM, SALES_FLOOR`) as a person reads them."""
    return _text(zones).str.lower().str.replace("_", " ")


def picking_sheet(
    candidates: pd.DataFrame, products: pd.DataFrame, stores: pd.DataFrame
) -> pd.DataFrame:
    """One row per candidate with the sheet's columns, sorted by priority_rank.

    Everything comes from the published columns: the mart gives the GTIN, the zones, the
    quantity (transferable_qty) and the online price (unit_price, excluding tax like every
    published amount); dim_products adds the label's barcode and the colour and size landed
    from the catalog's options. "quantity_picked" is left empty, to be written by hand.
    """
    require_columns(candidates, "mart_store_picking_candidates", CANDIDATE_COLUMNS)
    require_columns(products, "dim_products", ("sku", "barcode", "colour", "size"))
    require_columns(stores, "dim_stores", ("store_id", "store_name"))
    frame = candidates.sort_values("priority_rank", kind="stable").reset_index(drop=True)
    store_cols = ["store_id", "store_name", *(["gln"] if "gln" in stores.columns else [])]
    frame = frame.merge(
        stores[store_cols].drop_duplicates("store_id").rename(columns={"store_name": "_name"}),
        on="store_id",
        how="left",
    )
    frame = frame.merge(
        products[["sku", "barcode", "colour", "size"]].drop_duplicates("sku"), on="sku", how="left"
    )
    gln = frame["gln"] if "gln" in frame.columns else pd.Series([None] * len(frame))
    sheet = pd.DataFrame(
        {
            "priority_rank": frame["priority_rank"].astype("int64"),
            "store_id": frame["store_id"].astype(str),
            "store_name": [
                _store_label(s, n, g)
                for s, n, g in zip(frame["store_id"], frame["_name"], gln, strict=True)
            ],
            "gtin": _text(frame["gtin"]),
            "barcode": _text(frame["barcode"]),
            "sku": frame["sku"].astype(str),
            "product_name": _text(frame["product_name"]),
            "colour": _text(frame["colour"]),
            "size": _text(frame["size"]),
            "zone": _zones(frame["last_count_zones"]),
            "quantity_to_send": frame["transferable_qty"].astype("int64"),
            "online_price": pd.to_numeric(frame["unit_price"], errors="coerce"),
            "quantity_picked": "",
            "on_hand_qty": frame["on_hand_qty"].astype("int64"),
            "category": _text(frame["category"]),
            "reason": [
                pick_reason(o, c, d)
                for o, c, d in zip(
                    frame["online_stockout"],
                    frame["days_of_cover"],
                    frame["days_since_last_depletion"],
                    strict=True,
                )
            ],
        },
        columns=list(SHEET_COLUMNS),
    )
    return sheet


def per_store_counts(sheet: pd.DataFrame) -> pd.DataFrame:
    """Candidates and units to send per store, busiest store first."""
    counts = sheet.groupby(["store_id", "store_name"], as_index=False).agg(
        candidates=("sku", "count"), units_to_send=("quantity_to_send", "sum")
    )
    return counts.sort_values(["candidates", "store_id"], ascending=[False, True]).reset_index(
        drop=True
    )


#: The printed columns, in the order a person works: find (zone, product, colour, size), scan
#: (EAN), send (quantity), then write what was actually picked.
PRINT_COLUMNS = (
    Column("priority_rank", "#", "int"),
    Column("zone", "Zone"),
    Column("product_name", "Product"),
    Column("colour", "Colour"),
    Column("size", "Size"),
    Column("barcode", "EAN / GTIN", cell=lambda row: html.escape(row["barcode"] or row["gtin"])),
    Column("sku", "SKU"),
    Column("online_price", "Online price (excl. tax)", "money"),
    Column("quantity_to_send", "To send", "int"),
    Column("quantity_picked", "Picked"),
)


def store_sheet_html(rows: pd.DataFrame, as_of: date | None, pub: Publication) -> str:
    """One store's printed page: its first PRINT_ROWS_PER_STORE candidates by priority, and a
    line saying how many more the CSV holds when the store has more."""
    store_id = str(rows["store_id"].iloc[0])
    name = rows["store_name"].iloc[0]
    shown = rows.head(PRINT_ROWS_PER_STORE)
    units = int(rows["quantity_to_send"].sum())
    parts = [
        f'<section class="store-sheet" id="store-{html.escape(safe_name(store_id))}">',
        '<div class="banner demo">DEMO DATA — simulated retailer</div>' if pub.is_demo else "",
        f"<h2>Picking sheet — {html.escape(name)} ({html.escape(store_id)}) — "
        f"{as_of or 'no run day'}</h2>",
        f'<p class="note">{len(rows)} item(s), {units} unit(s) to send to the web warehouse · '
        "pick in priority order (1 = first: online stockouts, then the biggest margin) · "
        f"write the quantity actually picked · run {html.escape(pub.run_id)}</p>",
    ]
    records = shown.astype(object).where(shown.notna(), None).to_dict("records")
    parts.append(html_table(records, PRINT_COLUMNS, f"picking-{safe_name(store_id)}"))
    more = len(rows) - len(shown)
    if more > 0:
        last = int(shown["priority_rank"].iloc[-1])
        parts.append(
            f'<p class="more" data-more="{more}">+ {more} more candidate(s) after rank {last}, '
            f"not printed: this sheet prints the first {PRINT_ROWS_PER_STORE} by priority so "
            f"that it fits one A4 page; all are in {html.escape(safe_name(store_id))}.csv and in "
            "mart_store_picking_candidates.</p>"
        )
    parts.append('<p class="signoff">Picked by: ____________ Date: ____________</p></section>')
    return "".join(parts)


def render_picking_html(sheet: pd.DataFrame, as_of: date | None, pub: Publication) -> str:
    """Every store's sheet in one document, one A4 page per store when printed, stores in the
    order of their first priority."""
    parts = [
        f"<h1>Store picking sheets — {as_of or 'no run day'}</h1>",
        f'<p class="note screen-only">Run {html.escape(pub.run_id)} · {len(sheet)} item(s) to '
        f"pick · print: one A4 page per store (the first {PRINT_ROWS_PER_STORE} items by "
        "priority).</p>",
    ]
    if sheet.empty:
        parts.append('<p class="empty">No picking candidates for this day.</p>')
    for _, rows in sheet.groupby("store_id", sort=False):
        parts.append(store_sheet_html(rows, as_of, pub))
    return page(f"Picking sheets {as_of or ''}", "".join(parts), f"<style>{PRINT_CSS}</style>")


def write_picking_sheets(
    sheet: pd.DataFrame, picking_root: Path, as_of: date | None, publication: Publication
) -> tuple[Path, dict[str, Path]]:
    """Write every file into a staging directory, then swap it in as picking/{as_of}."""
    picking_root.mkdir(parents=True, exist_ok=True)
    target = picking_root / (str(as_of) if as_of else "undated")
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=picking_root))
    try:
        files: dict[str, Path] = {}
        for store_id, rows in sheet.groupby("store_id", sort=False):
            name = f"{safe_name(store_id)}.csv"
            rows.to_csv(staging / name, index=False, encoding=CSV_ENCODING)
            files[str(store_id)] = target / name
        sheet.to_csv(staging / COMBINED_CSV, index=False, encoding=CSV_ENCODING)
        write_text_atomic(staging / HTML_VIEW, render_picking_html(sheet, as_of, publication))
        replace_dir_atomic(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target, files


def build_picking_sheets(warehouse_dir: Path) -> PickingSheets:
    """Read the run's candidates from the publication and write the sheets for its day."""
    frames = read_marts(
        published_db_path(warehouse_dir), picking_queries(), optional=frozenset({PUBLICATION_LOG})
    )
    log = frames.pop(PUBLICATION_LOG)
    candidates = frames["mart_store_picking_candidates"]
    sheet = picking_sheet(candidates, frames["dim_products"], frames["dim_stores"])
    publication = publication_of(frames, log)
    as_of = as_date(candidates["as_of_date"].max()) if len(candidates) else None
    if as_of is None and publication.published_at is not None:
        as_of = publication.published_at.date()
    directory, files = write_picking_sheets(
        sheet, WarehouseLayout(Path(warehouse_dir)).picking_sheets, as_of, publication
    )
    return PickingSheets(
        directory=directory,
        combined_csv=directory / COMBINED_CSV,
        html_path=directory / HTML_VIEW,
        store_files=files,
        as_of_date=as_of,
        publication=publication,
        per_store=per_store_counts(sheet),
    )


def per_store_markdown(per_store: pd.DataFrame) -> str:
    """The candidate count per store as a markdown table for the Dagster UI."""
    rows = [
        [r.store_id, r.store_name, str(r.candidates), str(r.units_to_send)]
        for r in per_store.itertuples()
    ]
    return markdown_table(["store_id", "store", "candidates", "units to send"], rows)
