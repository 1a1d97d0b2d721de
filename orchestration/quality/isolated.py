"""Run Great Expectations suites in a child process: the Dagster run process never holds GE.

Why (a daily run under 1 GiB): with the in-process executor one Python process lives
through the whole run. Importing GE takes well over a hundred MB, and its frames and validations
leave more in the allocators' caches; before this, that weight sat beside dbt's process and its
DuckDB for the rest of the run. A child per check step (orchestration/quality/checks.py groups the
suites into steps) imports GE once for all the step's suites, validates them in one GE context
(`runner.SuiteRunner`) and frees everything when it exits.

    python -m orchestration.quality.isolated REQUEST.json RESULTS.json

The request names the suite files, the warehouse, the window and the run id; the results map
each suite to its outcome (`SuiteOutcome.to_json`) or to the error that stopped it (a frame
DuckDB could not compute, a suite GE would weaken): both fail the suite's check, as they would
in process. Anything else (a crash, the child killed) fails the whole step with the child's
exit code and the end of its stderr.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from orchestration.lib.memory import release_freed_memory
from orchestration.quality.frames import Window
from orchestration.quality.runner import SuiteOutcome, SuiteRunner
from orchestration.quality.suites import SuiteDefinition, SuiteFileError, load_suite

_STDERR_TAIL_LINES = 30


class SuiteProcessError(RuntimeError):
    """The suite process ended without results: its exit code and the end of its stderr."""


def run_suites_isolated(
    suites: Sequence[SuiteDefinition], warehouse: Path, window: Window, run_id: str
) -> dict[str, SuiteOutcome | str]:
    """Each suite's outcome, or the error that stopped it, computed in one child process."""
    request = {
        "suite_files": [str(suite.path) for suite in suites],
        "warehouse": str(warehouse),
        "window": window.to_json(),
        "run_id": run_id,
    }
    release_freed_memory()  # the suite process runs beside this one (lib/memory.py)
    with tempfile.TemporaryDirectory(prefix="suites-") as scratch:
        request_path, results_path = Path(scratch) / "request.json", Path(scratch) / "results.json"
        stderr_path = Path(scratch) / "stderr.log"
        request_path.write_text(json.dumps(request))
        with stderr_path.open("w") as stderr:
            command = [sys.executable, "-m", __name__, str(request_path), str(results_path)]
            returncode = subprocess.run(command, stderr=stderr, check=False).returncode
        log = stderr_path.read_text(errors="replace")
        sys.stderr.write(log)  # GE's warnings, into the step's captured logs
        if returncode != 0 or not results_path.exists():
            tail = "\n".join(log.splitlines()[-_STDERR_TAIL_LINES:])
            names = ", ".join(suite.name for suite in suites)
            raise SuiteProcessError(
                f"the quality-check process for suites {names} exited with code {returncode} "
                f"before writing its results; its stderr ends with:\n{tail}"
            )
        results = json.loads(results_path.read_text())
    return {
        name: result["error"] if "error" in result else SuiteOutcome.from_json(result["outcome"])
        for name, result in results.items()
    }


def _run_request(request: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """In the child: run every suite of the request, one result per suite."""
    window = Window.from_json(request["window"])
    warehouse = Path(request["warehouse"])
    runner = SuiteRunner(warehouse, request["run_id"])
    results: dict[str, dict[str, Any]] = {}
    for suite_file in request["suite_files"]:
        suite = load_suite(Path(suite_file), validate=False)
        try:
            outcome = runner.run(suite, window)
        except duckdb.Error as error:
            results[suite.name] = {"error": f"a frame could not be computed: {error}"}
        except SuiteFileError as error:
            # GE would drop an expectation of the suite file: fail the gate, never check less.
            results[suite.name] = {"error": str(error)}
        else:
            results[suite.name] = {"outcome": outcome.to_json()}
    return results


def _defer_unused_imports() -> None:
    """Before GE is imported: leave out or defer what its import pulls in and no suite uses.

    GE imports pyspark and SQLAlchemy when they are installed (the spark and postgres dbt targets
    bring them), to support Spark DataFrames and SQL datasources; our frames are pandas. Marked
    absent, GE skips them (SQLAlchemy alone: 0.6 of 4.6 s). `scipy.stats` (1.1-1.7 s) serves the
    distribution expectations (KL divergence, KS tests), which `from scipy import stats` imports at
    module level: it gets a lazily loaded module, so it loads only if such an expectation runs.
    """
    for optional in ("pyspark", "sqlalchemy"):
        sys.modules.setdefault(optional, None)  # type: ignore[arg-type]
    _import_lazily("scipy.stats")


def _import_lazily(name: str) -> None:
    """Register `name` as a module that loads on its first attribute access (importlib's
    LazyLoader), also as its package's attribute: `from package import module` then finds it
    without touching it, where an `import` statement of it would load it at once."""
    if name in sys.modules:
        return
    package, _, module_name = name.rpartition(".")
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return  # not installed: GE's own import will say so
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    setattr(importlib.import_module(package), module_name, module)


def main(argv: Sequence[str]) -> None:
    _defer_unused_imports()
    request_path, results_path = (Path(arg) for arg in argv)
    results = _run_request(json.loads(request_path.read_text()))
    results_path.write_text(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
