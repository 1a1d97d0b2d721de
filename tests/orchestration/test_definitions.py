"""The assembled definitions load, and their asset graph reads API -> landing -> dbt -> marts ->
published without orphans; the schedule, job and pools are what docs/operations.md says."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.dbt.assets import dbt_models
from orchestration.definitions import defs
from orchestration.lib.partitions import daily_partitions
from tests.orchestration.conftest import (
    EXTRACT_KEYS,
    PUBLICATION_KEY,
    downstream_of,
    invert,
    is_mart,
)

JOURNEY_GROUPS = {"acquisition", "conversion", "retention", "stores", "publication"}


@pytest.fixture(scope="module")
def asset_graph() -> dg.AssetGraph:
    dg.Definitions.validate_loadable(defs)
    return defs.resolve_asset_graph()


@pytest.fixture(scope="module")
def parents(asset_graph: dg.AssetGraph) -> dict[str, set[str]]:
    upstream = asset_graph.asset_dep_graph["upstream"]
    return {
        key.to_user_string(): {parent.to_user_string() for parent in ups}
        for key, ups in upstream.items()
    }


def test_every_extract_reaches_a_mart(parents: dict[str, set[str]]) -> None:
    children = invert(parents)
    for extract in EXTRACT_KEYS:
        assert extract in parents, f"extract asset {extract} is not in the definitions"
        marts = {key for key in downstream_of(extract, children) if is_mart(key)}
        assert marts, f"no path from {extract} to a mart"


def test_every_mart_reaches_the_publication(parents: dict[str, set[str]]) -> None:
    """Fails (does not skip) while `published_marts` is not wired into the definitions."""
    children = invert(parents)
    marts = sorted(key for key in parents if is_mart(key))
    assert len(marts) >= 9, marts
    assert PUBLICATION_KEY in parents, f"{PUBLICATION_KEY} is not in the definitions"
    missing = [mart for mart in marts if PUBLICATION_KEY not in downstream_of(mart, children)]
    assert not missing, f"marts not published: {missing}"


def test_every_dbt_source_is_an_extract_asset(asset_graph: dg.AssetGraph) -> None:
    source_keys = dbt_models.dependency_keys - dbt_models.keys
    assert {key.to_user_string() for key in source_keys} == set(EXTRACT_KEYS)
    for key in source_keys:
        assert asset_graph.get(key).is_materializable, f"{key} has no producing asset"
    orphans = asset_graph.external_asset_keys
    assert not orphans, f"external (unproduced) assets: {orphans}"


def test_one_partitioning_and_single_run_backfills(asset_graph: dg.AssetGraph) -> None:
    """What `--partition-range` on `--select '*'` needs: one definition, single-run policies."""
    for key in asset_graph.materializable_asset_keys:
        node = asset_graph.get(key)
        assert node.partitions_def == daily_partitions, f"{key} is not daily-partitioned"
        assert node.backfill_policy == dg.BackfillPolicy.single_run(), f"{key} backfills per day"


def test_groups_owners_and_pools(asset_graph: dg.AssetGraph) -> None:
    for key in asset_graph.materializable_asset_keys:
        node = asset_graph.get(key)
        assert node.group_name in JOURNEY_GROUPS, f"{key} in group {node.group_name}"
    for key in dbt_models.keys:
        node = asset_graph.get(key)
        assert node.owners, f"{key} has no owner"
        assert {"dagster/kind/dbt", "dagster/kind/duckdb"} <= set(node.tags), key
        assert node.code_version, f"{key} has no code version"
        # No pool: the build lease serialises the build database (a step waiting for the lease
        # in a pool slot would block the lease holder's next step).
        assert not node.pools, key
    if asset_graph.has(dg.AssetKey(PUBLICATION_KEY)):
        assert not asset_graph.get(dg.AssetKey(PUBLICATION_KEY)).pools


def test_dbt_tests_are_asset_checks(asset_graph: dg.AssetGraph) -> None:
    mart_checks = [
        check for check in asset_graph.asset_check_keys if is_mart(check.asset_key.to_user_string())
    ]
    assert mart_checks, "no dbt test became an asset check on a mart"


def test_daily_schedule_at_six_shop_time() -> None:
    schedule = defs.resolve_schedule_def("daily_pipeline_schedule")
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.execution_timezone == daily_partitions.timezone
    assert schedule.job_name == "daily_pipeline"
    job = defs.resolve_job_def("daily_pipeline")
    assert job.partitions_def == daily_partitions
    for name in ("run_failure_alert", "dead_run_recovery"):  # both on with the daemon
        assert defs.resolve_sensor_def(name).default_status == dg.DefaultSensorStatus.RUNNING


def test_the_daily_plan_has_one_dbt_step_and_three_suite_steps() -> None:
    """The suites run in one step per layer, the suites of the extracts that read the shop
    catalog (RFID, Google Ads, the orders) in a second landing wave (the catalog's check must
    pass first): any other grouping would be a cycle Dagster breaks by splitting dbt's step
    (measured: three dbt invocations)."""
    from dagster._core.execution.api import create_execution_plan

    plan = create_execution_plan(defs.resolve_job_def("daily_pipeline"))
    steps = [step.key for step in plan.get_steps_to_execute_in_topo_order()]
    assert [s for s in steps if s.startswith(("dbt_models", "ge_"))] == [
        "ge_landing",
        "ge_landing_wave2",
        "dbt_models",
        "ge_marts",
    ]
    assert steps.index("landing__shop_catalog") < steps.index("ge_landing")
    assert steps.index("ge_landing") < steps.index("landing__rfid_counts")
    assert steps.index("landing__rfid_counts") < steps.index("ge_landing_wave2")
    # orders are checked against the landed catalog: extracted after the catalog passed its check
    assert steps.index("ge_landing") < steps.index("landing__shop_orders")
    assert steps.index("landing__shop_orders") < steps.index("ge_landing_wave2")
    # After the publication: what reads it (reports, dbt docs) and the freshness checks.
    assert steps[-5] == "published_marts"
    after = {"kpi_report", "store_picking_sheets", "dbt_docs", "freshness_checks"}
    assert set(steps[-4:]) == after


def test_every_run_of_the_code_location_runs_in_process() -> None:
    """The schedule's job and `dagster asset materialize` (the implicit asset job) use the
    in-process executor: one process per run, not one per step (docs/operations.md)."""
    scheduled = defs.resolve_job_def("daily_pipeline")
    materialize = defs.resolve_implicit_global_asset_job_def()
    assert scheduled.executor_def is dg.in_process_executor
    assert materialize.executor_def is dg.in_process_executor
