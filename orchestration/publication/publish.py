"""Write-audit-publish, last step: copy the audited marts to where BI reads them.

Order of operations, chosen so that a failure or a crash at any point leaves BI on the previous
publication:

1. write `published/.marts.duckdb.<run>.tmp`, starting from the spare
   `published/.marts.duckdb.spare` (the publication before the current one, renamed to the
   temporary name, then caught up with the current `published/marts.duckdb`) or, when the spare
   cannot be used, from a byte copy of the current `published/marts.duckdb`, and rewriting only
   what changed in the build (small marts in full, the partitioned facts month by month:
   duckdb_target), then stage in `published/.staging-<run>/` the Parquet files that differ from
   `published/parquet/` (parquet_target); nothing BI reads has changed yet;
2. when `PUBLISH_POSTGRES_DSN` is set, publish to PostgreSQL in one transaction (a failure here
   stops before any local file is replaced);
3. hard-link the current `published/marts.duckdb` as the spare, then `os.replace` the new DuckDB
   file over it (atomic): the file BI read until now survives as the next run's spare (readers
   that hold it keep reading it);
4. `os.replace` each staged Parquet file into `published/parquet/`, then the manifest last.

The spare only ever names a complete publication other than `marts.duckdb` (duckdb_target): a
run renames it away before writing into it, so a failed or killed run leaves no spare (the next
one copies); a crash between the link and the replace of step 3 leaves a spare that is a second
name of `marts.duckdb`, which the next run detects (link count) and does not use.

Residual risk: the targets are not one transaction. A crash during step 4 leaves some Parquet
files new and others old (each row carries `_run_id`, and `_manifest.json` still names the
previous run until the last step); a crash between 2 and 3 leaves PostgreSQL one publication
ahead of the files. Re-running the publication repairs both (Parquet months being replaced are
first dropped from the manifest, so the next run rewrites them).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.lib import duckdb_settings
from orchestration.publication.duckdb_target import Stamp, build_published_duckdb
from orchestration.publication.files import atomic_replace, fsync_dir, pause_point_for_tests
from orchestration.publication.parquet_target import apply_parquet, stage_parquet
from orchestration.publication.postgres_target import publish_to_postgres

PUBLISHED_DB_NAME = "marts.duckdb"
#: The publication before the current one, the next run's starting point (duckdb_target).
SPARE_NAME = f".{PUBLISHED_DB_NAME}.spare"


@dataclass(frozen=True)
class PostgresTarget:
    dsn: str
    schema: str


@dataclass(frozen=True)
class PublicationResult:
    row_counts: dict[str, int]
    duckdb_path: Path
    #: a file per small mart; a directory of `month=YYYY-MM/data.parquet` per partitioned fact
    parquet_paths: dict[str, Path]
    postgres_schema: str | None
    duration_seconds: float
    #: partitioned fact -> the months this publication rewrote or deleted in the DuckDB file
    rewritten_months: dict[str, list[str]]
    #: what the DuckDB file started from: "spare", "copy" or "empty" (duckdb_target.START_*)
    duckdb_start: str = "copy"
    #: why: the spare, or what kept it from being used
    duckdb_start_reason: str = ""
    #: spare start: partitioned fact -> the months copied from the previous publication
    caught_up_months: dict[str, list[str]] = field(default_factory=dict)


def _replace_keeping_spare(new_file: Path, target: Path, spare: Path) -> None:
    """Swap `new_file` in over `target`; the file it replaces stays as `spare`: a second name
    taken before the rename (after it, the old file has no name left to link)."""
    spare.unlink(missing_ok=True)  # consumed by this run: only a leftover could be here
    if target.exists():
        try:
            os.link(target, spare)
        except OSError:  # no hard links here: no spare, the next run copies
            spare.unlink(missing_ok=True)
    try:
        atomic_replace(new_file, target)
    except BaseException:
        # perhaps not replaced: the spare may be marts.duckdb itself; never leave that
        spare.unlink(missing_ok=True)
        raise


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
    build_db = warehouse_dir / "build" / "warehouse.duckdb"
    published_dir = warehouse_dir / "published"
    published_dir.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(published_dir)
    target = published_dir / PUBLISHED_DB_NAME
    parquet_dir = published_dir / "parquet"
    new_file = published_dir / f".{PUBLISHED_DB_NAME}.{stamp.run_id}.tmp"
    spare = published_dir / SPARE_NAME
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
        pause_point_for_tests()
        _replace_keeping_spare(new_file, target, spare)
        apply_parquet(plan, staging, parquet_dir)
    finally:
        new_file.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
    fsync_dir(published_dir)
    return PublicationResult(
        row_counts=written.row_counts,
        duckdb_path=target,
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
