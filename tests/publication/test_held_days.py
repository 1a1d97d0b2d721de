"""No publication contains a day whose checks did not pass, nor data of the other source mode.

Real extracts against the simulator, real dbt (the models up to `mart_kpi_daily`, `fct_orders`
among them), the real suite checks and the real publication asset, on one Dagster instance
across runs (the held day's reason is read from it). As in test_simulator_bad_data.py, the asset
running dbt is a stand-in for the `dbt_models` multi-asset only (dagster-dbt's subset build takes
over a minute per run on two cores); it applies the same gate as `dbt_models`
(`plan_dbt_build`: the held days to dbt, `--full-refresh` when the build holds a blocked run's
days, the source-mode refusal), then runs the dbt CLI.
"""

# No `from __future__ import annotations`: Dagster reads the asset's context annotation.

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from orchestration.lib.partitions import daily_partitions
from orchestration.lib.settings import SOURCE_ENV
from orchestration.publication import build_published_marts_asset
from orchestration.publication.assets import plan_dbt_build
from orchestration.quality import build_quality_checks
from simulator import FaultConfig
from tests.simulator_runs import (
    FAST_PIPELINE,
    MART_EXTRACTS,
    RANGE_END_TAG,
    RANGE_START_TAG,
    SHOP_TIMEZONE,
    build_kpi_models,
    morning_after,
    published_bytes,
    serving,
    simulator_config,
    use_warehouse,
)

pytestmark = pytest.mark.slow

LANDING = dg.AssetKey(["landing", "shop_orders"])
KPI = dg.AssetKey(["marts", "mart_kpi_daily"])
ORDERS = dg.AssetKey(["marts", "fct_orders"])
PUBLISHED = dg.AssetKey("published_marts")
EXTRACT_KEYS = [a.key for a in MART_EXTRACTS]


@dg.multi_asset(
    specs=[dg.AssetSpec(KPI, deps=EXTRACT_KEYS), dg.AssetSpec(ORDERS, deps=EXTRACT_KEYS)],
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
)
def kpi_models(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
    """The dbt models up to mart_kpi_daily over the run's days, behind the dbt step's gate."""
    first, last = context.partition_key_range
    gate = plan_dbt_build(context)
    build_kpi_models(first, last, gate.dbt_args(), env=gate.dbt_env())
    yield dg.MaterializeResult(asset_key=KPI)
    yield dg.MaterializeResult(asset_key=ORDERS)


def _run(instance: dg.DagsterInstance, first: date, last: date) -> dg.ExecuteInProcessResult:
    """The daily job's graph, cut down to the KPI mart and fct_orders, over [first, last]."""
    return dg.materialize(
        [
            *MART_EXTRACTS,
            kpi_models,
            build_published_marts_asset([KPI, ORDERS]),
            *build_quality_checks(asset_keys=[LANDING, KPI]),
        ],
        instance=instance,
        resources={"pipeline": FAST_PIPELINE},
        tags={RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()},
        raise_on_error=False,
    )


def _failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """The failed steps' errors, with their causes (Dagster wraps the asset's exception)."""
    messages = []
    for event in result.all_events:
        error = event.step_failure_data.error if event.is_step_failure else None
        while error is not None:
            messages.append(f"{event.step_key}: {error.message}")
            error = error.cause
    return messages


def _published(warehouse: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse / "published" / "marts.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _orders_on(warehouse: Path, day: date) -> int:
    """Published orders placed on `day`."""
    sql = "select count(*) from fct_orders where order_date = ?"
    return _published(warehouse, sql, [day])[0][0]


def _kpi_days(warehouse: Path) -> set[date]:
    return {day for (day,) in _published(warehouse, "select date from mart_kpi_daily")}


def _last_log(warehouse: Path) -> dict[str, object]:
    (row,) = _published(
        warehouse,
        "select run_id, source_mode, days_published, days_held from publication_log "
        "order by published_at desc limit 1",
    )
    return {
        "run_id": row[0],
        "source_mode": row[1],
        "days_published": json.loads(row[2]),
        "days_held": json.loads(row[3]),
    }


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    warehouse = tmp_path / "warehouse"
    (warehouse / "build").mkdir(parents=True)
    use_warehouse(monkeypatch, warehouse)
    return warehouse


#: The issue's sequence: D2 blocked by the volume check, then the earlier D1 runs and succeeds.
D1 = date(2026, 3, 2)
D2 = D1 + timedelta(days=1)
#: Enough published days before D1 for D2's volume check (7 reference days at least).
HISTORY = (D1 - timedelta(days=8), D1 - timedelta(days=1))


def test_a_blocked_day_stays_out_of_later_publications_until_it_passes(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = dg.DagsterInstance.ephemeral()
    with serving(simulator_config(morning_after(HISTORY[1])), monkeypatch):
        history = _run(instance, *HISTORY)
    assert history.success, _failures(history)

    # D2: 5 % of the usual orders; the landing check lets it through, dbt builds it into the
    # build database, the mart's volume check blocks the publication
    low_volume = FaultConfig(bad_days={D2: "low_volume"})
    with serving(simulator_config(morning_after(D2), faults=low_volume), monkeypatch):
        blocked = _run(instance, D2, D2)
    assert not blocked.success
    failed = [e.check_name for e in blocked.get_asset_check_evaluations() if not e.passed]
    assert failed == ["ge_mart_kpi_daily"]
    assert PUBLISHED not in {e.asset_key for e in blocked.get_asset_materialization_events()}

    # D1, later (a late run or a re-run: the source serves D1 as it did the morning after):
    # succeeds, and publishes nothing of D2
    with serving(simulator_config(morning_after(D1)), monkeypatch):
        earlier = _run(instance, D1, D1)
    assert earlier.success, _failures(earlier)
    assert _orders_on(warehouse, D1) > 50
    later_orders = "select order_date, count(*) from fct_orders where order_date >= ? group by all"
    assert _published(warehouse, later_orders, [D2]) == []
    kpi_days = _kpi_days(warehouse)
    assert D1 in kpi_days and D2 not in kpi_days, sorted(kpi_days)[-3:]
    log = _last_log(warehouse)
    assert log["run_id"] == earlier.run_id, log
    assert log["days_published"] == [[HISTORY[0].isoformat(), D1.isoformat()]]
    assert [held["day"] for held in log["days_held"]] == [D2.isoformat()]
    reason = log["days_held"][0]["reason"]
    assert blocked.run_id in reason and "marts/mart_kpi_daily:ge_mart_kpi_daily" in reason

    # D2 again, good data this time: published, nothing held
    with serving(simulator_config(morning_after(D2)), monkeypatch):
        rerun = _run(instance, D2, D2)
    assert rerun.success, _failures(rerun)
    assert _orders_on(warehouse, D2) > 50
    assert D2 in _kpi_days(warehouse)
    log = _last_log(warehouse)
    assert log["days_published"] == [[HISTORY[0].isoformat(), D2.isoformat()]]
    assert log["days_held"] == []


def _recent_days() -> tuple[date, date]:
    """Two complete shop days before today: the demo simulator runs on the wall clock."""
    today = datetime.now(ZoneInfo(SHOP_TIMEZONE)).date()
    return today - timedelta(days=3), today - timedelta(days=2)


def test_a_live_run_refuses_a_warehouse_with_demo_data(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo_day, live_day = _recent_days()
    for spec in SOURCE_ENV.values():  # no source URL: demo mode, the in-process simulator
        for var in (spec.url_var, *spec.credential_vars):
            monkeypatch.delenv(var, raising=False)
    instance = dg.DagsterInstance.ephemeral()
    demo = _run(instance, demo_day, demo_day)
    assert demo.success, _failures(demo)
    assert _published(warehouse, "select distinct _source_mode from fct_orders") == [("demo",)]
    before = published_bytes(warehouse)

    # the same warehouse pointed at "real" sources: every URL and credential set (live mode)
    with serving(simulator_config(morning_after(live_day)), monkeypatch):
        live = _run(instance, live_day, live_day)

    assert not live.success
    refusal = " ".join(_failures(live))
    assert f"day {demo_day} was published in demo mode (run {demo.run_id})" in refusal
    assert "fresh WAREHOUSE_DIR" in refusal
    assert PUBLISHED not in {e.asset_key for e in live.get_asset_materialization_events()}
    assert published_bytes(warehouse) == before
    assert _published(warehouse, "select distinct _source_mode from fct_orders") == [("demo",)]
