"""Write-audit-publish, last step: copy the audited marts to where BI reads them.

Everything is written under temporary names first (the DuckDB file, staged Parquet files), then
PostgreSQL in one transaction, and only then swapped in by atomic renames, DuckDB file first,
Parquet manifest last: a failure or a crash at any point leaves BI on the previous publication.
The order of the steps, and what a crash between two of them leaves, is docs/architecture.md,
"Publication".
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.lib import duckdb_settings
from orchestration.lib.paths import WarehouseLayout
from orchestration.publication.contract import Stamp
from orchestration.publication.duckdb_target import build_published_duckdb
from orchestration.publication.files import fsync_dir
from orchestration.publication.parquet_target import apply_parquet, stage_parquet
from orchestration.publication.postgres_target import publish_to_postgres
from orchestration.publication.spare_file import START_COPY, replace_keeping_spare


@dataclass(frozen=True)
class PostgresTarget:
    dsn: str
    schema: str


@dataclass(frozen=True)
class PublicationResult:
    row_counts: dict[str, int]
    duckdb_path: Path
    parquet_dir: Path
    #: a file per small mart; a directory of `month=YYYY-MM/data.parquet` per partitioned fact
    parquet_paths: dict[str, Path]
    postgres_schema: str | None
    duration_seconds: float
    #: partitioned fact -> the months this publication rewrote or deleted in the DuckDB file
    rewritten_months: dict[str, list[str]]
    #: what the DuckDB file started from: "spare", "copy" or "empty" (spare_file.START_*)
    duckdb_start: str = START_COPY
    #: why: the spare, or what kept it from being used
    duckdb_start_reason: str = ""
    #: spare start: partitioned fact -> the months copied from the previous publication
    caught_up_months: dict[str, list[str]] = field(default_factory=dict)


def _clean_leftovers(published_dir: Path) -> None:
    """Remove what a killed publication left behind (never what BI reads)."""
    for leftover in published_dir.glob(".marts.duckdb.*.tmp*"):
        leftover.unlink()
    for leftover in published_dir.glob(".staging-*"):
        shutil.rmtree(leftover)


def publish_marts(
    warehouse_dir: Path,
    marts: list[str],
    stamp: Stamp,
    postgres: PostgresTarget | None = None,
) -> PublicationResult:
    """Publish `marts` from the build database; BI sees the previous or the new marts, whole."""
    started = time.monotonic()
    layout = WarehouseLayout(warehouse_dir)
    build_db = layout.build_database
    published_dir = layout.published
    published_dir.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(published_dir)
    target = layout.published_marts
    parquet_dir = layout.published_parquet
    new_file = published_dir / f".{target.name}.{stamp.run_id}.tmp"
    spare = layout.published_spare
    staging = published_dir / f".staging-{stamp.run_id}"
    staging.mkdir()
    try:
        written = build_published_duckdb(build_db, new_file, target, marts, stamp, spare)
        plan = stage_parquet(new_file, staging, parquet_dir, marts, written, stamp)
        if postgres:
            with duckdb_settings.connect(new_file, read_only=True) as con:
                publish_to_postgres(
                    postgres.dsn, postgres.schema, con, marts, stamp, written.row_counts
                )
        replace_keeping_spare(new_file, target, spare)
        apply_parquet(plan, staging, parquet_dir)
    finally:
        new_file.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
    fsync_dir(published_dir)
    return PublicationResult(
        row_counts=written.row_counts,
        duckdb_path=target,
        parquet_dir=parquet_dir,
        parquet_paths={
            m: parquet_dir / m if m in written.months else parquet_dir / f"{m}.parquet"
            for m in marts
        },
        postgres_schema=postgres.schema if postgres else None,
        duration_seconds=time.monotonic() - started,
        rewritten_months=written.rewritten,
        duckdb_start=written.start,
        duckdb_start_reason=written.start_reason,
        caught_up_months=written.caught_up,
    )
