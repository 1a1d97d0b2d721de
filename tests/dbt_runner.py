"""Run the real dbt CLI from tests, isolated from any other dbt run on the machine.

Each call gets its own WAREHOUSE_DIR and target path, so tests can run in parallel (pytest-xdist)
without sharing `dbt_project/target/` or a DuckDB file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))


def run_dbt(
    args: list[str],
    warehouse_dir: Path,
    dbt_vars: dict[str, object] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run `dbt <args>` on the project against `warehouse_dir`; fail the test with dbt's output."""
    target_path = warehouse_dir / "dbt_target"
    command = [
        DBT_EXECUTABLE,
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path),
    ]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    env = {
        **os.environ,
        "WAREHOUSE_DIR": str(warehouse_dir),
        "DBT_LOG_PATH": str(warehouse_dir / "dbt_logs"),
    }
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise AssertionError(
            f"dbt {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-8000:]}\n"
            f"{result.stderr[-4000:]}"
        )
    return result
