"""Bad data from the simulator never reaches BI: the gate on real extracts and checks.

The simulator injects the bad day (FaultConfig.bad_days): a day of orders with negative prices,
or a day with 5 % of the usual orders. The real `landing/shop_orders` extract lands it, the real
`ge_shop_orders` and `ge_mart_kpi_daily` checks (built from expectations/*.json) judge it, and the
real publication asset must then not run: the published DuckDB and Parquet files stay
byte-identical to the previous publication.

The graph is the daily job's for one partition, cut down to what the two faults need:

- the extracts the KPI mart reads (RFID is not upstream of it);
- `marts/mart_kpi_daily`, built by the real dbt models (`dbt build --select +mart_kpi_daily`,
  seeds and models). The asset running it is a stand-in for the `dbt_models` multi-asset only:
  dagster-dbt's subset build of the same models, with its data tests and row-count/column
  metadata queries, takes over a minute per run on two cores, against ~10 s here;
- the real publication asset over that mart, and the real suite checks of the two assets.

One module fixture lands 28 good days and publishes the last of them through the gate (the
"previous publication"); each scenario copies that warehouse and runs the bad day next to it with
its own faulty simulator (same seed, so every earlier day is served identically). As in
production, each run's simulator clock is 06:00 shop time the morning after its day, when the
daily schedule runs it.
"""

# No `from __future__ import annotations`: Dagster reads the asset's context annotation.

import json
import re
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from statistics import median

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.lib.landing import landing_path
from orchestration.lib.partitions import daily_partitions
from orchestration.publication import build_published_marts_asset
from orchestration.quality import build_quality_checks
from simulator import FaultConfig
from tests.simulator_runs import (
    FAST_PIPELINE,
    MART_EXTRACTS,
    SHOP_TIMEZONE,
    build_kpi_models,
    land,
    morning_after,
    published_bytes,
    serving,
    simulator_config,
    use_warehouse,
)

#: One pytest-xdist group: the module's tests share the warehouse its module fixture builds, which
#: each worker would otherwise build again.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("simulator_bad_data")]

BAD_DAY = date(2026, 3, 2)
GOOD_DAY = BAD_DAY - timedelta(days=1)
# 28 complete days before the bad one: the mart's volume check compares a day with the median of
# the 28 previous rows, and a row is complete only when every order created that day has landed.
HISTORY_START = BAD_DAY - timedelta(days=28)
LANDING = dg.AssetKey(["landing", "shop_orders"])
MART = dg.AssetKey(["marts", "mart_kpi_daily"])
PUBLISHED = dg.AssetKey("published_marts")
MIN_VOLUME_RATIO = 0.25  # the blocking threshold of both volume expectations (suite parameter)


@dg.asset(
    key=MART,
    deps=[a.key for a in MART_EXTRACTS],
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
)
def mart_kpi_daily(context: dg.AssetExecutionContext) -> None:
    """The real dbt models up to mart_kpi_daily, with the run's day as dbt's partition window."""
    day = context.partition_key
    build_kpi_models(day, day)


def _daily_run(day: date) -> dg.ExecuteInProcessResult:
    """The daily job's graph for `day` (see the module docstring), on a fresh instance."""
    return dg.materialize(
        [
            *MART_EXTRACTS,
            mart_kpi_daily,
            build_published_marts_asset([MART]),
            *build_quality_checks(asset_keys=[LANDING, MART]),
        ],
        partition_key=day.isoformat(),
        instance=dg.DagsterInstance.ephemeral(),
        resources={"pipeline": FAST_PIPELINE},
        raise_on_error=False,
    )


def _started_steps(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START}


@pytest.fixture(scope="module")
def published_good_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A warehouse with 28 good days landed and the last one published through the gate."""
    warehouse = tmp_path_factory.mktemp("good") / "warehouse"
    (warehouse / "build").mkdir(parents=True)
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_warehouse(monkeypatch, warehouse)
        with serving(simulator_config(morning_after(GOOD_DAY)), monkeypatch):
            land(MART_EXTRACTS, HISTORY_START, GOOD_DAY - timedelta(days=1))
            good = _daily_run(GOOD_DAY)
    assert good.success, [e.message for e in good.all_events if e.is_failure]
    assert PUBLISHED in {e.asset_key for e in good.get_asset_materialization_events()}
    with duckdb.connect(str(warehouse / "published" / "marts.duckdb"), read_only=True) as con:
        checks = json.loads(con.execute("select checks from publication_log").fetchone()[0])
        orders = con.execute(
            "select orders from mart_kpi_daily where date = ?", [GOOD_DAY]
        ).fetchone()
    assert checks["landing/shop_orders:ge_shop_orders"] == "passed"
    assert checks["marts/mart_kpi_daily:ge_mart_kpi_daily"] == "passed"
    assert orders is not None and orders[0] > 50
    yield warehouse


@pytest.fixture
def previous_publication(
    published_good_day: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A private copy of the good warehouse, as the environment's WAREHOUSE_DIR."""
    warehouse = tmp_path / "warehouse"
    shutil.copytree(published_good_day, warehouse)
    use_warehouse(monkeypatch, warehouse)
    return warehouse


def _failed_check(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    failed = {e.check_name: e for e in result.get_asset_check_evaluations() if not e.passed}
    assert name in failed, sorted(failed)
    evaluation = failed[name]
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "data_docs" in evaluation.metadata
    return evaluation


def _observed(description: str, expectation: str) -> tuple[str, list[float]]:
    """From a check description, the observed value and samples of one failed expectation."""
    match = re.search(
        re.escape(expectation) + r" on \w+: observed ([^,;]+)(?:, e\.g\. ([^;]+))?", description
    )
    assert match, description
    samples = [float(s) for s in (match.group(2) or "").split(", ") if s]
    return match.group(1).strip(), samples


def _assert_not_published(
    result: dg.ExecuteInProcessResult, before: dict[str, bytes], warehouse: Path
) -> None:
    assert not result.success
    assert PUBLISHED not in {e.asset_key for e in result.get_asset_materialization_events()}
    assert "published_marts" not in _started_steps(result)
    assert published_bytes(warehouse) == before


def test_negative_prices_stop_at_the_landing_check(
    previous_publication: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = previous_publication
    before = published_bytes(warehouse)
    assert {"marts.duckdb", "parquet/mart_kpi_daily.parquet"} <= set(before)
    faults = FaultConfig(bad_days={BAD_DAY: "negative_prices"})
    with serving(simulator_config(morning_after(BAD_DAY), faults=faults), monkeypatch):
        bad = _daily_run(BAD_DAY)

    # What the simulator served, as landed: the test's own count of negative unit prices.
    lines = pq.read_table(landing_path(warehouse, "shop", "order_lines", BAD_DAY)).to_pylist()
    negative = [line["original_unit_price"] for line in lines if line["original_unit_price"] < 0]
    assert len(negative) > 50, "the simulator's bad day was landed"

    evaluation = _failed_check(bad, "ge_shop_orders")
    observed, samples = _observed(
        evaluation.description, "expect_column_values_to_be_between(original_unit_price)"
    )
    assert observed.startswith(f"{len(negative)} unexpected of {len(lines)} ")
    assert samples and set(samples) <= {float(price) for price in negative}
    # The landing gate stops the run before dbt: the mart is not rebuilt from the bad day.
    assert "marts__mart_kpi_daily" not in _started_steps(bad)
    _assert_not_published(bad, before, warehouse)


def _counted_orders_per_day(warehouse: Path) -> dict[date, int]:
    """Counted orders (not test, not cancelled) per shop day of creation, from the landed files
    (latest version of each order): what the KPI mart's `orders` column means (marts.md)."""
    orders = warehouse / "landing" / "shop" / "orders" / "date=*" / "data.parquet"
    with duckdb.connect() as con:
        rows = con.execute(
            f"""
            with latest_orders as (
                select * from read_parquet('{orders}')
                qualify row_number() over (partition by order_id order by updated_at desc) = 1
            )
            select (created_at at time zone '{SHOP_TIMEZONE}')::date as day, count(*)
            from latest_orders
            where not is_test and cancelled_at is null
            group by all
            """
        ).fetchall()
    return dict(rows)


def test_low_volume_day_stops_at_the_mart_check(
    previous_publication: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = previous_publication
    before = published_bytes(warehouse)
    faults = FaultConfig(bad_days={BAD_DAY: "low_volume"})
    with serving(simulator_config(morning_after(BAD_DAY), faults=faults), monkeypatch):
        bad = _daily_run(BAD_DAY)

    # The landing partition of D holds the orders *updated* on D, mostly fulfilments and refunds
    # of earlier orders: the few orders created on D hardly move its volume, so the landing check
    # lets the day through and dbt builds the mart, whose orders are counted by creation day.
    assert "marts__mart_kpi_daily" in _started_steps(bad)
    per_day = _counted_orders_per_day(warehouse)
    usual = median(per_day[BAD_DAY - timedelta(days=n)] for n in range(1, 29))
    ratio = per_day.get(BAD_DAY, 0) / usual
    assert usual > 100 and ratio < MIN_VOLUME_RATIO / 2, (per_day.get(BAD_DAY), usual)

    evaluation = _failed_check(bad, "ge_mart_kpi_daily")
    observed, samples = _observed(
        evaluation.description, "expect_column_values_to_be_between(volume_ratio)"
    )
    assert observed.startswith("1 unexpected of 1 ")  # the run's one day
    assert samples == [pytest.approx(ratio, rel=1e-5, abs=1e-9)]
    _assert_not_published(bad, before, warehouse)
