"""Which landed days may enter the build: write-audit-publish per day, and one source mode.

The gate of a run (the blocking checks) judges the run's own days. Without this module a later
run could still publish a day whose checks never passed: dbt reads the landing partitions of the
run's first day *and later* (`in_landing_window`), and it keeps in the build database what an
earlier run built. So a run of 11-20 after a blocked run of 11-23 would read and publish 11-23.

The rule: the build reads a landed day only when the day is one of the run's own days (its checks
run in this run, and the publication waits for them) or when a run of that day passed all its
checks and published since the day's files were last written: the day is *admitted*. Every other
landed day is *held*: the dbt step passes it to dbt (`DBT_HELD_DAYS`, read by the landing filter
in dbt_project/macros/incremental_window.sql) and no model reads it. The hold lifts when a run of
that day passes (the day is then in the run's window).

The ledger, `build/day_ledger.json` (written atomically; the dbt step and the publication are in
the `duckdb` pool, so one run at a time writes it):

- `passed`: per day, the publication that admitted it (run id, time, source mode). Written by the
  publication, after it replaced the published files. A landing file of the day modified after
  that time (a re-extraction) makes the day unadmitted again until a run of it passes;
- `build`: what the build database holds, written by the dbt step BEFORE dbt starts: the run, its
  source mode, its own days (in the build before their checks passed), the days it read and the
  days it held with the reason. When that run does not publish (a check blocked it, dbt failed,
  the process died), its days stay in the build unchecked: the next dbt step that does not
  cover them rebuilds every model without them (`dbt build --full-refresh`), because dbt's
  incremental models cannot remove rows of keys that no longer arrive. Rare (once after a blocked
  run), and a full rebuild, so it costs what a first build costs.

Source mode: a build holds data of one mode. The dbt step refuses to build when a day it would
read was landed in the other mode (admitted days by their ledger entry, the run's own days by the
`_source_mode` of their files), naming the days and the fix; when the build's mode changed (the
other mode's landing was removed) it rebuilds in full. The publication stamps the mode of the
build, not the environment's.

A warehouse without a ledger (before this module) takes its admitted days from the current
publication's `publication_log`: the days of every logged run (every day landed before an
unpartitioned publication), as of that publication.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

LEDGER_FILE = "day_ledger.json"
#: The environment variable that gives dbt the held days (comma-separated ISO dates).
HELD_DAYS_ENV = "DBT_HELD_DAYS"
_DAY_FOLDER = re.compile(r"date=(\d{4}-\d{2}-\d{2})")
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
class PassedDay:
    run_id: str
    passed_at: datetime
    source_mode: str


@dataclass(frozen=True)
class BuildState:
    """What the build database holds (see the module docstring)."""

    run_id: str
    source_mode: str
    own_days: list[date]
    read_days: list[date]
    held: dict[date, str]
    #: when the dbt step planned the build: its own days' files are admitted as of then (a file
    #: landed again while dbt ran was not what this run's checks judged)
    planned_at: datetime


@dataclass
class Ledger:
    passed: dict[date, PassedDay] = field(default_factory=dict)
    build: BuildState | None = None


@dataclass(frozen=True)
class BuildPlan:
    """What the dbt step of a run does: which days it holds out, whether it rebuilds in full."""

    held: dict[date, str]
    full_refresh_reason: str | None

    def dbt_env(self) -> dict[str, str]:
        return {HELD_DAYS_ENV: ",".join(day.isoformat() for day in sorted(self.held))}

    def dbt_args(self) -> list[str]:
        return ["--full-refresh"] if self.full_refresh_reason else []


def ledger_path(warehouse: Path) -> Path:
    return warehouse / "build" / LEDGER_FILE


def _to_json(ledger: Ledger) -> dict[str, object]:
    build = ledger.build
    return {
        "passed": {
            day.isoformat(): {
                "run_id": entry.run_id,
                "passed_at": entry.passed_at.isoformat(),
                "source_mode": entry.source_mode,
            }
            for day, entry in sorted(ledger.passed.items())
        },
        "build": None
        if build is None
        else {
            "run_id": build.run_id,
            "source_mode": build.source_mode,
            "own_days": [day.isoformat() for day in build.own_days],
            "read_days": [day.isoformat() for day in build.read_days],
            "held": {day.isoformat(): reason for day, reason in sorted(build.held.items())},
            "planned_at": build.planned_at.isoformat(),
        },
    }


def _from_json(data: dict[str, object]) -> Ledger:
    passed = {
        date.fromisoformat(day): PassedDay(
            entry["run_id"], datetime.fromisoformat(entry["passed_at"]), entry["source_mode"]
        )
        for day, entry in data["passed"].items()
    }
    raw = data.get("build")
    build = None
    if raw:
        build = BuildState(
            run_id=raw["run_id"],
            source_mode=raw["source_mode"],
            own_days=[date.fromisoformat(day) for day in raw["own_days"]],
            read_days=[date.fromisoformat(day) for day in raw["read_days"]],
            held={date.fromisoformat(day): reason for day, reason in raw["held"].items()},
            planned_at=datetime.fromisoformat(raw["planned_at"]),
        )
    return Ledger(passed, build)


def save_ledger(warehouse: Path, ledger: Ledger) -> None:
    """Atomically: a crash leaves the previous ledger or the new one."""
    path = ledger_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(_to_json(ledger), indent=1, sort_keys=True))
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, path)


def load_ledger(warehouse: Path) -> Ledger:
    """The ledger; without one, the days of the current publication's log (module docstring)."""
    path = ledger_path(warehouse)
    if path.exists():
        return _from_json(json.loads(path.read_text()))
    return Ledger(passed=_seed_from_publication(warehouse))


def _seed_from_publication(warehouse: Path) -> dict[date, PassedDay]:
    published = warehouse / "published" / "marts.duckdb"
    if not published.exists():
        return {}
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute(
            "select run_id, published_at, source_mode, partition_start, partition_end "
            "from publication_log order by published_at"
        ).fetchall()
    landed = landed_days(warehouse)
    passed: dict[date, PassedDay] = {}
    for run_id, published_at, mode, start, end in rows:
        entry = PassedDay(run_id, published_at.astimezone(UTC), mode)
        if start is None or end is None:
            days: Iterable[date] = [
                day for day, mtime in landed.items() if mtime <= entry.passed_at.timestamp()
            ]
        else:
            days = [day for day in landed if start <= day <= end]
        passed.update(dict.fromkeys(days, entry))
    return passed


def landed_files(warehouse: Path) -> dict[date, list[Path]]:
    """Every landed file (any source, dataset or rejects), by day: one walk of the landing tree.

    One walk for all days, not one per day: a glob per day walks the whole tree each time, which
    made the plan of a range run quadratic in its days."""
    files: dict[date, list[Path]] = {}
    for path in (warehouse / "landing").glob("**/date=*/*.parquet"):
        match = _DAY_FOLDER.fullmatch(path.parent.name)
        if match:
            files.setdefault(date.fromisoformat(match.group(1)), []).append(path)
    return files


def landed_days(warehouse: Path) -> dict[date, float]:
    """Every landed day (any source, dataset or rejects) -> the latest mtime of its files."""
    return {
        day: max(path.stat().st_mtime for path in paths)
        for day, paths in landed_files(warehouse).items()
    }


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
    warehouse: Path, ledger: Ledger, admitted: set[date], own_days: set[date], mode: str
) -> list[str]:
    """Where the build would read data of the other source mode, one line per day or file."""
    problems = [
        f"day {day} was published in {ledger.passed[day].source_mode} mode "
        f"(run {ledger.passed[day].run_id})"
        for day in sorted(admitted - own_days)
        if ledger.passed[day].source_mode != mode
    ]
    files = landed_files(warehouse)
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
    """The dbt step's plan (module docstring), recorded in the ledger before dbt starts.

    `reason_for(day)`: why a held day is held, when the caller knows (e.g. the checks that
    blocked its last run); else a generic reason. Raises SourceModeConflict."""
    ledger = load_ledger(warehouse)
    landed = landed_days(warehouse)
    own = set(own_days)
    admitted = _admitted(ledger, landed)
    problems = _mode_conflicts(warehouse, ledger, admitted, own & set(landed), mode)
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
    return BuildPlan(held=held, full_refresh_reason=refresh)


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
