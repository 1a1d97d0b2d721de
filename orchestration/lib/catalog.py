"""The landed shop catalog, as the extracts that check their records against it read it.

Google Ads offer ids, RFID GTINs and order line skus are only worth landing when they name a
product of the catalog: the marts join them to it, and a record that joins nothing gives a row
without cost or category. Each of those extracts depends on `landing/shop_catalog` and reads
the catalog from the landing zone here, failing with the asset to run when there is none.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lib.paths import WarehouseLayout

SOURCE, DATASET = "shop", "product_variants"


def _catalog_files(warehouse_dir: Path, needed_by: str) -> list[Path]:
    """Every landed day of the catalog, oldest first (ISO dates sort as strings)."""
    folder = WarehouseLayout(Path(warehouse_dir)).landing_dataset(SOURCE, DATASET)
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


class CatalogSkus:
    """Whether a sku is in the landed catalog: any catalog day landed so far, not only the latest.

    Not only the latest day: a variant deleted from the shop since an order was placed is gone
    from today's snapshot, yet its earlier snapshots still give the order line its cost. The
    latest day answers nearly every line; the older days (a year of them is millions of rows)
    are read once, at the first sku the latest day lacks.
    """

    def __init__(self, warehouse_dir: Path, needed_by: str) -> None:
        *self._older, latest = _catalog_files(warehouse_dir, needed_by)
        self._latest = _distinct_skus([latest])
        self._earlier: frozenset[str] | None = None

    def __contains__(self, sku: object) -> bool:
        if sku in self._latest:
            return True
        if self._earlier is None:
            self._earlier = _distinct_skus(self._older)
        return sku in self._earlier


def _distinct_skus(files: Sequence[Path]) -> frozenset[str]:
    if not files:
        return frozenset()
    query = "select distinct sku from read_parquet($files) where sku is not null"
    with duckdb.connect() as con:  # in memory: only reads the landing files
        rows = con.execute(query, {"files": [str(f) for f in files]}).fetchall()
    return frozenset(sku for (sku,) in rows)
