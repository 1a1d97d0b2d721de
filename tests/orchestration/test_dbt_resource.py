"""The pipeline's dbt resource starts dbt without dagster-dbt's two start-up costs
(`dbt --version` in a subprocess, a dbt adapter in the Dagster process), and dbt still runs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import duckdb
import pytest
from packaging import version

from orchestration.dbt.assets import dbt_resource
from orchestration.dbt.project import dbt_executable


def test_the_resource_knows_dbts_version_without_asking_it() -> None:
    printed = subprocess.check_output([dbt_executable(), "--version"], text=True)
    installed = re.search(r"installed:\s*(\d+\.\d+\.\d+)", printed)
    assert installed, printed
    assert dbt_resource()._cli_version == version.parse(installed.group(1))


def test_dbt_runs_without_an_adapter_in_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path))
    (tmp_path / "build").mkdir()
    invocation = dbt_resource().cli(["ls", "--resource-type", "seed"], target_path=tmp_path / "t")
    printed = [event.raw_event["info"]["msg"] for event in invocation.stream_raw_events()]
    assert invocation.is_successful() and invocation.adapter is None
    assert "retail_pipeline.stores" in printed
    # Nothing of dbt holds a DuckDB file in this process: it opens read-write at once.
    duckdb.connect(str(tmp_path / "build" / "warehouse.duckdb")).close()
