"""A landing suite's outcome is reused when nothing it reads changed since it was computed.

Why: re-running a day with nothing new at the sources ran both landing-check steps again, two
Great Expectations processes of about ten seconds each, to reach the outcomes the previous run had
already reached; the dbt build of such a run is skipped for the same reason
(orchestration/build_inputs.py). A landing suite's outcome depends only on:

- the suite file and its parameters (the suite's defaults and their environment overrides);
- the window (the run's days);
- the landed files its frames read (`frames.landing_inputs`: the window's days and the trailing
  days the volume checks compare with), by content without the run metadata columns, as the
  build's fingerprint hashes them;
- the package's code and the versions of the libraries that compute and validate the frames.

When all of these equal those recorded with an outcome, the check reports that outcome again and
names the run that computed it. Never reused, so any doubt checks again: a suite that reads the
dbt build (the mart checks), a suite whose SQL names a run metadata column, an outcome with a
blocking failure (a re-run after a fix outside what is hashed must check again), an outcome whose
Data Docs are gone (RETENTION_RUNS), and every outcome when FORCE_REBUILD=1.

The record (`WarehouseLayout.suite_outcomes_record`) keeps the latest outcome per suite.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from orchestration.lib.content_hash import (
    RUN_METADATA_COLUMNS,
    code_digest,
    landing_hashes,
    landing_name,
    sha256,
)
from orchestration.lib.json_records import read_record, write_record
from orchestration.lib.paths import WarehouseLayout
from orchestration.quality.frames import Window, landed_files, landing_inputs, sql_words
from orchestration.quality.isolated import run_suites_isolated
from orchestration.quality.runner import SuiteOutcome, resolve_parameters
from orchestration.quality.suites import SuiteDefinition


@dataclass(frozen=True)
class ReusedOutcome:
    """An outcome computed by `run_id` for the same inputs."""

    run_id: str
    outcome: SuiteOutcome


def _sql_texts(suite: SuiteDefinition) -> list[str]:
    return [frame.sql for frame in suite.frames.values()]


def reusable(suite: SuiteDefinition) -> bool:
    """Whether the suite's outcome can be told from the hashed inputs alone."""
    return not suite.reads_build and not sql_words(_sql_texts(suite)) & RUN_METADATA_COLUMNS


def suite_inputs_digests(
    suites: Sequence[SuiteDefinition], warehouse: Path, window: Window
) -> dict[str, str]:
    """The digest of everything each suite's outcome depends on (see the module docstring), by
    suite name. The landing zone is listed, its hash cache read and the code hashed once for all
    the suites (per suite, they cost 0.18 s a suite at two years of landed days)."""
    if not suites:
        return {}
    listed = landed_files(warehouse, window)
    read = {s.name: landing_inputs(warehouse, window, _sql_texts(s), listed) for s in suites}
    hashes = landing_hashes(warehouse, {path for paths in read.values() for path in paths})
    code = code_digest()
    layout = WarehouseLayout(warehouse)
    digests = {}
    for suite in suites:
        names = sorted(landing_name(layout, path) for path in read[suite.name])
        inputs = {
            "suite_file": sha256(suite.path.read_bytes()),
            "parameters": resolve_parameters(suite),
            "window": window.to_json(),
            "landing": {name: hashes[name] for name in names},
            "code": code,
        }
        digests[suite.name] = sha256(json.dumps(inputs, sort_keys=True, default=str).encode())
    return digests


def recorded_outcome(suite: SuiteDefinition, warehouse: Path, digest: str) -> ReusedOutcome | None:
    """The recorded outcome of `suite` for inputs `digest`, when it may stand for a new check."""
    entry = (read_record(WarehouseLayout(warehouse).suite_outcomes_record) or {}).get(suite.name)
    if not entry or entry["inputs"] != digest:
        return None
    outcome = SuiteOutcome.from_json(entry["outcome"])
    if outcome.blocking_failures or not outcome.data_docs_index.is_file():
        return None
    return ReusedOutcome(entry["run_id"], outcome)


def record_outcomes(
    warehouse: Path, run_id: str, outcomes: Mapping[str, tuple[str, SuiteOutcome]]
) -> None:
    """Keep each suite's new outcome with its inputs digest (`outcomes`: suite -> both)."""
    if not outcomes:
        return
    path = WarehouseLayout(warehouse).suite_outcomes_record
    record = read_record(path) or {}
    for name, (digest, outcome) in outcomes.items():
        record[name] = {"inputs": digest, "run_id": run_id, "outcome": outcome.to_json()}
    write_record(path, record)


def check_suites(
    suites: Sequence[SuiteDefinition], warehouse: Path, window: Window, run_id: str, *, force: bool
) -> dict[str, SuiteOutcome | ReusedOutcome | str]:
    """Each suite's outcome: the recorded one where its inputs are unchanged (never when
    `force`), else computed in the suite process and recorded; a string is the error that stopped
    a suite (orchestration/quality/isolated.py)."""
    digests = (
        {} if force else suite_inputs_digests([s for s in suites if reusable(s)], warehouse, window)
    )
    reused = {
        s.name: found
        for s in suites
        if s.name in digests and (found := recorded_outcome(s, warehouse, digests[s.name]))
    }
    to_run = [s for s in suites if s.name not in reused]
    computed = run_suites_isolated(to_run, warehouse, window, run_id) if to_run else {}
    fresh = {
        name: (digests[name], result)
        for name, result in computed.items()
        if name in digests and isinstance(result, SuiteOutcome)
    }
    record_outcomes(warehouse, run_id, fresh)
    return {**computed, **reused}
