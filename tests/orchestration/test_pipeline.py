"""Two consecutive shop days of the whole pipeline, in process, against the bundled simulator.

The daily job runs once per day (the second run exercises dbt's incremental path), in a tmp
WAREHOUSE_DIR; the KPI mart then has both days with orders, and the dbt materialisations carry
row counts and column schemas fetched from DuckDB.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from orchestration.definitions import defs
from orchestration.lib.partitions import daily_partitions


def recent_days() -> list[date]:
    """Two complete shop days shortly before today (the simulator serves any day up to now)."""
    today = datetime.now(ZoneInfo(daily_partitions.timezone)).date()
    return [today - timedelta(days=3), today - timedelta(days=2)]


@pytest.mark.slow
def test_two_consecutive_days_end_to_end(_isolated_warehouse: Path) -> None:
    job = defs.resolve_job_def("daily_pipeline")
    days = recent_days()
    with dg.instance_for_test() as instance:
        for day in days:
            result = job.execute_in_process(
                partition_key=day.isoformat(), instance=instance, raise_on_error=False
            )
            assert result.success, [
                event.message for event in result.all_events if event.is_failure
            ]
        kpi = dg.AssetKey(["marts", "mart_kpi_daily"])
        materialization = instance.get_latest_materialization_event(kpi)
        assert materialization is not None
        metadata = materialization.asset_materialization.metadata
        assert metadata["dagster/row_count"].value >= 1
        assert "dagster/column_schema" in metadata
        assert materialization.asset_materialization.partition == days[-1].isoformat()

    database = _isolated_warehouse / "build" / "warehouse.duckdb"
    with duckdb.connect(str(database), read_only=True) as con:
        rows = dict(
            con.execute(
                "select date, orders from marts.mart_kpi_daily where date in (?, ?)", days
            ).fetchall()
        )
    assert set(rows) == set(days), rows
    assert all(orders > 0 for orders in rows.values()), rows
