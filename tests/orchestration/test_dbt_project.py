"""The manifest is (re)parsed exactly when missing or older than a dbt project file, and only
where it is prepared: never as a side effect of importing the definitions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dagster_dbt import DbtProject

from orchestration.dbt.project import REPO_ROOT, manifest_is_stale


def _project(tmp_path: Path) -> DbtProject:
    (tmp_path / "models").mkdir()
    (tmp_path / "dbt_project.yml").write_text("name: tiny\nprofile: tiny\n")
    (tmp_path / "models" / "a.sql").write_text("select 1 as x\n")
    return DbtProject(project_dir=tmp_path)


def test_missing_manifest_is_stale(tmp_path: Path) -> None:
    assert manifest_is_stale(_project(tmp_path))


def test_manifest_newer_than_every_file_is_fresh_until_a_model_changes(tmp_path: Path) -> None:
    project = _project(tmp_path)
    project.manifest_path.parent.mkdir()
    project.manifest_path.write_text("{}")
    model = tmp_path / "models" / "a.sql"
    os.utime(model, (1_000_000, 1_000_000))
    os.utime(tmp_path / "dbt_project.yml", (1_000_000, 1_000_000))
    assert not manifest_is_stale(project)
    model.write_text("select 2 as x\n")  # now newer than the manifest
    os.utime(project.manifest_path, (1_000_001, 1_000_001))
    assert manifest_is_stale(project)


def _import_dbt_assets(project: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Import the dbt assets in a fresh interpreter reading the dbt project copied to `project`."""
    environment = {k: v for k, v in os.environ.items() if k != "DAGSTER_IS_DEV_CLI"}
    environment.update(RETAIL_DBT_PROJECT_DIR=str(project), **env)
    return subprocess.run(
        [sys.executable, "-c", "import orchestration.dbt.assets"],
        env=environment,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_importing_the_definitions_never_parses_but_dagster_dev_does(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project"
    shutil.copytree(
        REPO_ROOT / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs")
    )
    manifest = project / "target" / "manifest.json"

    plain = _import_dbt_assets(project, WAREHOUSE_DIR=str(tmp_path / "warehouse"))
    assert plain.returncode != 0  # no manifest, and the import does not make one
    assert "manifest.json" in plain.stderr
    assert not manifest.exists()

    dev = _import_dbt_assets(
        project, WAREHOUSE_DIR=str(tmp_path / "warehouse"), DAGSTER_IS_DEV_CLI="1"
    )
    assert dev.returncode == 0, dev.stderr[-3000:]
    assert manifest.exists()
