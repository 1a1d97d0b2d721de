"""The dbt documentation site (models, columns, tests, lineage), published beside the marts.

`dbt docs generate --static` writes one self-contained HTML file (manifest and catalog inlined),
so BI users open `published/docs/index.html` from disk or a file share without a server. It runs
after a successful publication (downstream of `published_marts`): a blocked run leaves the last
good documentation in place, like the marts. It reads the build database's catalog, so it holds
the build lease like dbt and the publication (orchestration/build_lease.py).
"""

import os
import shutil
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.build_lease import hold_build
from orchestration.dbt.assets import _run_target_path
from orchestration.dbt.project import dbt_project
from orchestration.lib.partitions import daily_partitions
from orchestration.lib.paths import published_docs_index, warehouse_dir

STATIC_INDEX = "static_index.html"


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
    target_path = _run_target_path(f"{context.run_id}-docs")
    # Without compiling, dbt documents the manifest it finds in the target path: the one the
    # definitions were loaded from (the build's compiled SQL is in its own logs).
    target_path.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(dbt_project.manifest_path, target_path / "manifest.json")
    dbt.cli(["docs", "generate", "--static", "--no-compile"], target_path=target_path).wait()
    published = published_docs_index(warehouse_dir())
    publish_file(target_path / STATIC_INDEX, published)
    shutil.rmtree(target_path, ignore_errors=True)
    context.log.info(f"dbt documentation published to {published}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(published)),
            "open": dg.MetadataValue.url(published.as_uri()),
            "size_kb": round(published.stat().st_size / 1024),
        }
    )
