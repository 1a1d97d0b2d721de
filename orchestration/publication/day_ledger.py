"""The day ledger, `build/day_ledger.json`: which days passed, and what the build database holds.

Its own module because the file outlives every run: the dbt step, the publication and the audit
all read it, and a warehouse made before it is seeded from the publication log. The rule that
reads it is day_gate.py; docs/architecture.md ("Which days enter the build") tells the design.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from orchestration.lib.paths import WarehouseLayout, parquet_files

_DAY_FOLDER = re.compile(r"date=(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class PassedDay:
    run_id: str
    passed_at: datetime
    source_mode: str


@dataclass(frozen=True)
class BuildState:
    """What the build database holds, written by the dbt step before dbt starts."""

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


def ledger_path(warehouse: Path) -> Path:
    return WarehouseLayout(warehouse).day_ledger


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
    """The ledger; without one (a warehouse made before it), the days of the current
    publication's log."""
    path = ledger_path(warehouse)
    if path.exists():
        return _from_json(json.loads(path.read_text()))
    return Ledger(passed=_seed_from_publication(warehouse))


def _seed_from_publication(warehouse: Path) -> dict[date, PassedDay]:
    """The days of every logged run; every day landed before an unpartitioned publication."""
    published = WarehouseLayout(warehouse).published_marts
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
    for path in parquet_files(WarehouseLayout(warehouse).landing):
        match = _DAY_FOLDER.fullmatch(path.parent.name)
        if match:
            files.setdefault(date.fromisoformat(match.group(1)), []).append(path)
    return files


def landed_days(warehouse: Path, files: dict[date, list[Path]] | None = None) -> dict[date, float]:
    """Every landed day (any source, dataset or rejects) -> the latest mtime of its files.
    `files`: `landed_files(warehouse)` when the caller already listed them."""
    listed = landed_files(warehouse) if files is None else files
    return {day: max(os.stat(path).st_mtime for path in paths) for day, paths in listed.items()}
