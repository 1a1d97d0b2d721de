"""Where the warehouse is. Free of Dagster: the suite process (orchestration/quality/isolated.py)
starts once per check step and imports it through the DuckDB settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def warehouse_dir(env: Mapping[str, str] | None = None) -> Path:
    """Absolute WAREHOUSE_DIR (default ./warehouse), read when called so tests and deployments
    can point elsewhere. Absolute, because dbt resolves its profile from dbt_project/: a relative
    value would silently point at dbt_project/warehouse."""
    env = os.environ if env is None else env
    return Path(env.get("WAREHOUSE_DIR") or "warehouse").resolve()


def published_docs_index(warehouse: Path) -> Path:
    """The dbt documentation site BI users open (one static file, published with the marts)."""
    return warehouse / "published" / "docs" / "index.html"
