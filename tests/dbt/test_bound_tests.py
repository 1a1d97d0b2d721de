"""The hard lower bounds of the marts (`non_negative`, `at_least`) fail on the values they forbid.

The marts are correct, so the project's own build never shows these tests failing. Here the real
macros (dbt_project/macros/tests/at_least.sql) run in real dbt on a seed with a value below each
bound: a test that compiled to a query matching nothing would pass here and be caught.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.dbt_runner import DBT_EXECUTABLE, DBT_PROJECT_DIR

pytestmark = pytest.mark.slow

BOUND_MACROS = DBT_PROJECT_DIR / "macros" / "tests" / "at_least.sql"

PROJECT = """\
name: bounds
version: "1.0"
profile: bounds
macro-paths: ["macros"]
seed-paths: ["seeds"]
"""

PROFILES = """\
bounds:
  target: duckdb
  outputs:
    duckdb:
      type: duckdb
      path: "{database}"
      threads: 1
"""

#: amount: one negative value, one zero, one null, one positive.
SEED = "id,amount\n1,-2.5\n2,0\n3,\n4,7\n"

SCHEMA = """\
seeds:
  - name: amounts
    config:
      column_types: {id: integer, amount: "decimal(18,2)"}
    columns:
      - name: amount
        data_tests:
          - non_negative
          - at_least:
              arguments: {min_value: 1}
          - at_least:
              name: amount_at_least_minus_5
              arguments: {min_value: -5}
"""


def _project(root: Path) -> Path:
    project = root / "bounds"
    (project / "seeds").mkdir(parents=True)
    (project / "macros").mkdir()
    (project / "macros" / "at_least.sql").symlink_to(BOUND_MACROS)
    (project / "dbt_project.yml").write_text(PROJECT)
    (project / "profiles.yml").write_text(PROFILES.format(database=root / "bounds.duckdb"))
    (project / "seeds" / "amounts.csv").write_text(SEED)
    (project / "seeds" / "schema.yml").write_text(SCHEMA)
    return project


def test_each_bound_fails_on_the_rows_below_it_and_lets_null_pass(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = subprocess.run(
        [DBT_EXECUTABLE, "build", "--project-dir", str(project), "--profiles-dir", str(project)],
        cwd=project,
        env={**os.environ, "DBT_LOG_PATH": str(tmp_path / "logs")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout[-4000:]  # dbt's exit code when a test fails
    run_results = json.loads((project / "target" / "run_results.json").read_text())
    failures = {
        r["unique_id"].split(".")[2]: (r["status"], r["failures"])
        for r in run_results["results"]
        if r["unique_id"].startswith("test.")
    }
    assert failures == {
        "non_negative_amounts_amount": ("fail", 1),  # -2.5
        "at_least_amounts_amount__1": ("fail", 2),  # -2.5 and 0
        "amount_at_least_minus_5": ("pass", 0),
    }
