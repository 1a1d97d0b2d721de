"""Settings in one place: one module reads the environment, every variable it reads is declared
and listed in the README, and production code leaves the simulator to the demo."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from orchestration.lib.config import PipelineResource, resolve_config
from orchestration.lib.paths import warehouse_layout
from orchestration.lib.settings import (
    DEFAULT_SHOP_TIMEZONE,
    SOURCE_ENV,
    VARIABLES,
    ConfigError,
    load_settings,
    markdown_table,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = REPO_ROOT / "orchestration"
SETTINGS_MODULE = "orchestration/lib/settings.py"


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _relative(path: Path) -> str:
    return path.relative_to(REPO_ROOT).as_posix()


def test_one_module_reads_the_environment() -> None:
    readers = {
        _relative(path)
        for path in _modules()
        if re.search(r"os\.environ|getenv", path.read_text(encoding="utf-8"))
    }
    assert readers == {SETTINGS_MODULE}


def test_production_code_never_imports_the_simulator() -> None:
    importers = set()
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "simulator" or name.startswith("simulator.") for name in names):
                importers.add(_relative(path))
    assert importers == {"orchestration/demo.py"}


def test_readme_table_is_generated_from_the_settings() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(
        r"<!-- settings-table:begin[^>]*-->\n(.*?)\n<!-- settings-table:end -->", readme, re.S
    )
    assert block, "README.md lacks the settings-table markers"
    assert block.group(1) == markdown_table(), "run: python scripts/settings_table.py"


def test_every_variable_is_declared_once_and_listed() -> None:
    names = [variable.name for variable in VARIABLES]
    assert len(names) == len(set(names))
    table = markdown_table()
    for name in names:
        assert f"| `{name}` |" in table
    for spec in SOURCE_ENV.values():
        assert {spec.url_var, spec.budget_var, *spec.credential_vars} <= set(names)


def test_reading_an_undeclared_variable_is_an_error() -> None:
    with pytest.raises(KeyError, match="NOT_A_SETTING is not declared"):
        load_settings({"NOT_A_SETTING": "1"}).text("NOT_A_SETTING")


def test_dbt_profile_variables_are_declared() -> None:
    profile = (REPO_ROOT / "dbt_project" / "profiles.yml").read_text(encoding="utf-8")
    read = set(re.findall(r"env_var\('([A-Z0-9_]+)'", profile))
    assert read
    assert read <= {variable.name for variable in VARIABLES}


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_timezone_is_the_default(value: str) -> None:
    assert load_settings({"SHOP_TIMEZONE": value}).shop_timezone == DEFAULT_SHOP_TIMEZONE


def test_malformed_values_name_their_variable() -> None:
    settings = load_settings(
        {"PIPELINE_START_DATE": "yesterday", "DUCKDB_THREADS": "two", "MAX_REJECT_RATE": "low"}
    )
    with pytest.raises(ConfigError, match="PIPELINE_START_DATE='yesterday'"):
        _ = settings.pipeline_start_date
    with pytest.raises(ConfigError, match="DUCKDB_THREADS='two'"):
        _ = settings.duckdb
    with pytest.raises(ConfigError, match="MAX_REJECT_RATE='low'"):
        settings.quality_overrides({"max_reject_rate": "MAX_REJECT_RATE"})


def test_secrets_stay_out_of_the_repr() -> None:
    settings = load_settings({"SHOP_ACCESS_TOKEN": "shpat_secret_value"})
    assert "shpat_secret_value" not in repr(settings)


def test_demo_mode_needs_demo_sources_from_outside_the_package() -> None:
    # No URL set and nothing to start a demo: an error, never a silent default.
    with pytest.raises(ConfigError, match="No source URL is set"):
        resolve_config({})


def test_the_live_only_resource_refuses_demo_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    for spec in SOURCE_ENV.values():
        for var in (spec.url_var, *spec.credential_vars):
            monkeypatch.delenv(var, raising=False)
    with pytest.raises(ConfigError, match="SHOP_URL"):
        PipelineResource().settings()


def test_warehouse_layout_paths(tmp_path: Path) -> None:
    layout = warehouse_layout({"WAREHOUSE_DIR": str(tmp_path / "w")})
    assert layout.root == tmp_path / "w"
    assert layout.build_tmp == tmp_path / "w" / "build" / "tmp"
    assert layout.published_marts == tmp_path / "w" / "published" / "marts.duckdb"
    assert layout.reports == tmp_path / "w" / "published" / "reports"
    assert layout.picking_sheets == tmp_path / "w" / "published" / "picking"
    assert layout.published_docs_index == tmp_path / "w" / "published" / "docs" / "index.html"
    assert layout.dagster_home == tmp_path / "w" / "dagster_home"


def test_source_credentials_stay_out_of_the_repr() -> None:
    credentials = {
        var: f"value-of-{var}" for spec in SOURCE_ENV.values() for var in spec.credential_vars
    }
    text = repr(resolve_config({}, lambda: ("http://127.0.0.1:9", credentials)))
    tokens = [value for var, value in credentials.items() if var.endswith("TOKEN")]
    assert tokens and not [token for token in tokens if token in text]
