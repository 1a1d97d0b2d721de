"""Where everything is under the warehouse: one layout object instead of paths rebuilt per module.
Free of Dagster: the suite process (orchestration/quality/isolated.py) starts once per check step
and imports it through the DuckDB settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from orchestration.lib.settings import load_settings


@dataclass(frozen=True)
class WarehouseLayout:
    """The folders and files of one warehouse (`root` is absolute)."""

    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def build_tmp(self) -> Path:
        """Where in-process DuckDB spills what exceeds its memory limit."""
        return self.root / "build" / "tmp"

    @property
    def published(self) -> Path:
        return self.root / "published"

    @property
    def published_marts(self) -> Path:
        """The DuckDB file BI reads (replaced atomically by each publication)."""
        return self.published / "marts.duckdb"

    @property
    def reports(self) -> Path:
        return self.published / "reports"

    @property
    def picking_sheets(self) -> Path:
        return self.published / "picking"

    @property
    def published_docs_index(self) -> Path:
        """The dbt documentation site BI users open (one static file, published with the marts)."""
        return self.published / "docs" / "index.html"

    @property
    def data_docs(self) -> Path:
        return self.root / "quality" / "data_docs"

    @property
    def dagster_home(self) -> Path:
        """The default Dagster instance directory: run history lives with the warehouse."""
        return self.root / "dagster_home"

    @property
    def logs(self) -> Path:
        return self.root / "logs"


def warehouse_layout(env: Mapping[str, str] | None = None) -> WarehouseLayout:
    """The layout of WAREHOUSE_DIR (default ./warehouse), read when called so tests and
    deployments can point elsewhere."""
    return WarehouseLayout(load_settings(env).warehouse_dir)


def warehouse_dir(env: Mapping[str, str] | None = None) -> Path:
    """Absolute WAREHOUSE_DIR (default ./warehouse)."""
    return warehouse_layout(env).root


def published_docs_index(warehouse: Path) -> Path:
    """The dbt documentation site BI users open (one static file, published with the marts)."""
    return WarehouseLayout(warehouse).published_docs_index
