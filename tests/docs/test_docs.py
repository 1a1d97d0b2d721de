"""The repository's documents stand alone and the BI guide to the marts matches the dbt models.

`docs/marts.md` is written by hand for BI users; the dbt YAML is what the build publishes. These
tests make the two agree (every published model has a section, every column of the model is in
its table and nothing else is), so the guide cannot drift from what BI tools actually read.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MARTS_DOC = ROOT / "docs" / "marts.md"
PUBLISHED_PREFIXES = ("fct_", "dim_", "mart_")
#: Columns the publication adds to every mart (not computed by dbt).
PUBLICATION_COLUMNS = {"_published_at", "_run_id", "_source_mode"}
#: Columns of the build that the publication never copies.
BUILD_ONLY_COLUMNS = {"_loaded_at"}


def published_models() -> dict[str, list[str]]:
    """model -> column names, from the marts layer's YAML (the models the publication copies)."""
    models: dict[str, list[str]] = {}
    for path in sorted((ROOT / "dbt_project" / "models" / "marts").rglob("_*models.yml")):
        for model in yaml.safe_load(path.read_text())["models"]:
            if model["name"].startswith(PUBLISHED_PREFIXES):
                models[model["name"]] = [
                    column["name"]
                    for column in model.get("columns", [])
                    if column["name"] not in BUILD_ONLY_COLUMNS
                ]
    return models


def documented_models(text: str) -> dict[str, list[str]]:
    """model -> column names of its table in docs/marts.md (a `### name` heading, then rows)."""
    sections = re.split(r"^### `([a-z_0-9]+)`", text, flags=re.MULTILINE)
    return {
        name: re.findall(r"^\| `([a-z_0-9]+)` \|", body, flags=re.MULTILINE)
        for name, body in zip(sections[1::2], sections[2::2], strict=True)
    }


def test_every_published_model_is_documented_with_exactly_its_columns() -> None:
    expected = published_models()
    documented = documented_models(MARTS_DOC.read_text())
    assert sorted(documented) == sorted(expected)
    for model, columns in expected.items():
        doc_columns = [c for c in documented[model] if c not in PUBLICATION_COLUMNS]
        assert sorted(doc_columns) == sorted(columns), model


def test_no_document_links_outside_the_repository() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "*.md", "*.yml", "*.yaml", "*.sql", "*.py", "*.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    outside = re.compile(r"\.\./shared|shared/specs")
    offenders = [
        name
        for name in tracked
        if not name.startswith("tests/") and outside.search((ROOT / name).read_text())
    ]
    assert offenders == []
