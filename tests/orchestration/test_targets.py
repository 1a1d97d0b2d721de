"""The whole pipeline on the `postgres` dbt target: landing loaded into Postgres, dbt built there,
marts mirrored into the DuckDB build database, GE checks and publication unchanged.

Needs a server (TEST_POSTGRES_DSN, scripts/postgres_for_tests.sh): skipped locally without one,
FAILS in CI (CI=true). Each run uses a fresh database, dropped afterwards. The spark target runs
the same code path but takes minutes (JVM start-up, Parquet tables): it is checked by hand with
`make demo DBT_TARGET=spark` (docs/deploy.md "Targets").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from orchestration.lib.partitions import daily_partitions
from orchestration.lib.settings import ConfigError, load_settings
from tests.dbt.targets import (
    create_postgres_database,
    drop_postgres_database,
    postgres_env,
    require_engine,
)


def test_dbt_target_from_env() -> None:
    assert load_settings({}).dbt_target == "duckdb"
    assert load_settings({"DBT_TARGET": "Spark"}).dbt_target == "spark"
    with pytest.raises(ConfigError, match=r"DBT_TARGET.*duckdb, postgres, spark"):
        _ = load_settings({"DBT_TARGET": "bigquery"}).dbt_target


@pytest.fixture
def postgres_database(monkeypatch: pytest.MonkeyPatch):
    require_engine("postgres")
    database = create_postgres_database("pipeline")
    env = {"DBT_TARGET": "postgres", "DBT_THREADS": "4", **postgres_env(database)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        yield database
    finally:
        drop_postgres_database(database)


@pytest.mark.slow
def test_one_day_on_postgres_publishes(postgres_database: str, _isolated_warehouse: Path) -> None:
    from orchestration.dbt.assets import DBT_TARGET_TAG, dbt_resource
    from orchestration.definitions import defs

    day = datetime.now(ZoneInfo(daily_partitions.timezone)).date() - timedelta(days=2)
    on_postgres = dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=defs.jobs,
        resources={**defs.resources, "dbt": dbt_resource()},  # target from DBT_TARGET
    )
    with dg.instance_for_test() as instance:
        result = on_postgres.resolve_job_def("daily_pipeline").execute_in_process(
            instance=instance, partition_key=day.isoformat(), raise_on_error=False
        )
        failures = [event.message for event in result.all_events if event.is_failure]
        assert result.success, failures
        run = instance.get_run_by_id(result.run_id)
        assert run is not None and run.tags[DBT_TARGET_TAG] == "postgres"

    published = _isolated_warehouse / "published" / "marts.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        (orders,) = con.execute(
            "select coalesce(sum(orders), 0) from mart_kpi_daily where date = ?", [day]
        ).fetchone()
    assert orders > 0
    # nothing was built in DuckDB by dbt: the build database holds only the mirrored marts
    build = _isolated_warehouse / "build" / "warehouse.duckdb"
    with duckdb.connect(str(build), read_only=True) as con:
        tables = con.execute("select schema_name from duckdb_tables()").fetchall()
    schemas = {schema for (schema,) in tables}
    assert schemas == {"marts"}
