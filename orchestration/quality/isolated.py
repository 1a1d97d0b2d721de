"""Run Great Expectations suites in a child process: the Dagster run process never holds GE.

Why (a daily run under 1 GiB): with the in-process executor one Python process lives
through the whole run. Importing GE takes well over a hundred MB, and its frames and validations
leave more in the allocators' caches; before this, that weight sat beside dbt's process and its
DuckDB for the rest of the run. A child process imports GE once for the suites of a check step
(orchestration/quality/checks.py groups the suites into steps) and frees everything when it
exits.

The landing checks come in two steps with three extracts between them (checks.py `_waves`), so
their child is kept for the run's next check step (`keep=True`): one GE import (4-5 s) instead of
two. It is stopped before dbt starts (`stop_suite_process`, in dbt's step), after the mart checks,
and when the run process exits (the child ends when its stdin closes).

    python -m orchestration.quality.isolated

reads one request file path per line on stdin and, for each, writes the results file the request
names, then its path on stdout. A request names the suite files, the warehouse, the window and the
run id; the results map each suite to its outcome (`SuiteOutcome.to_json`) or to the error that
stopped it (a frame DuckDB could not compute, a suite GE would weaken): both fail the suite's
check, as they would in process. Anything else (a crash, the child killed) ends the child and
fails the whole step with the child's exit code and the end of its stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import duckdb

from orchestration.lib.memory import release_freed_memory
from orchestration.quality.frames import Window
from orchestration.quality.runner import SuiteOutcome, run_suite
from orchestration.quality.suites import SuiteDefinition, SuiteFileError, load_suite

_STDERR_TAIL_LINES = 30
_STOP_TIMEOUT_S = 10


class SuiteProcessError(RuntimeError):
    """The suite process ended without results: its exit code and the end of its stderr."""


class _SuiteProcess:
    """One child serving suite requests, with its scratch folder (requests, results, stderr)."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self._scratch = tempfile.TemporaryDirectory(prefix="suites-")
        self._stderr_path = Path(self._scratch.name) / "stderr.log"
        self._stderr = self._stderr_path.open("w")
        self._stderr_read = 0
        self._requests = 0
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )

    def run(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """The results of `request`; None when the child ended without them."""
        self._requests += 1
        folder = Path(self._scratch.name)
        request_path = folder / f"request-{self._requests}.json"
        results_path = folder / f"results-{self._requests}.json"
        request_path.write_text(json.dumps({**request, "results": str(results_path)}))
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(f"{request_path}\n")
            stdin.flush()
        except BrokenPipeError:
            return None
        answered = stdout.readline().strip() == str(results_path)
        return json.loads(results_path.read_text()) if answered else None

    def new_stderr(self) -> str:
        """What the child wrote to stderr since the last call (GE's warnings)."""
        self._stderr.flush()
        with self._stderr_path.open(errors="replace") as log:
            log.seek(self._stderr_read)
            text = log.read()
            self._stderr_read = log.tell()
        return text

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int:
        """End the child (EOF on its stdin; killed if it does not exit), return its exit code."""
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            code = self.process.wait(timeout=_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        self._stderr.close()
        self._scratch.cleanup()
        return code


#: The child kept for the run's next check step (in-process executor: one run per process).
_kept: _SuiteProcess | None = None


def stop_suite_process() -> int | None:
    """Stop the kept suite process, if any (before dbt's process starts beside this one); its
    exit code."""
    global _kept
    child, _kept = _kept, None
    return child.stop() if child is not None else None


def _suite_process(run_id: str) -> _SuiteProcess:
    """The kept child when it serves this run and is alive, else a new one."""
    global _kept
    if _kept is not None and (_kept.run_id != run_id or not _kept.alive()):
        stop_suite_process()
    if _kept is None:
        release_freed_memory()  # the suite process runs beside this one (lib/memory.py)
        _kept = _SuiteProcess(run_id)
    return _kept


def run_suites_isolated(
    suites: Sequence[SuiteDefinition],
    warehouse: Path,
    window: Window,
    run_id: str,
    *,
    keep: bool = False,
) -> dict[str, SuiteOutcome | str]:
    """Each suite's outcome, or the error that stopped it, computed in the suite process. `keep`:
    leave the process running for the run's next check step."""
    request = {
        "suite_files": [str(suite.path) for suite in suites],
        "warehouse": str(warehouse),
        "window": window.to_json(),
        "run_id": run_id,
    }
    child = _suite_process(run_id)
    results = child.run(request)
    log = child.new_stderr()
    sys.stderr.write(log)  # GE's warnings, into the step's captured logs
    if results is None or not keep:
        returncode = stop_suite_process()
        if results is None:
            tail = "\n".join(log.splitlines()[-_STDERR_TAIL_LINES:])
            names = ", ".join(suite.name for suite in suites)
            raise SuiteProcessError(
                f"the quality-check process for suites {names} exited with code {returncode} "
                f"before writing its results; its stderr ends with:\n{tail}"
            )
    return {
        name: result["error"] if "error" in result else SuiteOutcome.from_json(result["outcome"])
        for name, result in results.items()
    }


def _run_request(request: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """In the child: run every suite of the request, one result per suite."""
    window = Window.from_json(request["window"])
    warehouse = Path(request["warehouse"])
    results: dict[str, dict[str, Any]] = {}
    for suite_file in request["suite_files"]:
        suite = load_suite(Path(suite_file), validate=False)
        try:
            outcome = run_suite(suite, warehouse, window, request["run_id"])
        except duckdb.Error as error:
            results[suite.name] = {"error": f"a frame could not be computed: {error}"}
        except SuiteFileError as error:
            # GE would drop an expectation of the suite file: fail the gate, never check less.
            results[suite.name] = {"error": str(error)}
        else:
            results[suite.name] = {"outcome": outcome.to_json()}
    return results


def serve(requests: IO[str], answers: IO[str]) -> None:
    """In the child: answer each request path read from `requests` until it closes."""
    for line in requests:
        request = json.loads(Path(line.strip()).read_text())
        results_path = Path(request["results"])
        results_path.write_text(json.dumps(_run_request(request)))
        answers.write(f"{results_path}\n")
        answers.flush()


def main() -> None:
    # GE imports pyspark and SQLAlchemy when they are installed (the spark and postgres dbt
    # targets bring them), to support Spark DataFrames and SQL datasources; our frames are
    # pandas. Marked absent, GE skips them and starts faster (SQLAlchemy alone: 0.6 of 4.6 s).
    for optional in ("pyspark", "sqlalchemy"):
        sys.modules.setdefault(optional, None)  # type: ignore[arg-type]
    # The answers go to a private copy of stdout; whatever GE prints goes to stderr.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin, answers)


if __name__ == "__main__":
    main()
