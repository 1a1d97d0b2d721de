"""Did anything the build reads change since the last publication? If not, the run skips the build.

A run that re-processes a day already published, with nothing new at the sources, would rebuild
every dbt model, re-run the mart checks and re-publish the same marts: most of a daily run's cost
for nothing. So the dbt step first computes a fingerprint of everything the build, the mart checks
and the publication read:

- the landing rows (every landed file: the marts recompute windows over all landed days), by
  content without the run metadata (`RUN_METADATA_COLUMNS`: the extraction clock);
- the dbt project's files (models, macros, seeds, tests, dbt_project.yml, profiles.yml), the
  Great Expectations suites and the package's code, with the versions of the libraries that run
  them;
- the run's dbt vars (the partition range, the held days, a full refresh) and the settings that
  change what is built, checked or published (target, source mode, check thresholds, Postgres
  publication). Nothing in the dbt project reads the clock: `is_complete` / `is_final` are
  decided from the landed days (int_kpi_calendar.sql), so the range and the landing say it all.

When the fingerprint equals the one recorded by the last run that published, and the published
DuckDB file still holds that run's publication, the build is skipped (`decide`). Any doubt builds:
no record, a different fingerprint, another publication since, a build started since (a dbt build
forgets the record when it starts, so a failed run leaves none), FORCE_REBUILD=1.

The content hashes (landed files without their run metadata, code) are those of
orchestration/lib/content_hash.py, cached so that a run reads only the files written since.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from orchestration.lib.content_hash import code_digest, files_digest, landing_digest, sha256
from orchestration.lib.json_records import read_record, write_record
from orchestration.lib.paths import WarehouseLayout
from orchestration.publication.contract import LOG_TABLE

#: Folders of the dbt project that hold no input of the build (dbt's outputs, installed packages
#: are under dbt_packages and are inputs).
_NOT_PROJECT_INPUTS = frozenset({"target", "logs", "sqlfluff_libs"})


@dataclass(frozen=True)
class Fingerprint:
    """One digest per kind of input; equal fingerprints mean the build would read the same."""

    parts: dict[str, str]

    @property
    def digest(self) -> str:
        return sha256(json.dumps(self.parts, sort_keys=True).encode())

    def changed(self, other: Fingerprint) -> list[str]:
        """The kinds of input that differ from `other`'s."""
        return sorted(
            k for k in {*self.parts, *other.parts} if self.parts.get(k) != other.parts.get(k)
        )


@dataclass(frozen=True)
class Decision:
    """`since_run`: the run whose publication still stands for these inputs (skip the build);
    None: build, for `reason`."""

    since_run: str | None
    reason: str


def dbt_project_files(project_dir: Path) -> list[Path]:
    """The files of the dbt project that the build reads (not dbt's outputs nor hidden files)."""
    return [
        path
        for path in project_dir.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(project_dir).parts)
        and path.relative_to(project_dir).parts[0] not in _NOT_PROJECT_INPUTS
    ]


def fingerprint(
    warehouse: Path, dbt_project_dir: Path, suites_dir: Path, run_vars: Mapping[str, Any]
) -> Fingerprint:
    """The fingerprint of a build: landing, dbt project, suites, code and the run's vars and
    settings (`run_vars`, JSON-serialisable, without secrets)."""
    return Fingerprint(
        {
            "landing": landing_digest(warehouse),
            "dbt_project": files_digest(dbt_project_dir, dbt_project_files(dbt_project_dir)),
            "suites": files_digest(suites_dir, suites_dir.rglob("*.json")),
            "code": code_digest(),
            "run_vars": sha256(json.dumps(run_vars, sort_keys=True, default=str).encode()),
        }
    )


def published_run(warehouse: Path) -> str | None:
    """The run of the publication the published DuckDB file holds (None: no file, or no log)."""
    path = WarehouseLayout(warehouse).published_marts
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute(
                f"select run_id from {LOG_TABLE} order by published_at desc limit 1"
            ).fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def decide(warehouse: Path, inputs: Fingerprint, force: bool) -> Decision:
    """Skip the build only when the last publication read exactly `inputs` and still stands."""
    if force:
        return Decision(None, "FORCE_REBUILD=1")
    record = read_record(WarehouseLayout(warehouse).published_inputs_record)
    if not record:
        return Decision(None, "no publication recorded its inputs since the last build started")
    run_id = record["run_id"]
    changed = inputs.changed(Fingerprint(record["parts"]))
    if changed:
        return Decision(None, f"changed since run {run_id}: {', '.join(changed)}")
    standing = published_run(warehouse)
    if standing != run_id:
        return Decision(
            None, f"the published file holds the publication of run {standing}, not of {run_id}"
        )
    return Decision(run_id, f"inputs unchanged since run {run_id}, whose publication stands")


def _pending(warehouse: Path, run_id: str) -> Path:
    return WarehouseLayout(warehouse).pending_inputs / f"{run_id}.json"


def start_build(warehouse: Path, run_id: str, inputs: Fingerprint | None) -> None:
    """A build starts: the build database will no longer be the recorded publication's, so the
    record goes; the run's `inputs` (None: a partial build, never recorded) wait for its
    publication."""
    (WarehouseLayout(warehouse).published_inputs_record).unlink(missing_ok=True)
    # whatever an earlier run was about to record describes a build this one replaces
    shutil.rmtree(_pending(warehouse, run_id).parent, ignore_errors=True)
    if inputs is not None:
        write_record(_pending(warehouse, run_id), {"run_id": run_id, "parts": inputs.parts})


def record_publication(warehouse: Path, run_id: str) -> str | None:
    """The run published: its build's inputs become the record (None when its dbt step built no
    whole recorded build, e.g. a subset)."""
    pending = _pending(warehouse, run_id)
    data = read_record(pending)
    if not data:
        return None
    write_record(WarehouseLayout(warehouse).published_inputs_record, data)
    pending.unlink(missing_ok=True)
    return Fingerprint(data["parts"]).digest
