"""Every dbt model, seed and snapshot as one multi-asset, partitioned like the extracts.

Why the whole dbt project is partitioned, incremental models or not: one partitions definition
on both sides of the extract -> dbt edge keeps the lineage simple (a day of landing data feeds the
same day of dbt) and lets `dagster asset materialize --select '*' --partition-range A...B` run the
whole pipeline in one run. Models that are full rebuilds (views, marts recomputed from all landed
data) simply ignore the window; the dbt vars say which days a run is about (the marts recompute
the lookback window ending on `partition_end`). `BackfillPolicy.single_run()` makes a backfill of
N days one `dbt build` with `partition_start`..`partition_end` spanning the range, not N builds.

dbt writes the single DuckDB build database, so the asset is in the `duckdb` pool (limit 1 in
dagster.yaml) together with the publication that reads it: two runs never write it at once.
"""

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt.project import dbt_executable, dbt_project, prepare_if_dev
from orchestration.dbt.translator import translator
from orchestration.dbt.vars import dbt_vars_args, dbt_vars_for_window
from orchestration.lib.config import warehouse_dir
from orchestration.lib.partitions import daily_partitions

DUCKDB_POOL = "duckdb"
# Per-run dbt target folders (run_results.json, compiled SQL, logs) live under the warehouse, not
# in the source tree; kept after a failure for debugging, pruned after this many days.
_KEEP_FAILED_TARGETS_DAYS = 7

prepare_if_dev()


def _run_target_path(run_id: str) -> Path:
    runs = warehouse_dir() / "build" / "dbt_runs"
    if runs.exists():
        cutoff = time.time() - _KEEP_FAILED_TARGETS_DAYS * 86400
        for old in runs.iterdir():
            if old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
    return runs / run_id


def dbt_resource() -> DbtCliResource:
    """The `dbt` resource: this project, the venv's dbt executable."""
    return DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=DUCKDB_POOL,
    name="dbt_models",
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """`dbt build` (seeds, models, tests) of the selected nodes over the run's partition window."""
    partitioned = context.has_partition_key or context.has_partition_key_range
    window = context.partition_time_window if partitioned else None
    dbt_vars = dbt_vars_for_window(
        window.start if window else None,
        window.end if window else None,
        daily_partitions.timezone,
    )
    context.log.info(f"dbt vars: {dbt_vars}")
    # dbt inherits this process's environment; make its WAREHOUSE_DIR absolute (see warehouse_dir)
    os.environ["WAREHOUSE_DIR"] = str(warehouse_dir())
    target_path = _run_target_path(context.run_id)
    # dbt unit tests check SQL logic on fixed fixture rows, not the day's data: CI runs them
    # (tests/dbt); in every pipeline run they only added a fixed cost (bench/README.md).
    invocation = dbt.cli(
        ["build", "--exclude-resource-type", "unit_test", *dbt_vars_args(dbt_vars)],
        context=context,
        target_path=target_path,
    )
    try:
        yield from (
            invocation.stream()
            .fetch_row_counts()  # tables only (dagster-dbt skips views)
            # No column lineage: it re-parses every model with sqlglot and queries its parents.
            .fetch_column_metadata(with_column_lineage=False)
        )
    finally:
        release_duckdb(invocation.adapter)
    # Reached only when dbt succeeded: a failed run keeps its target folder for debugging (and
    # every run keeps it with DBT_KEEP_RUN_TARGETS=1: the benchmarks read run_results.json).
    if os.environ.get("DBT_KEEP_RUN_TARGETS") != "1":
        shutil.rmtree(target_path, ignore_errors=True)


def release_duckdb(adapter: Any) -> None:
    """Close the DuckDB database that dagster-dbt's in-process adapter opened for row counts and
    column metadata.

    dbt-duckdb caches one open database per process. Left open, it makes any later
    `duckdb.connect()` on the build database in the same process (the publication, the quality
    checks, with the in-process executor of `make demo`) fail with "Can't open a connection to
    same database file with a different configuration".
    """
    if adapter is None:
        return
    adapter.cleanup_connections()
    manager = getattr(adapter, "ConnectionManager", None)
    environment = getattr(manager, "_ENV", None)
    if environment is not None:
        environment.close()
        manager.close_all_connections()


def published_model_keys() -> list[dg.AssetKey]:
    """The models of the `marts` layer (fct_, dim_, mart_): the contract BI reads, so what the
    publication publishes (deps=published_model_keys())."""
    return sorted(
        (key for key in dbt_models.keys if key.path[0] == "marts"),
        key=lambda key: key.to_user_string(),
    )
