"""The Dagster instance directory (DAGSTER_HOME) for local runs: `make dev`, the demo, tests.

Dagster reads its instance settings from `$DAGSTER_HOME/dagster.yaml`. The repository's
dagster.yaml is the source of truth; `prepare_dagster_home()` copies it into the instance
directory, by default `$WAREHOUSE_DIR/dagster_home`, so run history lives with the warehouse
and survives restarts.

    export DAGSTER_HOME=$(python -m orchestration.instance)   # prints the prepared directory
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DAGSTER_YAML = REPO_ROOT / "dagster.yaml"


def default_dagster_home() -> Path:
    """DAGSTER_HOME if set, else $WAREHOUSE_DIR/dagster_home (WAREHOUSE_DIR default ./warehouse)."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"]).resolve()
    return Path(os.environ.get("WAREHOUSE_DIR", "warehouse")).resolve() / "dagster_home"


def prepare_dagster_home(home: Path | None = None) -> Path:
    """Create the instance directory and copy the repository's dagster.yaml into it.

    The copy is refreshed when the repository's file changed, so settings edits take effect;
    a dagster.yaml written by an operator in a DAGSTER_HOME they set themselves is left alone.
    """
    home = (home or default_dagster_home()).resolve()
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    operator_owned = bool(os.environ.get("DAGSTER_HOME")) and target.exists()
    if not operator_owned and (
        not target.exists() or target.read_bytes() != DAGSTER_YAML.read_bytes()
    ):
        shutil.copyfile(DAGSTER_YAML, target)
    return home


if __name__ == "__main__":
    print(prepare_dagster_home())
