"""Every dbt model, seed and snapshot as one multi-asset, partitioned like the extracts.

Why the whole dbt project is partitioned, incremental models or not: one partitions definition
on both sides of the extract -> dbt edge keeps the lineage simple (a day of landing data feeds the
same day of dbt) and lets `dagster asset materialize --select '*' --partition-range A...B` run the
whole pipeline in one run. Models that are full rebuilds (views, marts recomputed from all landed
data) simply ignore the window; `partition_start` / `partition_end` say which days a run is about
(the marts recompute the lookback window ending on `partition_end`). `BackfillPolicy.single_run()`
makes a backfill of N days one `dbt build` with `partition_start`..`partition_end` spanning the
range, not N builds.

Per-run cost of dbt (bench/README.md): the window reaches dbt as environment variables, not
`--vars` (vars.py), and dbt's partial-parse cache is kept across runs under the warehouse
(`partial_parse_cache`), so a daily run re-parses nothing instead of the whole project.

dbt writes the single DuckDB build database, so the step first takes the run's build lease
(orchestration/build_lease.py), as do the mart checks and the publication that read it: two runs
never write it at once, and a run checks and publishes the build its own dbt made.

Other engines (DBT_TARGET=postgres|spark, read by `orchestration.lib.settings`): on postgres the
run's landed days are first copied into the server (`landing_loader`); after a successful build
the marts are mirrored into the same DuckDB build database (`mirror.py`), which the quality
checks and the publication read on every target (docs/deploy.md "Targets").
"""

import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import os
import shutil
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
import psycopg
from dagster_dbt import DbtCliResource, dbt_assets
from packaging import version

from orchestration.build_inputs import decide, fingerprint, start_build
from orchestration.build_lease import hold_build
from orchestration.dbt.drain import drain_stdout
from orchestration.dbt.mirror import mirror_marts
from orchestration.dbt.project import dbt_executable, dbt_project, prepare_if_dev
from orchestration.dbt.translator import translator
from orchestration.dbt.vars import dbt_env_for_vars, dbt_vars_for_window
from orchestration.lib import duckdb_settings
from orchestration.lib.landing_loader import (
    DEFAULT_SCHEMA,
    load_landing,
    postgres_dsn_from_env,
    table_name,
)
from orchestration.lib.memory import release_freed_memory
from orchestration.lib.partitions import daily_partitions
from orchestration.lib.paths import warehouse_dir, warehouse_layout
from orchestration.lib.settings import load_settings, process_environment
from orchestration.publication.assets import plan_dbt_build
from orchestration.publication.day_gate import BuildPlan
from orchestration.quality.runner import PARAMETER_ENV
from orchestration.quality.suites import DEFAULT_SUITES_DIR
from orchestration.sources import LANDING_DATASETS

DBT_TARGET_TAG = "dbt/target"
#: On a run whose build was skipped: the run whose publication stands for its inputs.
BUILD_SKIPPED_TAG = "pipeline/build_skipped_since_run"
# Per-run dbt target folders (run_results.json, compiled SQL, logs) live under the warehouse, not
# in the source tree; kept after a failure for debugging, pruned after this many days.
_KEEP_FAILED_TARGETS_DAYS = 7
PARTIAL_PARSE_FILE = "partial_parse.msgpack"

# Under `dagster dev` / `dg dev` only, as dagster-dbt's `DbtProject.prepare_if_dev`: edits to the
# dbt project show up after a reload. Everywhere else the manifest is prepared beforehand.
if load_settings().dagster_dev:
    prepare_if_dev()


def _iso_date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _run_target_path(run_id: str) -> Path:
    runs = warehouse_layout().dbt_runs
    if runs.exists():
        cutoff = time.time() - _KEEP_FAILED_TARGETS_DAYS * 86400
        for old in runs.iterdir():
            if old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
    return runs / run_id


def partial_parse_cache(target: str, project_dir: Path | None = None) -> Path:
    """Where dbt's partial-parse cache of `target` is kept between runs: under the warehouse, one
    per target and dbt project folder.

    dbt reads `partial_parse.msgpack` from its target path, and every run has its own
    (`_run_target_path`, removed after a success); dagster-dbt only seeds it from
    dbt_project/target/, parsed at definitions load (`project.parse_manifest`) for the duckdb
    target only and with whatever WAREHOUSE_DIR that process had (the profile's DuckDB path is
    part of dbt's partial-parse check). So the run seeds its target path from this file and
    saves dbt's updated cache back. dbt itself checks the cache (dbt version, profile, `--vars`,
    file checksums) and re-parses what changed; a stale or unreadable file costs one full parse.
    """
    folder = (project_dir or dbt_project.project_dir).resolve()
    digest = hashlib.sha1(str(folder).encode()).hexdigest()[:10]
    folder_name = f"{target}-{digest}"
    return warehouse_layout().dbt_partial_parse / folder_name / PARTIAL_PARSE_FILE


def restore_partial_parse(cache: Path, target_path: Path) -> bool:
    """Seed a run's target folder with the kept partial-parse cache; False when there is none."""
    if not cache.exists():
        return False
    target_path.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cache, target_path / PARTIAL_PARSE_FILE)
    return True


def save_partial_parse(target_path: Path, cache: Path) -> None:
    """Keep the run's partial-parse cache (dbt rewrites it after every parse) for the next run;
    atomic, so a concurrent run reads either the old or the new file."""
    produced = target_path / PARTIAL_PARSE_FILE
    if not produced.exists():
        return
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_name(f".{cache.name}.{os.getpid()}")
    shutil.copyfile(produced, partial)
    os.replace(partial, cache)


def environ(
    updates: Mapping[str, str], defaults: Mapping[str, str] | None = None
) -> contextlib.AbstractContextManager[None]:
    """Set environment variables for the dbt process started inside the block (dagster-dbt copies
    this process's environment when it starts dbt), then restore them: with the in-process
    executor, or in tests, the next step in this process must not inherit the window."""
    return process_environment(updates, defaults)


class PipelineDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource without two start-up costs this pipeline does not need: 5 of
    the 26 s of dbt's step in a daily run at the demo scale were spent before dbt started.

    - dagster-dbt runs `dbt --version` in a subprocess (3 s: it imports dbt) to tell dbt Core
      from the Fusion engine. The executable next to this interpreter is the venv's, so its
      version is the installed dbt-core package's.
    - It builds a dbt adapter inside the Dagster process for every invocation (2 s: it loads the
      project, the profile and dbt's macros), used only by `fetch_row_counts()` and
      `fetch_column_metadata()`, which `dbt_models` does not call (see there). On DuckDB that
      adapter also held the build database open in this process, which then had to be closed
      before the mart checks and the publication could open it.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return version.parse(importlib.metadata.version("dbt-core"))
        return DbtCliResource._cli_version.func(self)  # another dbt: ask it

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


def dbt_resource() -> DbtCliResource:
    """The `dbt` resource: this project, the venv's dbt executable, the target of DBT_TARGET."""
    return PipelineDbtCliResource(
        project_dir=dbt_project, dbt_executable=dbt_executable(), target=load_settings().dbt_target
    )


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
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
    target = dbt.target or load_settings().dbt_target
    hold_build(context.instance, warehouse_dir(), context.run_id, context.log.info)
    context.log.info(f"dbt target {target}, window: {dbt_vars}")
    context.instance.add_run_tags(context.run_id, {DBT_TARGET_TAG: target})
    # dbt inherits this process's environment; make its WAREHOUSE_DIR absolute (see warehouse_dir)
    process_env = {"WAREHOUSE_DIR": str(warehouse_dir())}
    process_defaults = {}
    if target == "postgres":
        _load_postgres_landing(context, partitioned)
    if target == "spark":
        # dagster-dbt reads dbt's stdout and stderr as one stream of JSON lines: Spark's console
        # progress bar (stderr, no newline) glued to a line made a model's result unparsable,
        # so its asset was never materialised and everything downstream skipped.
        process_defaults["PYSPARK_SUBMIT_ARGS"] = (
            "--conf spark.ui.showConsoleProgress=false pyspark-shell"
        )
    # Landed days whose checks have not passed stay out of the build; refuses to mix source
    # modes (publication/day_gate.py).
    gate = plan_dbt_build(context)
    if skip_unchanged_build(context, dbt_vars, gate, target):
        return  # no output: Dagster skips the mart checks and the publication
    target_path = _run_target_path(context.run_id)
    cache = partial_parse_cache(target)
    if not restore_partial_parse(cache, target_path):
        context.log.info(f"no partial-parse cache at {cache} yet (first dbt run on this warehouse)")
    # dbt unit tests check SQL logic on fixed fixture rows, not the day's data: CI runs them
    # (tests/dbt); in every pipeline run they only added a fixed cost (bench/README.md).
    # No `--vars`: a new window in `--vars` makes dbt re-parse everything (vars.py).
    # dbt's DuckDB budget follows the days it builds (a daily run stays under 1 GiB)
    first, last = dbt_vars["partition_start"], dbt_vars["partition_end"]
    days = gate.budget_days(_iso_date(first), _iso_date(last))
    budget = duckdb_settings.run_budget(days).dbt_env()
    dbt_env = {**process_env, **dbt_env_for_vars(dbt_vars), **gate.dbt_env(), **budget}
    release_freed_memory()  # dbt's process runs beside this one from here (lib/memory.py)
    with environ(dbt_env, process_defaults):
        invocation = dbt.cli(
            ["build", *gate.dbt_args(), "--exclude-resource-type", "unit_test"],
            context=context,
            target_path=target_path,
        )
    drain_stdout(invocation.process)  # dbt never waits for Dagster's event writes (drain.py)
    events = invocation.stream()
    # No fetch_row_counts() / fetch_column_metadata(): with DuckDB, dagster-dbt must then hold
    # every event back until dbt exits (dbt holds the database's write lock), so the hundreds of
    # Dagster events of a run (one per model, two per test: SQLite commits) were all written
    # after the build instead of while it runs, which cost far more than the count queries saved
    # (bench/README.md). The column schema (names, descriptions) is on the asset definitions from
    # the dbt YAML, and the published marts' row counts are recorded by the publication.
    try:
        for event in events:
            if isinstance(event, dg.Output | dg.AssetMaterialization):
                event = event.with_metadata({**event.metadata, "dbt_target": target})
            yield event
    finally:
        save_partial_parse(target_path, cache)
    # Reached only when dbt succeeded.
    if target != "duckdb":
        started = time.monotonic()
        marts = [key.path[-1] for key in published_model_keys()]
        dsn = postgres_dsn_from_env() if target == "postgres" else None
        counts = mirror_marts(target, warehouse_dir(), marts, dsn)
        context.log.info(
            f"mirrored {len(counts)} marts from {target} into the DuckDB build database in "
            f"{time.monotonic() - started:.1f}s: {counts}"
        )
    # A failed run keeps its target folder for debugging (and every run keeps it with
    # DBT_KEEP_RUN_TARGETS=1: the benchmarks read run_results.json).
    if not load_settings().keep_dbt_run_targets:
        shutil.rmtree(target_path, ignore_errors=True)


def skip_unchanged_build(
    context: dg.AssetExecutionContext,
    dbt_vars: Mapping[str, str | None],
    gate: BuildPlan,
    target: str,
) -> bool:
    """True when the build would read what the standing publication's build read
    (orchestration/build_inputs.py): the step then yields nothing, and says why on the published
    marts and the run. Else the build starts, its inputs kept for its publication to record."""
    settings = load_settings()
    run_vars = {
        **dbt_vars,
        "held_days": sorted(day.isoformat() for day in gate.held),
        "full_refresh": gate.full_refresh_reason,
        "target": target,
        "source_mode": settings.source_mode(),
        "quality": settings.quality_overrides(PARAMETER_ENV),
        "postgres_publication": settings.publish_postgres[1] if settings.publish_postgres else None,
    }
    warehouse = warehouse_dir()
    inputs = fingerprint(warehouse, dbt_project.project_dir, DEFAULT_SUITES_DIR, run_vars)
    # Only a build of every dbt node is recorded or skipped: a subset is built as asked.
    whole = set(context.selected_asset_keys) == set(context.assets_def.keys)
    decision = decide(warehouse, inputs, settings.force_rebuild) if whole else None
    if decision is None or decision.since_run is None:
        if decision is not None:
            context.log.info(f"building: {decision.reason}")
        start_build(warehouse, context.run_id, inputs if whole else None)
        return False
    context.log.info(f"dbt build, mart checks and publication skipped: {decision.reason}")
    context.instance.add_run_tags(context.run_id, {BUILD_SKIPPED_TAG: decision.since_run})
    metadata = {
        "build_skipped": decision.reason,
        "published_by_run": decision.since_run,
        "inputs_fingerprint": inputs.digest,
    }
    for key in published_model_keys():
        context.log_event(dg.AssetObservation(asset_key=key, metadata=metadata))
    return True


def _load_postgres_landing(context: dg.AssetExecutionContext, partitioned: bool) -> None:
    """Copy the landing Parquet files into the Postgres of the DBT_POSTGRES_* variables.

    A partitioned run replaces only its days; an unpartitioned run, or a database without the
    landing tables yet (first run on a new server), loads every landed day.
    """
    dsn = postgres_dsn_from_env()
    days = [dt.date.fromisoformat(key) for key in context.partition_keys] if partitioned else None
    if days is not None and not _postgres_landing_exists(dsn):
        days = None
    started = time.monotonic()
    loaded = load_landing(dsn, warehouse_dir(), LANDING_DATASETS, days=days)
    context.log.info(
        f"loaded {sum(item.rows for item in loaded):,} landing rows into Postgres "
        f"({'all days' if days is None else f'{len(days)} days'}) "
        f"in {time.monotonic() - started:.1f}s"
    )


def _postgres_landing_exists(dsn: str) -> bool:
    names = [table_name(s, d) for s, datasets in LANDING_DATASETS.items() for d in datasets]
    with psycopg.connect(dsn) as connection:
        row = connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = %s and table_name = any(%s)",
            [DEFAULT_SCHEMA, names],
        ).fetchone()
    return bool(row) and row[0] == len(names)


def published_model_keys() -> list[dg.AssetKey]:
    """The models of the `marts` layer (fct_, dim_, mart_): the contract BI reads, so what the
    publication publishes (deps=published_model_keys())."""
    return sorted(
        (key for key in dbt_models.keys if key.path[0] == "marts"),
        key=lambda key: key.to_user_string(),
    )
