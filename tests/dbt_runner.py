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
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `dbt <args>` on the project against `warehouse_dir`; fail the test with dbt's output.

    `env` adds variables, e.g. DBT_TARGET and DBT_POSTGRES_* (tests/dbt/targets.py). dbt runs
    with `warehouse_dir` as its working directory, so anything an engine writes to the current
    folder (Spark's derby.log, metastore_db) stays in it.
    """
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
    run_env = {
        **os.environ,
        "WAREHOUSE_DIR": str(warehouse_dir),
        "DBT_LOG_PATH": str(warehouse_dir / "dbt_logs"),
        **(env or {}),
    }
    # the tests that read the DuckDB file must not follow a DBT_TARGET exported in the shell
    run_env["DBT_TARGET"] = (env or {}).get("DBT_TARGET", "duckdb")
    cwd = warehouse_dir if Path(warehouse_dir).is_dir() else None
    result = subprocess.run(
        command, env=run_env, cwd=cwd, capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"dbt {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-8000:]}\n"
            f"{result.stderr[-4000:]}"
        )
    return result
