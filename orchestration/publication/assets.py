"""The `published_marts` asset: the only way marts reach BI.

It depends on every mart, so in a run the blocking quality checks on the marts (and, upstream, on
the landing data) run first; when one fails with severity ERROR, Dagster skips this asset and BI
keeps the previous publication, byte for byte.

A blocked day must not reach BI through a later run either: the dbt step builds only admitted
days and the run's own (`plan_dbt_build`), the publication refuses a build holding days whose
checks did not pass and admits the run's days once published (day_gate.py).
"""

# No `from __future__ import annotations`: Dagster inspects the context/config annotations.

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from orchestration import build_inputs  # a module: build_inputs imports the publication's names
from orchestration.build_lease import hold_build
from orchestration.lib import duckdb_settings
from orchestration.lib.config import source_mode
from orchestration.lib.memory import release_freed_memory
from orchestration.lib.partitions import daily_partitions
from orchestration.lib.paths import warehouse_dir
from orchestration.lib.settings import load_settings
from orchestration.publication.contract import Stamp
from orchestration.publication.day_gate import BuildPlan, audit_build, plan_build, record_passed
from orchestration.publication.publish import PostgresTarget, PublicationResult, publish_marts
from orchestration.quality.checks import run_window

_RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


class PublicationConfig(dg.Config):
    """Run config; empty `source_mode` means: derive it from the environment (lib/config)."""

    source_mode: str = ""


def partition_range(
    context: dg.AssetExecutionContext,
) -> tuple[date | None, date | None]:
    """The run's day range, for the publication log (None for an unpartitioned run)."""
    tags = context.run.tags
    if all(tag in tags for tag in _RANGE_TAGS):
        return tuple(date.fromisoformat(tags[tag]) for tag in _RANGE_TAGS)
    if "dagster/partition" in tags:
        day = date.fromisoformat(tags["dagster/partition"])
        return day, day
    return None, None


def run_days(tags: dict[str, str]) -> list[date]:
    """The run's own days: the window its checks judge (quality.checks.run_window)."""
    window = run_window(tags, warehouse_dir())
    return [window.start + timedelta(days=n) for n in range((window.end - window.start).days + 1)]


def checks_of_run(context: dg.AssetExecutionContext) -> dict[str, str]:
    """Every asset check evaluated in this run: `asset:check` -> passed / warn / error."""
    return check_statuses(context.instance, context.run.run_id)


def check_statuses(instance: dg.DagsterInstance, run_id: str) -> dict[str, str]:
    """Every asset check evaluated in run `run_id`: `asset:check` -> passed / warn / error."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=10_000
    ).records
    checks = {}
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        status = "passed" if evaluation.passed else evaluation.severity.value.lower()
        checks[f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"] = status
    return checks


def held_day_reasons(
    instance: dg.DagsterInstance, landing_keys: Iterable[dg.AssetKey]
) -> Callable[[date], str | None]:
    """Why a landed day is held, from the Dagster instance: the last run that landed it, and the
    blocking checks that failed in that run (None when no run of this instance landed it)."""
    keys = list(landing_keys)

    def reason(day: date) -> str | None:
        landed = [
            (record.timestamp, record.run_id)
            for key in keys
            for record in instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=key, asset_partitions=[day.isoformat()]), limit=1
            ).records
        ]
        if not landed:
            return None
        run_id = max(landed)[1]
        statuses = check_statuses(instance, run_id)
        failed = sorted(check for check, status in statuses.items() if status == "error")
        if failed:
            return f"run {run_id} landed it and was blocked by {', '.join(failed)}"
        return f"run {run_id} landed it and did not publish"

    return reason


def plan_dbt_build(context: dg.AssetExecutionContext) -> BuildPlan:
    """The dbt step's gate: the days held out of the build and whether it rebuilds in full
    (day_gate.plan_build), logged; raises day_gate.SourceModeConflict before dbt starts."""
    landing_keys = {
        dep
        for deps in context.assets_def.asset_deps.values()
        for dep in deps
        if dep.path[0] == "landing"
    }
    plan = plan_build(
        warehouse_dir(),
        context.run.run_id,
        run_days(context.run.tags),
        source_mode(),
        held_day_reasons(context.instance, landing_keys),
    )
    for day, reason in sorted(plan.held.items()):
        context.log.warning(f"landed day {day} held out of the build: {reason}")
    if plan.full_refresh_reason:
        context.log.warning(f"full rebuild (dbt --full-refresh): {plan.full_refresh_reason}")
    return plan


def postgres_target_from_env() -> PostgresTarget | None:
    publish = load_settings().publish_postgres
    return PostgresTarget(dsn=publish[0], schema=publish[1]) if publish else None


def _metadata(result: PublicationResult) -> dict[str, dg.MetadataValue | int | float | str]:
    return {
        "row_counts": dg.MetadataValue.json(result.row_counts),
        "total_rows": sum(result.row_counts.values()),
        "duckdb_path": dg.MetadataValue.path(str(result.duckdb_path)),
        "parquet_dir": dg.MetadataValue.path(str(result.parquet_dir)),
        "postgres_schema": result.postgres_schema or "(not configured)",
        "duration_seconds": round(result.duration_seconds, 3),
        # the months of the big facts this run rewrote; the others were carried over unchanged
        "rewritten_months": dg.MetadataValue.json(result.rewritten_months),
        # the DuckDB file started from the spare (the publication before last, caught up with
        # the last one: caught_up_months) or, when it could not be used, a copy (and why)
        "duckdb_start": result.duckdb_start,
        "duckdb_start_reason": result.duckdb_start_reason,
        "caught_up_months": dg.MetadataValue.json(result.caught_up_months),
    }


def build_published_marts_asset(
    mart_keys: Sequence[dg.AssetKey],
    name: str = "published_marts",
    group_name: str = "publication",
) -> dg.AssetsDefinition:
    """The publication asset for `mart_keys` (mart name = last part of the key)."""

    @dg.asset(
        name=name,
        deps=list(mart_keys),
        group_name=group_name,
        # Same partitions as the extracts and dbt, one run per range. No pool: the publication
        # reads the build database under the run's build lease (orchestration/build_lease.py).
        partitions_def=daily_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"duckdb", "parquet", "postgres"},
        description="Publishes the audited marts to published/marts.duckdb, published/parquet/ "
        "and, when PUBLISH_POSTGRES_DSN is set, PostgreSQL; atomically, with a publication log.",
    )
    def _published_marts(
        context: dg.AssetExecutionContext, config: PublicationConfig
    ) -> dg.MaterializeResult:
        hold_build(context.instance, warehouse_dir(), context.run.run_id, context.log.info)
        start, end = partition_range(context)
        warehouse = warehouse_dir()
        # raises when the build holds days whose checks did not pass (day_gate.py)
        days = audit_build(
            warehouse,
            context.run.run_id,
            run_days(context.run.tags),
            config.source_mode or source_mode(),
        )
        stamp = Stamp(
            published_at=datetime.now(UTC),
            run_id=context.run.run_id,
            source_mode=days.source_mode,  # the build's data, whatever the environment says
            partition_start=start,
            partition_end=end,
            checks=checks_of_run(context),
            days_published=days.ranges(),
            days_held=days.held_list(),
        )
        release_freed_memory()  # its DuckDB session's budget comes on top (lib/memory.py)
        with duckdb_settings.run_covering(duckdb_settings.days_in(start, end)):
            result = publish_marts(
                warehouse,
                [key.path[-1] for key in mart_keys],
                stamp,
                postgres_target_from_env(),
            )
        record_passed(warehouse, context.run.run_id, stamp.published_at, days)
        # what this build read, so that a run with the same inputs skips (build_inputs.py)
        recorded = build_inputs.record_publication(warehouse, context.run.run_id)
        if days.held:
            context.log.warning(f"held back from this publication: {days.held_list()}")
        seconds = result.duration_seconds
        context.log.info(
            f"published {len(result.row_counts)} marts in {seconds:.1f} s; the DuckDB file "
            f"started from: {result.duckdb_start} ({result.duckdb_start_reason})"
        )
        inputs = recorded or "not recorded (a partial build)"
        return dg.MaterializeResult(metadata={**_metadata(result), "inputs_fingerprint": inputs})

    return _published_marts
