"""The landed shop catalog, as the extracts that check their records against it read it.

Google Ads offer ids, RFID GTINs and order line skus are only worth landing when they name a
product of the catalog: the marts join them to it, and a record that joins nothing gives a row
without cost or category. Each of those extracts depends on `landing/shop_catalog` and reads
the catalog from the landing zone here, failing with the asset to run when there is none.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SOURCE, DATASET = "shop", "product_variants"


def _catalog_files(warehouse_dir: Path, needed_by: str) -> list[Path]:
    """Every landed day of the catalog, oldest first (ISO dates sort as strings)."""
    folder = Path(warehouse_dir) / "landing" / SOURCE / DATASET
    files = sorted(folder.glob("date=*/data.parquet"))
    if not files:
        raise RuntimeError(
            f"{needed_by}: no landed catalog under landing/{SOURCE}/{DATASET}: "
            "materialise landing/shop_catalog first"
        )
    return files


def latest_catalog(warehouse_dir: Path, needed_by: str, columns: Sequence[str]) -> pa.Table:
    """The columns of the most recent catalog day: the shop's products as they are now."""
    return pq.read_table(_catalog_files(warehouse_dir, needed_by)[-1], columns=list(columns))


def skus_ever_landed(warehouse_dir: Path, needed_by: str) -> frozenset[str]:
    """Every sku of every catalog day landed so far.

    Not only the latest day: a variant deleted from the shop since an order was placed is gone
    from today's snapshot, yet its earlier snapshots still give the order line its cost.
    """
    skus: set[str] = set()
    for path in _catalog_files(warehouse_dir, needed_by):
        column = pq.read_table(path, columns=["sku"]).column("sku")
        skus.update(pc.unique(column.drop_null()).to_pylist())
    return frozenset(skus)
