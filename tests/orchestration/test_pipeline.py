"""Two consecutive shop days of the whole pipeline, in process, against the bundled simulator.

One run of the daily job over the two-day partition range, in a tmp WAREHOUSE_DIR: what a
backfill does with single-run policies (each extract lands both days, dbt builds once with
partition_start..partition_end spanning them). The KPI mart then has both days with orders, every
asset has both partitions materialised, and the dbt assets carry their column schema from the dbt
YAML (no per-run column or row-count queries: orchestration/dbt/assets.py). Then the Dagster UI,
in a real browser, shows that run's lineage, checks and freshness (tests/orchestration/browser.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from orchestration.dbt.assets import dbt_models
from orchestration.definitions import defs
from orchestration.freshness import PUBLISHED_MARTS, freshness_sensor
from orchestration.lib.partitions import daily_partitions
from tests.orchestration.browser import assert_the_ui_shows_the_run

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
KPI_DAILY = dg.AssetKey(["marts", "mart_kpi_daily"])


def recent_days() -> list[date]:
    """Two complete shop days shortly before today (the simulator serves any day up to now)."""
    today = datetime.now(ZoneInfo(daily_partitions.timezone)).date()
    return [today - timedelta(days=3), today - timedelta(days=2)]


@pytest.mark.slow
def test_two_consecutive_days_end_to_end(
    _isolated_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = defs.resolve_job_def("daily_pipeline")
    first, last = recent_days()
    # A real instance on disk (not an in-memory one): the UI opens it at the end.
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        result = job.execute_in_process(
            instance=instance,
            tags={RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()},
            raise_on_error=False,
        )
        failures = [event.message for event in result.all_events if event.is_failure]
        assert result.success, failures

        # One dbt build for the range, recorded as both partitions of every dbt asset.
        dbt_steps = [e for e in result.all_events if e.is_step_start and e.step_key == "dbt_models"]
        assert len(dbt_steps) == 1
        for key in (dg.AssetKey(["landing", "shop_orders"]), KPI_DAILY):
            materialized = instance.get_materialized_partitions(key)
            assert {first.isoformat(), last.isoformat()} <= materialized, (key, materialized)

        event = instance.get_latest_materialization_event(KPI_DAILY)
        assert event is not None and event.asset_materialization is not None
        assert event.asset_materialization.metadata["dbt_target"].value == "duckdb"
        spec = next(spec for spec in dbt_models.specs if spec.key == KPI_DAILY)
        columns = {column.name for column in spec.metadata["dagster/column_schema"].columns}
        assert {"date", "orders"} <= columns

        # The publication covers two and three days ago: past a deadline of midnight, yesterday's
        # is missing, and the freshness sensor records the failing check the UI shows.
        monkeypatch.setenv("FRESHNESS_DEADLINE_HOUR", "0")
        freshness_sensor([PUBLISHED_MARTS])(dg.build_sensor_context(instance=instance))

    # The dbt documentation is published with the marts, one static file, and each dbt asset
    # links to its page in it.
    docs = _isolated_warehouse / "published" / "docs" / "index.html"
    assert "model.retail_pipeline.mart_kpi_daily" in docs.read_text()
    # (the link is made when the definitions load, with the WAREHOUSE_DIR of that moment)
    assert spec.metadata["dbt_docs"].url.endswith(
        "/published/docs/index.html#!/model/model.retail_pipeline.mart_kpi_daily"
    )

    database = _isolated_warehouse / "build" / "warehouse.duckdb"
    with duckdb.connect(str(database), read_only=True) as con:
        rows = dict(
            con.execute(
                "select date, orders from marts.mart_kpi_daily where date between ? and ?",
                [first, last],
            ).fetchall()
        )
    assert set(rows) == {first, last}, rows
    assert all(orders > 0 for orders in rows.values()), rows

    assert_the_ui_shows_the_run(dagster_home)
