"""Small landing zones and build databases for the quality and publication tests.

The extract and dbt code is written in parallel with ours, so the tests build their own landing
Parquet files (with the real landing schemas) and their own build DuckDB instead of running them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lib.landing_schemas import REJECTS, REJECTS_DATASET
from orchestration.quality.frames import Window
from orchestration.sources import LANDING_DATASETS

LAST_DAY = date(2025, 3, 31)
#: A daily run of LAST_DAY, and a run that names no partitions (its window is LAST_DAY too).
DAILY = Window(LAST_DAY, LAST_DAY)
UNPARTITIONED = Window(LAST_DAY, LAST_DAY, partitioned=False)
HISTORY_DAYS = 30
ORDERS_PER_DAY = 40


def write_landing_day(
    warehouse: Path,
    source: str,
    dataset: str,
    day: date,
    rows: list[dict[str, Any]],
    reject: bool = False,
) -> Path:
    """Write one landed day like the extractors do (bookkeeping columns filled in)."""
    schema = REJECTS if reject else LANDING_DATASETS[source][dataset]
    folder = warehouse / "landing" / source
    folder = folder / REJECTS_DATASET / dataset if reject else folder / dataset
    path = folder / f"date={day.isoformat()}" / "data.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    extracted_at = datetime.combine(day + timedelta(days=1), time(2), tzinfo=UTC)
    full_rows = [
        {"_partition_date": day, "_extracted_at": extracted_at, "_source_mode": "demo", **row}
        for row in rows
    ]
    pq.write_table(pa.Table.from_pylist(full_rows, schema=schema), path)
    return path


def _order(day: date, number: int) -> dict[str, Any]:
    created = datetime.combine(day, time(10), tzinfo=UTC) + timedelta(minutes=number)
    return {
        "order_id": f"gid://shopify/Order/{day:%Y%m%d}{number:04d}",
        "order_name": f"#{day:%m%d}{number:04d}",
        "created_at": created,
        "updated_at": created,
        "is_test": False,
        "currency_code": "EUR",
        "taxes_included": True,
        "customer_id": f"gid://shopify/Customer/{number % 25}",
        "payload": "{}",
    }


def _line(order: dict[str, Any], price: Decimal) -> dict[str, Any]:
    return {
        "order_id": order["order_id"],
        "order_updated_at": order["updated_at"],
        "line_id": order["order_id"].replace("Order", "LineItem"),
        "sku": "SKU-1",
        "quantity": 2,
        "original_unit_price": price,
        "discount_amount": Decimal("5"),
        "tax_amount": Decimal("8"),
    }


def write_shop_orders_history(
    warehouse: Path,
    last_day: date = LAST_DAY,
    bad_price_day: date | None = None,
    low_volume_day: date | None = None,
    rejected_orders: dict[date, int] | None = None,
) -> list[date]:
    """30 landed days of orders (40 a day); optionally a day of negative prices, a day with
    5 % of the usual volume, or rejected records. Returns the days written."""
    days = [last_day - timedelta(days=n) for n in range(HISTORY_DAYS - 1, -1, -1)]
    for day in days:
        count = ORDERS_PER_DAY // 20 if day == low_volume_day else ORDERS_PER_DAY
        orders = [_order(day, n) for n in range(count)]
        price = Decimal("-12.5") if day == bad_price_day else Decimal("39.9")
        write_landing_day(warehouse, "shop", "orders", day, orders)
        write_landing_day(warehouse, "shop", "order_lines", day, [_line(o, price) for o in orders])
        write_landing_day(warehouse, "shop", "refund_lines", day, [])
        write_landing_day(warehouse, "shop", "fulfillments", day, [])
        for_day = (rejected_orders or {}).get(day, 0)
        if for_day:
            rejects = [
                {
                    "source": "shop",
                    "dataset": "orders",
                    "record_id": None,
                    "field": "id",
                    "reason": "missing id",
                    "payload": "{}",
                }
            ] * for_day
            write_landing_day(warehouse, "shop", "orders", day, rejects, reject=True)
    return days


def build_kpi_daily_from_landing(warehouse: Path) -> None:
    """A stand-in for dbt's mart_kpi_daily: enough columns and realistic values for its suite."""
    build_db = warehouse / "build" / "warehouse.duckdb"
    build_db.parent.mkdir(parents=True, exist_ok=True)
    orders_glob = warehouse / "landing" / "shop" / "orders" / "*" / "data.parquet"
    with duckdb.connect(str(build_db)) as con:
        con.execute(
            f"""
            create schema if not exists marts;
            create or replace table marts.mart_kpi_daily as
            select
                _partition_date as date,
                count(*) * 30 as sessions,
                count(*) as orders,
                0 as cancelled_orders,
                count(*) / (count(*) * 30) as conversion_rate,
                count(*) * 69.8 as net_revenue,
                69.8 as average_basket,
                2.0 as units_per_order,
                0.1 as cross_sell_rate,
                0.05 as upsell_rate,
                count(*) // 4 as new_customers,
                100.0 as ad_spend,
                100.0 / (count(*) // 4) as cac,
                count(*) * 69.8 / 100.0 as roas,
                count(*) * 30.0 as contribution_margin,
                count(*) * 30.0 - 100.0 as margin_after_ad_spend,
                0.2 as return_rate,
                30.0 as median_processing_hours,
                0.9 as shipped_within_48h_rate,
                0 as unshipped_over_48h,
                2 as tickets,
                2 / count(*) as contact_rate,
                0.85 as csat,
                true as is_complete,
                false as is_final,
                false as sessions_thresholded,
                false as sessions_other_row_merged,
                false as sessions_sampled,
            from read_parquet('{orders_glob}')
            group by all
            """
        )
