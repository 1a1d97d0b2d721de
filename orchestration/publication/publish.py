"""Write-audit-publish, last step: copy the audited marts to where BI reads them.

Order of operations, chosen so that a failure or a crash at any point leaves BI on the previous
publication:

1. build `published/.marts.duckdb.<run>.tmp` and stage one Parquet per mart in
   `published/.staging-<run>/` (nothing BI reads has changed);
2. when `PUBLISH_POSTGRES_DSN` is set, publish to PostgreSQL in one transaction (a failure here
   stops before any local file is replaced);
3. `os.replace` the new DuckDB file over `published/marts.duckdb` (atomic);
4. `os.replace` each staged Parquet file into `published/parquet/`, then the manifest last.

Residual risk: the targets are not one transaction. A crash during step 4 leaves some Parquet
files new and others old (each row carries `_run_id`, and `_manifest.json` still names the
previous run until the last step); a crash between 2 and 3 leaves PostgreSQL one publication
ahead of the files. Re-running the publication repairs both.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.publication.duckdb_target import Stamp, build_published_duckdb
from orchestration.publication.files import atomic_replace, fsync_dir, pause_point_for_tests
from orchestration.publication.postgres_target import publish_to_postgres

PUBLISHED_DB_NAME = "marts.duckdb"
MANIFEST_NAME = "_manifest.json"


@dataclass(frozen=True)
class PostgresTarget:
    dsn: str
    schema: str


@dataclass(frozen=True)
class PublicationResult:
    row_counts: dict[str, int]
    duckdb_path: Path
    parquet_paths: dict[str, Path]
    postgres_schema: str | None
    duration_seconds: float


def _clean_leftovers(published_dir: Path) -> None:
    """Remove what a killed publication left behind (never what BI reads)."""
    for leftover in published_dir.glob(".marts.duckdb.*.tmp*"):
        leftover.unlink()
    for leftover in published_dir.glob(".staging-*"):
        shutil.rmtree(leftover)


def _replace_parquet(staging: Path, parquet_dir: Path, marts: list[str], stamp: Stamp) -> None:
    parquet_dir.mkdir(exist_ok=True)
    for mart in marts:
        atomic_replace(staging / f"{mart}.parquet", parquet_dir / f"{mart}.parquet")
    manifest = staging / MANIFEST_NAME
    manifest.write_text(
        json.dumps(
            {
                "run_id": stamp.run_id,
                "published_at": stamp.published_at.isoformat(),
                "marts": sorted(marts),
            },
            indent=2,
        )
    )
    atomic_replace(manifest, parquet_dir / MANIFEST_NAME)


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
    new_file = published_dir / f".{PUBLISHED_DB_NAME}.{stamp.run_id}.tmp"
    staging = published_dir / f".staging-{stamp.run_id}"
    staging.mkdir()
    try:
        row_counts = build_published_duckdb(build_db, new_file, target, marts, stamp, staging)
        if postgres:
            with duckdb.connect(str(new_file), read_only=True) as con:
                publish_to_postgres(postgres.dsn, postgres.schema, con, marts, stamp, row_counts)
        pause_point_for_tests()
        atomic_replace(new_file, target)
        _replace_parquet(staging, published_dir / "parquet", marts, stamp)
    finally:
        new_file.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
    fsync_dir(published_dir)
    return PublicationResult(
        row_counts=row_counts,
        duckdb_path=target,
        parquet_paths={m: published_dir / "parquet" / f"{m}.parquet" for m in marts},
        postgres_schema=postgres.schema if postgres else None,
        duration_seconds=time.monotonic() - started,
    )
