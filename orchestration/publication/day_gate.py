"""Which landed days may enter the build: write-audit-publish per day, and one source mode.

The gate of a run judges the run's own days, yet dbt reads later landed days too and keeps what
earlier runs built; without this rule a later run could publish a day whose checks never passed.
So the build reads a day only when it is one of the run's own days or a run of it passed and
published since its files were last written; every other landed day is held (`DBT_HELD_DAYS`).
The ledger these rules read and write is day_ledger.py; docs/architecture.md ("Which days enter
the build") tells the design.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq

from orchestration.lib import duckdb_settings
from orchestration.lib.paths import WarehouseLayout
from orchestration.publication.day_ledger import (
    BuildState,
    Ledger,
    PassedDay,
    landed_days,
    landed_files,
    load_ledger,
    save_ledger,
)

#: The environment variable that gives dbt the held days (comma-separated ISO dates).
HELD_DAYS_ENV = "DBT_HELD_DAYS"
#: The environment variable that gives dbt, per landing dataset, the days of the run's window
#: that landed (JSON; the dbt macro `landing_source`).
LANDING_WINDOW_ENV = "DBT_LANDING_WINDOW"
#: A run whose window spans more landed days reads each dataset's whole glob: the list would not
#: save much there, and an environment variable holds at most 128 KiB.
LANDING_WINDOW_MAX_DAYS = 62
#: Reason given when nothing better is known about a held day.
NEVER_PASSED = "landed, and no run of this day has passed its checks"
#: The latest held days whose reason is looked up (in the Dagster instance: a few queries each);
#: older ones get the generic reason (a warehouse with a long unchecked landing history).
REASONS_LOOKED_UP = 31


class SourceModeConflict(RuntimeError):
    """The build would mix demo and live data."""


class UncheckedBuild(RuntimeError):
    """The build holds days whose checks never passed; the publication refuses it."""


@dataclass(frozen=True)
class BuildPlan:
    """What the dbt step of a run does: which days it holds out, whether it rebuilds in full."""

    held: dict[date, str]
    full_refresh_reason: str | None
    #: The run's first day and, per landing dataset ("shop/orders"), the admitted days from it on
    #: that have a file; None when the run has no days or its window is too long to list.
    landing_window: tuple[date, dict[str, list[date]]] | None = None

    def dbt_env(self) -> dict[str, str]:
        listed = ""
        if self.landing_window is not None:
            since, datasets = self.landing_window
            days = {name: [day.isoformat() for day in days] for name, days in datasets.items()}
            listed = json.dumps({"since": since.isoformat(), "days": days}, sort_keys=True)
        return {
            HELD_DAYS_ENV: ",".join(day.isoformat() for day in sorted(self.held)),
            LANDING_WINDOW_ENV: listed,
        }

    def dbt_args(self) -> list[str]:
        return ["--full-refresh"] if self.full_refresh_reason else []

    def budget_days(self, first: date | None, last: date | None) -> int | None:
        """The days dbt's memory budget is chosen for (`duckdb_settings.run_budget`): the run's
        days, or None for a full rebuild, which reads the whole history whatever days the run
        covers. Under a daily run's budget, the full rebuild after a failed 2-year daily run
        spilled more than 6 GB next to the database and had run 110 of its 376 nodes after 5.5
        minutes."""
        return None if self.full_refresh_reason else duckdb_settings.days_in(first, last)


def _admitted(ledger: Ledger, landed: dict[date, float]) -> set[date]:
    return {
        day
        for day, mtime in landed.items()
        if (entry := ledger.passed.get(day)) and entry.passed_at.timestamp() >= mtime
    }


def _file_modes(paths: Iterable[Path]) -> dict[Path, set[str]]:
    """The `_source_mode` values of each of these landed files, from the Parquet footers."""
    modes: dict[Path, set[str]] = {}
    for path in paths:
        metadata = pq.ParquetFile(path).metadata
        names = metadata.schema.names
        if "_source_mode" not in names:
            continue
        index = names.index("_source_mode")
        values: set[str] = set()
        for group in range(metadata.num_row_groups):
            stats = metadata.row_group(group).column(index).statistics
            if stats is not None and stats.has_min_max:
                values |= {str(stats.min), str(stats.max)}
        modes[path] = values
    return modes


def _mode_conflicts(
    warehouse: Path,
    ledger: Ledger,
    admitted: set[date],
    own_days: set[date],
    mode: str,
    files: dict[date, list[Path]],
) -> list[str]:
    """Where the build would read data of the other source mode, one line per day or file."""
    problems = [
        f"day {day} was published in {ledger.passed[day].source_mode} mode "
        f"(run {ledger.passed[day].run_id})"
        for day in sorted(admitted - own_days)
        if ledger.passed[day].source_mode != mode
    ]
    for day in sorted(own_days):
        for path, values in sorted(_file_modes(files.get(day, [])).items()):
            if values - {mode}:
                relative = path.relative_to(warehouse)
                problems.append(f"{relative} was landed in {'/'.join(sorted(values))} mode")
    return problems


def _conflict_message(mode: str, problems: list[str], warehouse: Path) -> str:
    other = "demo" if mode == "live" else "live"
    listed = "; ".join(problems[:10])
    if len(problems) > 10:
        listed += f"; and {len(problems) - 10} more"
    return (
        f"this run is in {mode} mode, but the warehouse {warehouse} holds {other} data: {listed}. "
        f"A build never mixes demo and live data: use a fresh WAREHOUSE_DIR for {mode} runs, or "
        f"delete this warehouse's landing/, build/ and published/ folders (then backfill) to "
        f"start its {mode} history."
    )


def plan_build(
    warehouse: Path,
    run_id: str,
    own_days: Iterable[date],
    mode: str,
    reason_for: Callable[[date], str | None] = lambda day: None,
) -> BuildPlan:
    """The dbt step's plan (the days it holds, whether it rebuilds in full), recorded in the
    ledger before dbt starts: a run that dies after it still names the days it put in the build.

    `reason_for(day)`: why a held day is held, when the caller knows (e.g. the checks that
    blocked its last run); else a generic reason. Raises SourceModeConflict."""
    ledger = load_ledger(warehouse)
    files = landed_files(warehouse)  # listed once: ~20,000 files at 2 years
    landed = landed_days(warehouse, files)
    own = set(own_days)
    admitted = _admitted(ledger, landed)
    problems = _mode_conflicts(warehouse, ledger, admitted, own & set(landed), mode, files)
    if problems:
        raise SourceModeConflict(_conflict_message(mode, problems, warehouse))
    held_days = sorted(set(landed) - admitted - own)
    explained = set(held_days[-REASONS_LOOKED_UP:])
    held = {
        day: _held_reason(day, ledger.passed.get(day), reason_for if day in explained else None)
        for day in held_days
    }
    refresh = _full_refresh_reason(ledger, own, mode)
    ledger.build = BuildState(
        run_id=run_id,
        source_mode=mode,
        own_days=sorted(own),
        read_days=sorted(set(landed) - set(held)),
        held=held,
        planned_at=datetime.now(UTC),
    )
    save_ledger(warehouse, ledger)
    window = landing_window(warehouse, files, min(own), set(held)) if own else None
    return BuildPlan(held=held, full_refresh_reason=refresh, landing_window=window)


def landing_window(
    warehouse: Path, files: dict[date, list[Path]], since: date, held: set[date]
) -> tuple[date, dict[str, list[date]]] | None:
    """Per landing dataset, the days from `since` on that landed and are not held: all an
    incremental build of a run starting on `since` reads of it (dbt macro `landing_source`).

    Why: a dataset's glob makes DuckDB open the footer of every file it matches (`union_by_name`
    reads every file's schema), ~0.4 s per dataset and model at 2 years of days, for the one day a
    daily run reads. With the listed days, dbt reads those days' files only."""
    days = sorted(day for day in files if day >= since and day not in held)
    if len(days) > LANDING_WINDOW_MAX_DAYS:
        return None
    landing = WarehouseLayout(warehouse).landing
    datasets: dict[str, list[date]] = {}
    for day in days:
        for path in files[day]:
            dataset = path.parent.parent.relative_to(landing).as_posix()
            datasets.setdefault(dataset, []).append(day)
    return since, {name: sorted(set(listed)) for name, listed in datasets.items()}


def _held_reason(
    day: date, entry: PassedDay | None, reason_for: Callable[[date], str | None] | None
) -> str:
    known = reason_for(day) if reason_for else None
    if entry is not None:
        base = (
            f"landed again after run {entry.run_id} passed it; no run of this day has passed "
            "its checks since"
        )
    else:
        base = NEVER_PASSED
    return f"{base} ({known})" if known else base


def _full_refresh_reason(ledger: Ledger, own: set[date], mode: str) -> str | None:
    build = ledger.build
    if build is None:
        return None
    if build.source_mode != mode:
        return f"the build holds {build.source_mode} data and this run is {mode}"
    unchecked = sorted(set(build.own_days) - set(ledger.passed) - own)
    if unchecked:
        days = ", ".join(day.isoformat() for day in unchecked)
        return (
            f"the build holds day(s) {days} of run {build.run_id}, whose checks did not pass: "
            "rebuilding every model without them"
        )
    return None


@dataclass(frozen=True)
class PublishedDays:
    """What a publication contains: the landed days its build read, and the days held back."""

    source_mode: str
    read_days: list[date]
    held: dict[date, str]
    own_days: list[date]
    #: when the build was planned (None: no dbt step recorded it)
    planned_at: datetime | None = None

    def ranges(self) -> list[list[str]]:
        """The read days as inclusive [first, last] ranges of consecutive days."""
        spans: list[list[date]] = []
        for day in self.read_days:
            if spans and (day - spans[-1][1]).days == 1:
                spans[-1][1] = day
            else:
                spans.append([day, day])
        return [[first.isoformat(), last.isoformat()] for first, last in spans]

    def held_list(self) -> list[dict[str, str]]:
        return [{"day": day.isoformat(), "reason": why} for day, why in sorted(self.held.items())]


def audit_build(warehouse: Path, run_id: str, own_days: Iterable[date], mode: str) -> PublishedDays:
    """What the build about to be published contains; UncheckedBuild when it holds days whose
    checks did not pass in this run or in a run that published them.

    `mode` is the environment's, used only for a build no dbt step recorded (a build made
    outside the pipeline, e.g. by hand): its days are then every landed day."""
    ledger = load_ledger(warehouse)
    build = ledger.build
    own = set(own_days)
    if build is None:
        return PublishedDays(mode, sorted(landed_days(warehouse)), {}, sorted(own))
    unchecked = sorted(set(build.own_days) - set(ledger.passed) - own)
    if unchecked:
        days = ", ".join(day.isoformat() for day in unchecked)
        raise UncheckedBuild(
            f"the build database holds day(s) {days}, built by run {build.run_id} whose checks "
            "did not pass, and this run did not rebuild it: run those days again (or any day: "
            "its dbt step rebuilds without them) before publishing"
        )
    return PublishedDays(
        build.source_mode, build.read_days, build.held, build.own_days, build.planned_at
    )


def record_passed(warehouse: Path, run_id: str, passed_at: datetime, days: PublishedDays) -> None:
    """After a publication: its build's own days are admitted (they passed this run's checks),
    as of when their build was planned."""
    ledger = load_ledger(warehouse)
    as_of = min(passed_at, days.planned_at) if days.planned_at else passed_at
    entry = PassedDay(run_id, as_of.astimezone(UTC), days.source_mode)
    ledger.passed.update(dict.fromkeys(days.own_days, entry))
    save_ledger(warehouse, ledger)
