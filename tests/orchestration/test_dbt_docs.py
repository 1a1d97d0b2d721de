"""The dbt documentation step: generated when the manifest or the build's catalog changed, kept
otherwise (a daily run without a code change starts no dbt process for the same page)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from orchestration.dbt.assets import dbt_resource
from orchestration.dbt.docs import dbt_docs

DAY = "2026-11-24"


def _materialize(instance: dg.DagsterInstance) -> dict[str, object]:
    result = dg.materialize(
        [dbt_docs], instance=instance, partition_key=DAY, resources={"dbt": dbt_resource()}
    )
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    return {"generated": metadata["generated"].value}


def test_the_docs_are_generated_again_only_when_the_catalog_or_manifest_changed(
    _isolated_warehouse: Path,
) -> None:
    build_db = _isolated_warehouse / "build" / "warehouse.duckdb"
    build_db.parent.mkdir(parents=True)
    with duckdb.connect(str(build_db)) as connection:
        connection.execute("create schema marts; create table marts.mart_x (day date)")
    published = _isolated_warehouse / "published" / "docs" / "index.html"

    with dg.instance_for_test() as instance:
        assert _materialize(instance) == {"generated": True}
        first = published.stat().st_mtime_ns
        assert _materialize(instance) == {"generated": False}
        assert published.stat().st_mtime_ns == first

        with duckdb.connect(str(build_db)) as connection:
            connection.execute("alter table marts.mart_x add column orders integer")
        assert _materialize(instance) == {"generated": True}
        assert published.stat().st_mtime_ns > first

        published.unlink()
        assert _materialize(instance) == {"generated": True}
        assert published.exists()
