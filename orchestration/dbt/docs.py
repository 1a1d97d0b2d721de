"""The dbt documentation site (models, columns, tests, lineage), published beside the marts.

`dbt docs generate --static` writes one self-contained HTML file (manifest and catalog inlined),
so BI users open `published/docs/index.html` from disk or a file share without a server. It runs
after a successful publication (downstream of `published_marts`): a blocked run leaves the last
good documentation in place, like the marts. It reads the build database's catalog, so it holds
the build lease like dbt and the publication (orchestration/build_lease.py).

The site is made of the manifest (models, columns, descriptions, tests, lineage) and the build's
catalog (relations, column types). When neither changed since the published site was generated,
which is every daily run without a code change, the step keeps it instead of starting dbt (a
dbt process, the catalog queries and the page: seconds of CPU for the same page).
"""

import hashlib
import os
import shutil
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.build_lease import hold_build
from orchestration.dbt.assets import _run_target_path
from orchestration.dbt.mirror import build_database
from orchestration.dbt.project import dbt_project
from orchestration.lib import duckdb_settings
from orchestration.lib.partitions import daily_partitions
from orchestration.lib.paths import published_docs_index, warehouse_dir
from orchestration.lib.settings import load_settings

STATIC_INDEX = "static_index.html"
#: Beside the published site: the fingerprint of what it was generated from.
FINGERPRINT_FILE = ".fingerprint"


def docs_fingerprint(manifest: Path, build_db: Path) -> str:
    """A digest of what `dbt docs generate` reads: the manifest, and every relation's columns and
    types in the build database (dbt-duckdb's catalog holds no statistics)."""
    digest = hashlib.sha256(manifest.read_bytes())
    with duckdb_settings.connect(build_db, read_only=True) as connection:
        columns = connection.execute(
            "select c.table_catalog, c.table_schema, c.table_name, t.table_type, c.column_name, "
            "c.ordinal_position, c.data_type from information_schema.columns c "
            "join information_schema.tables t using (table_catalog, table_schema, table_name) "
            "order by all"
        ).fetchall()
    digest.update(repr(columns).encode())
    return digest.hexdigest()


def publish_file(source: Path, destination: Path) -> None:
    """Copy then rename: a reader sees the previous file or the new one, never half of one."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, partial)
    os.replace(partial, destination)


@dg.asset(
    key="dbt_docs",
    deps=[dg.AssetKey("published_marts")],
    group_name="publication",
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    kinds={"dbt", "html"},
    description=(
        "The dbt documentation of the published marts (models, columns, tests, lineage) as one "
        "static HTML file, published/docs/index.html, opened without a server."
    ),
)
def dbt_docs(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> dg.MaterializeResult:
    hold_build(context.instance, warehouse_dir(), context.run_id, context.log.info)
    published = published_docs_index(warehouse_dir())
    stamp = published.with_name(FINGERPRINT_FILE)
    # Other targets' catalogs are in their own database: always generated there.
    build_db = build_database(warehouse_dir())
    duckdb_catalog = (dbt.target or load_settings().dbt_target) == "duckdb" and build_db.exists()
    fingerprint = docs_fingerprint(dbt_project.manifest_path, build_db) if duckdb_catalog else None
    if fingerprint and published.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        context.log.info(f"dbt documentation unchanged (same manifest and catalog): {published}")
        return _result(published, generated=False)
    target_path = _run_target_path(f"{context.run_id}-docs")
    # Without compiling, dbt documents the manifest it finds in the target path: the one the
    # definitions were loaded from (the build's compiled SQL is in its own logs).
    target_path.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(dbt_project.manifest_path, target_path / "manifest.json")
    dbt.cli(["docs", "generate", "--static", "--no-compile"], target_path=target_path).wait()
    publish_file(target_path / STATIC_INDEX, published)
    if fingerprint:
        stamp.write_text(fingerprint)
    else:
        stamp.unlink(missing_ok=True)
    shutil.rmtree(target_path, ignore_errors=True)
    context.log.info(f"dbt documentation published to {published}")
    return _result(published, generated=True)


def _result(published: Path, generated: bool) -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(published)),
            "open": dg.MetadataValue.url(published.as_uri()),
            "size_kb": round(published.stat().st_size / 1024),
            "generated": generated,
        }
    )
