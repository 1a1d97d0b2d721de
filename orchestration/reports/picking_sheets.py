"""Store picking sheets: what each store should pick off its shelves and send to the web shop.

Built from mart_store_picking_candidates of the run's day D only (plus dim_products and
dim_stores for names), in the mart's priority order: the mart owns the selection and the
ranking, this module only turns rows into something a store employee can act on.

Output, per as_of_date D, swapped in as one directory (never half written):
  published/picking/{D}/{store_id}.csv   one per store with candidates
  published/picking/{D}/all_stores.csv   every candidate, by priority_rank
  published/picking/{D}/index.html       the same, one table per store
CSVs are UTF-8 with a BOM so that Excel shows store and product names with accents correctly.
"""

from __future__ import annotations

import html
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from orchestration.reports.published import (
    LOG_QUERY,
    PICKING_DIR,
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
from orchestration.reports.render import Column, Kind, html_table, markdown_table, page

SHEET_COLUMNS = (
    "priority_rank",
    "store_id",
    "store_name",
    "sku",
    "product_name",
    "size",
    "category",
    "quantity_to_send",
    "on_hand_qty",
    "reason",
)
CANDIDATE_COLUMNS = (
    "as_of_date",
    "store_id",
    "sku",
    "product_name",
    "category",
    "on_hand_qty",
    "days_of_cover",
    "days_since_last_depletion",
    "online_stockout",
    "transferable_qty",
    "priority_rank",
)
COMBINED_CSV = "all_stores.csv"
HTML_VIEW = "index.html"
CSV_ENCODING = "utf-8-sig"

# Sizes recognised at the end of a sku or product name (dim_products has no size column).
LETTER_SIZES = frozenset(
    {"XXXS", "XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL", "2XL", "3XL", "4XL", "5XL"}
    | {"TU", "OS", "ONESIZE"}
)
_SIZE_PATTERNS = (
    re.compile(r"^(2[4-9]|[3-5]\d|60)(\.5)?$"),  # EU clothing 32-56, shoes 35-47, waist 24-40
    re.compile(r"^W\d{2}L\d{2}$"),  # jeans W32L34
    re.compile(r"^\d{1,2}(Y|A|ANS|M)$"),  # kids 8Y / 8A / 8ANS, babies 18M
)


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


def is_size(token: str) -> bool:
    token = token.strip().upper()
    return token in LETTER_SIZES or any(p.match(token) for p in _SIZE_PATTERNS)


def size_from_sku(sku: str | None, product_name: str | None = None) -> str:
    """The size a sku ends with (`TSH-0012-BLU-M` -> `M`), else the product name's, else "".

    Shop skus for fashion variants conventionally end with the size; dim_products carries no
    size column, so this is the only place it can come from. An unrecognised suffix gives ""
    rather than a guess: a wrong size sends the wrong item.
    """
    for text in (sku, product_name):
        if not text:
            continue
        tokens = [t for t in re.split(r"[-_/\s(),]+", str(text)) if t]
        if tokens and is_size(tokens[-1]):
            return tokens[-1].upper()
    return ""


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


def picking_sheet(
    candidates: pd.DataFrame, products: pd.DataFrame, stores: pd.DataFrame
) -> pd.DataFrame:
    """One row per candidate with the sheet's columns, sorted by priority_rank."""
    require_columns(candidates, "mart_store_picking_candidates", CANDIDATE_COLUMNS)
    require_columns(products, "dim_products", ("sku",))
    require_columns(stores, "dim_stores", ("store_id", "store_name"))
    frame = candidates.sort_values("priority_rank", kind="stable").reset_index(drop=True)
    store_cols = ["store_id", "store_name", *(["gln"] if "gln" in stores.columns else [])]
    frame = frame.merge(
        stores[store_cols].drop_duplicates("store_id").rename(columns={"store_name": "_name"}),
        on="store_id",
        how="left",
    )
    if "size" in products.columns:
        sizes = frame[["sku"]].merge(products[["sku", "size"]].drop_duplicates("sku"), how="left")
        size = sizes["size"].fillna("").astype(str)
    else:
        size = pd.Series(
            [size_from_sku(s, n) for s, n in zip(frame["sku"], frame["product_name"], strict=True)],
            dtype="object",
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
            "sku": frame["sku"].astype(str),
            "product_name": frame["product_name"].fillna("").astype(str),
            "size": size.to_numpy(),
            "category": frame["category"].fillna("").astype(str),
            "quantity_to_send": frame["transferable_qty"].astype("int64"),
            "on_hand_qty": frame["on_hand_qty"].astype("int64"),
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


def render_picking_html(sheet: pd.DataFrame, as_of: date | None, pub: Publication) -> str:
    """One printable page, one table per store, stores in the order of their first priority."""
    columns = [Column(c, c.replace("_", " ").capitalize(), _kind(c)) for c in SHEET_COLUMNS]
    columns = [c for c in columns if c.key not in ("store_id", "store_name")]
    parts = [f"<h1>Store picking sheets — {as_of or 'no run day'}</h1>"]
    if pub.is_demo:
        parts.insert(0, '<div class="banner demo">DEMO DATA — simulated retailer</div>')
    parts.append(
        f'<p class="note">Run {html.escape(pub.run_id)} · {len(sheet)} item(s) to pick · '
        "pick in priority order (1 = first): online stockouts first, then the biggest "
        "margin.</p>"
    )
    if sheet.empty:
        parts.append('<p class="empty">No picking candidates for this day.</p>')
    for store_id, rows in sheet.groupby("store_id", sort=False):
        name = rows["store_name"].iloc[0]
        units = int(rows["quantity_to_send"].sum())
        parts.append(
            f'<h2 id="store-{html.escape(safe_name(store_id))}">{html.escape(name)} '
            f"({html.escape(store_id)}) — {len(rows)} item(s), {units} unit(s)</h2>"
        )
        records = rows.astype(object).where(rows.notna(), None).to_dict("records")
        parts.append(html_table(records, columns, f"picking-{safe_name(store_id)}"))
    return page(f"Picking sheets {as_of or ''}", "".join(parts))


def _kind(column: str) -> Kind:
    return "int" if column in ("priority_rank", "quantity_to_send", "on_hand_qty") else "text"


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
        sheet, Path(warehouse_dir) / PICKING_DIR, as_of, publication
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
