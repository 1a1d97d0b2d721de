"""The manifest is (re)parsed exactly when missing or older than a dbt project file."""

from __future__ import annotations

import os
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.dbt.project import dbt_project, manifest_is_stale


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


def test_the_real_project_is_prepared_on_import() -> None:
    # Importing orchestration.dbt.assets (via the definitions) ran `prepare_if_dev()`.
    import orchestration.definitions  # noqa: F401

    assert dbt_project.manifest_path.exists()
