"""The `published_marts` asset: the only way marts reach BI.

It depends on every mart, so in a run the blocking quality checks on the marts (and, upstream, on
the landing data) run first; when one fails with severity ERROR, Dagster skips this asset and BI
keeps the previous publication, byte for byte.
"""

# No `from __future__ import annotations`: Dagster inspects the context/config annotations.

import os
from collections.abc import Sequence
from datetime import UTC, date, datetime

import dagster as dg

from orchestration.lib import duckdb_settings
from orchestration.lib.config import source_mode
from orchestration.lib.partitions import daily_partitions
from orchestration.lib.paths import warehouse_dir
from orchestration.publication.duckdb_target import Stamp
from orchestration.publication.publish import PostgresTarget, PublicationResult, publish_marts

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


def checks_of_run(context: dg.AssetExecutionContext) -> dict[str, str]:
    """Every asset check evaluated in this run: `asset:check` -> passed / warn / failed."""
    records = context.instance.get_records_for_run(
        context.run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=10_000
    ).records
    checks = {}
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        status = "passed" if evaluation.passed else evaluation.severity.value.lower()
        checks[f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"] = status
    return checks


def postgres_target_from_env() -> PostgresTarget | None:
    dsn = os.environ.get("PUBLISH_POSTGRES_DSN")
    if not dsn:
        return None
    return PostgresTarget(dsn=dsn, schema=os.environ.get("PUBLISH_POSTGRES_SCHEMA", "marts"))


def _metadata(result: PublicationResult) -> dict[str, dg.MetadataValue | int | float | str]:
    return {
        "row_counts": dg.MetadataValue.json(result.row_counts),
        "total_rows": sum(result.row_counts.values()),
        "duckdb_path": dg.MetadataValue.path(str(result.duckdb_path)),
        "parquet_dir": dg.MetadataValue.path(str(result.duckdb_path.parent / "parquet")),
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
        # Same partitions as the extracts and dbt, one run per range, and the DuckDB pool: the
        # publication reads the build database that dbt writes.
        partitions_def=daily_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="duckdb",
        kinds={"duckdb", "parquet", "postgres"},
        description="Publishes the audited marts to published/marts.duckdb, published/parquet/ "
        "and, when PUBLISH_POSTGRES_DSN is set, PostgreSQL; atomically, with a publication log.",
    )
    def _published_marts(
        context: dg.AssetExecutionContext, config: PublicationConfig
    ) -> dg.MaterializeResult:
        start, end = partition_range(context)
        stamp = Stamp(
            published_at=datetime.now(UTC),
            run_id=context.run.run_id,
            source_mode=config.source_mode or source_mode(os.environ),
            partition_start=start,
            partition_end=end,
            checks=checks_of_run(context),
        )
        with duckdb_settings.run_covering(duckdb_settings.days_in(start, end)):
            result = publish_marts(
                warehouse_dir(),
                [key.path[-1] for key in mart_keys],
                stamp,
                postgres_target_from_env(),
            )
        seconds = result.duration_seconds
        context.log.info(
            f"published {len(result.row_counts)} marts in {seconds:.1f} s; the DuckDB file "
            f"started from: {result.duckdb_start} ({result.duckdb_start_reason})"
        )
        return dg.MaterializeResult(metadata=_metadata(result))

    return _published_marts
