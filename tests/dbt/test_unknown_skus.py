"""No order line reaches the marts without a cost because its sku is not in the catalog.

The simulator's record faults give order lines a sku the catalog lacks and make some catalog
variants unreadable (missing id, a barcode that is not a GTIN): both leave order lines whose sku
has no catalog snapshot. The real extract assets land two days of orders and the catalog in one
Dagster run (the orders step after the catalog it depends on), then the real dbt models build
the order facts from that landing zone.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.sources.shop.catalog import shop_catalog
from orchestration.sources.shop.orders import shop_orders
from simulator import FaultConfig
from tests.dbt_runner import run_dbt
from tests.simulator_runs import land, morning_after, serving, simulator_config

pytestmark = pytest.mark.slow

FIRST_DAY, LAST_DAY = date(2026, 3, 2), date(2026, 3, 3)
SHOP_FAULTS = FaultConfig(malformed_rate=0.1, sources=frozenset({"shop"}))


def _rows(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def _reject_reasons(warehouse: Path) -> list[str]:
    files = warehouse / "landing" / "shop" / "_rejects" / "orders" / "date=*" / "data.parquet"
    with duckdb.connect() as con:  # in memory: only reads the landing files
        query = f"select reason from read_parquet('{files}') where field = 'sku'"
        return [reason for (reason,) in con.execute(query).fetchall()]


def test_order_facts_have_no_line_without_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "warehouse"
    (warehouse / "build").mkdir(parents=True)
    monkeypatch.setenv("WAREHOUSE_DIR", str(warehouse))
    config = simulator_config(morning_after(LAST_DAY), faults=SHOP_FAULTS)
    with serving(config, monkeypatch):
        land([shop_orders, shop_catalog], FIRST_DAY, LAST_DAY)
    reasons = _reject_reasons(warehouse)
    assert any("sku 'UNKNOWN-SKU-0000' is not in the landed catalog" in r for r in reasons)

    run_dbt(
        [
            "build",
            "--select",
            "+fct_order_lines",
            "--resource-type",
            "seed",
            "--resource-type",
            "model",
        ],
        warehouse,
        dbt_vars={"partition_start": FIRST_DAY.isoformat(), "partition_end": LAST_DAY.isoformat()},
    )
    database = warehouse / "build" / "warehouse.duckdb"
    assert _rows(database, "select count(*) from marts.fct_order_lines")[0][0] > 100
    without_cost = _rows(
        database, "select order_id, line_id, sku from marts.fct_order_lines where cogs is null"
    )
    assert without_cost == []
