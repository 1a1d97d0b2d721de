"""Every model, seed, singular test and declared column of the dbt project says what it is.

The style rule ("every model and column described in YAML") is checked on the parsed manifest, so
a model added without its YAML entry fails here instead of showing "No description provided" in
the Dagster UI and the published dbt docs.
"""

import json
from typing import Any

from orchestration.dbt.project import dbt_project, manifest_is_stale, parse_manifest

DESCRIBED_RESOURCES = ("model", "seed")


def _manifest() -> dict[str, Any]:
    if manifest_is_stale():
        parse_manifest()
    return json.loads(dbt_project.manifest_path.read_text())


def _ours(node: dict[str, Any]) -> bool:
    return node["package_name"] == "retail_pipeline"


def test_every_model_seed_and_column_is_described() -> None:
    missing = []
    for unique_id, node in _manifest()["nodes"].items():
        if not _ours(node) or node["resource_type"] not in DESCRIBED_RESOURCES:
            continue
        if not node["description"].strip():
            missing.append(unique_id)
        if node["resource_type"] == "model" and not node["columns"]:
            missing.append(f"{unique_id}: no columns declared")
        missing += [
            f"{unique_id}.{name}"
            for name, column in node["columns"].items()
            if not column["description"].strip()
        ]
    assert missing == []


def test_every_singular_test_is_described() -> None:
    singular = [
        node
        for node in _manifest()["nodes"].values()
        if _ours(node) and node["resource_type"] == "test" and "test_metadata" not in node
    ]
    assert len(singular) >= 7  # the assert_* files under dbt_project/tests/
    assert [node["name"] for node in singular if not node["description"].strip()] == []
