"""Follows a Dagster run from its event log and tells a person what it is doing.

`make demo` starts the run in a child process whose full log goes to a file; this module reads
the run's events from the instance (the same SQLite event log the UI reads) and folds its ~20
steps into the stages a person recognises: extract, landing checks, dbt build, mart checks,
publish, report. Each stage prints one line when it ends (with its elapsed time and what it
produced); on a terminal the running stage also shows a progress bar.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
from dagster._core.storage.dagster_run import DagsterRun, RunsFilter
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

EVENTS = {
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
    dg.DagsterEventType.STEP_SKIPPED,
    dg.DagsterEventType.ASSET_MATERIALIZATION,
    dg.DagsterEventType.ASSET_CHECK_EVALUATION,
}
_ENDED = {"STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"}


@dataclass(frozen=True)
class StageSpec:
    """A stage a person sees, and which of the run's steps belong to it."""

    name: str
    matches: Callable[[str], bool]


STAGES = (
    StageSpec("extract", lambda step: step.startswith("landing__")),
    StageSpec("landing checks", lambda step: step.startswith("ge_landing")),
    StageSpec("dbt build", lambda step: step == "dbt_models"),
    StageSpec("mart checks", lambda step: step.startswith("ge_marts")),
    StageSpec("publish", lambda step: step.startswith("published_")),
    StageSpec(
        "report",
        lambda step: step in ("kpi_report", "store_picking_sheets", "dbt_docs", "freshness_checks"),
    ),
)


@dataclass
class Stage:
    """What the run did in one stage so far."""

    name: str
    steps: set[str]
    units_total: int  # what the bar counts: steps, or dbt assets for the dbt build
    started_at: float | None = None
    ended_at: float | None = None
    ended_steps: set[str] = field(default_factory=set)
    succeeded_steps: set[str] = field(default_factory=set)
    units_done: int = 0
    rows_by_asset: dict[str, int] = field(default_factory=dict)
    rejects_by_asset: dict[str, int] = field(default_factory=dict)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)  # blocking checks that failed
    checks_warned: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    skipped: bool = False

    @property
    def rows(self) -> int:
        return sum(self.rows_by_asset.values())

    @property
    def rejects(self) -> int:
        return sum(self.rejects_by_asset.values())

    @property
    def succeeded(self) -> bool:
        return self.succeeded_steps >= self.steps

    @property
    def done(self) -> bool:
        return self.ended_steps >= self.steps

    def summary(self) -> str:
        """What the stage produced, in a few words."""
        if self.failures:
            return "FAILED"
        if self.skipped:
            return "skipped (a blocking check failed)"
        if self.name == "extract":
            return f"{len(self.steps)} sources, {self.rows:,} rows, {self.rejects:,} rejected"
        if self.name.endswith("checks"):
            failed = f", {len(self.checks_failed)} FAILED" if self.checks_failed else ""
            warned = f", {len(self.checks_warned)} warning(s)" if self.checks_warned else ""
            return f"{self.checks_passed} passed{warned}{failed}"
        if self.name == "dbt build":
            return f"{self.units_done} dbt models and seeds built and tested"
        if self.name == "publish":
            return f"{self.rows:,} rows published" if self.rows else "published"
        return "report, picking sheets and marts documentation written"


def _metadata_int(metadata: dict[str, Any], key: str) -> int:
    value = metadata.get(key)
    value = getattr(value, "value", value)
    return int(value) if isinstance(value, int | float) else 0


class RunFollower:
    """Reads one run's events as they are written and keeps the stages up to date."""

    def __init__(self, instance: dg.DagsterInstance, run: DagsterRun):
        self.instance = instance
        self.run = run
        self.stages = self._stages(run)
        self._cursor: str | None = None

    def _stages(self, run: DagsterRun) -> list[Stage]:
        snapshot = self.instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
        step_outputs = {step.key: len(step.outputs) for step in snapshot.steps}
        stages = []
        for spec in STAGES:
            steps = {key for key in step_outputs if spec.matches(key)}
            if steps:
                units = sum(step_outputs[k] for k in steps) if spec.name == "dbt build" else 0
                stages.append(Stage(spec.name, steps, units or len(steps)))
        return stages

    def stage_of(self, step_key: str | None) -> Stage | None:
        return next((s for s in self.stages if step_key in s.steps), None)

    def poll(self) -> list[Stage]:
        """Read the new events; return the stages that ended with them."""
        ended: list[Stage] = []
        while True:
            connection = self.instance.get_records_for_run(
                self.run.run_id, cursor=self._cursor, of_type=EVENTS, limit=1000
            )
            self._cursor = connection.cursor
            for record in connection.records:
                stage = self._apply(record.event_log_entry)
                if stage is not None and stage.done and stage.ended_at is None:
                    stage.ended_at = record.event_log_entry.timestamp
                    ended.append(stage)
            if not connection.has_more:
                return ended

    def _apply(self, entry: Any) -> Stage | None:
        event = entry.dagster_event
        stage = self.stage_of(event.step_key) if event is not None else None
        if stage is None:
            return None
        kind = event.event_type_value
        if kind == "STEP_START" and stage.started_at is None:
            stage.started_at = entry.timestamp
        elif kind in _ENDED:
            stage.ended_steps.add(event.step_key)
            if kind == "STEP_SUCCESS":
                stage.succeeded_steps.add(event.step_key)
            if stage.name != "dbt build":
                stage.units_done = len(stage.ended_steps)
            stage.skipped = stage.skipped or kind == "STEP_SKIPPED"
            if kind == "STEP_FAILURE":
                error = event.step_failure_data.error
                stage.failures.append(f"step {event.step_key}: {error.message.strip()}")
            if stage.started_at is None:
                stage.started_at = entry.timestamp
        elif kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            metadata = materialization.metadata
            # A run over N days records each asset N times (one per partition), each with the
            # run's totals: count an asset's rows once.
            key = materialization.asset_key.to_user_string()
            rows = _metadata_int(metadata, "rows_total") or _metadata_int(metadata, "total_rows")
            stage.rows_by_asset[key] = rows
            stage.rejects_by_asset[key] = _metadata_int(metadata, "rejects_total")
            if stage.name == "dbt build":
                stage.units_done = len(stage.rows_by_asset)
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if evaluation.passed:
                stage.checks_passed += 1
            else:
                where = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
                text = f"{where}: {(evaluation.description or '').strip()}"
                if evaluation.severity == dg.AssetCheckSeverity.WARN:
                    stage.checks_warned.append(text)
                else:
                    stage.checks_failed.append(text)
        return stage


def find_run(
    instance: dg.DagsterInstance, created_after: float, timeout: float, alive: Callable[[], bool]
) -> DagsterRun | None:
    """The first run created after `created_after`, waiting while the launcher is alive."""
    from datetime import UTC, datetime

    after = datetime.fromtimestamp(created_after, UTC)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = instance.get_runs(RunsFilter(created_after=after), limit=1)
        if runs and runs[0].execution_plan_snapshot_id:
            return runs[0]
        if not alive():
            return None
        time.sleep(0.5)
    return None


def _elapsed(stage: Stage) -> str:
    if stage.started_at is None or stage.ended_at is None:
        return ""
    seconds = max(0.0, stage.ended_at - stage.started_at)
    return f"{seconds:5.0f}s" if seconds < 600 else f"{seconds / 60:5.1f}m"


def stage_line(stage: Stage) -> str:
    if stage.failures or stage.checks_failed:
        mark = "x"
    elif stage.skipped:
        mark = "-"
    else:
        mark = "!" if stage.checks_warned else "v"
    return f"  {mark} {stage.name:<15}{stage.summary():<52}{_elapsed(stage)}"


def follow(
    follower: RunFollower, console: Console, alive: Callable[[], bool], poll_seconds: float = 0.5
) -> Iterator[Stage]:
    """Print each stage's line as it ends (with a live bar on a terminal) until the run ends."""
    progress = Progress(
        TextColumn("  {task.description:<17}"),
        BarColumn(bar_width=30),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    tasks: dict[str, TaskID] = {}
    with progress:
        while True:
            running = alive()
            for stage in follower.poll():
                if stage.name in tasks:
                    progress.remove_task(tasks.pop(stage.name))
                progress.console.print(stage_line(stage))
                yield stage
            for stage in follower.stages:
                if stage.started_at is not None and stage.ended_at is None:
                    if stage.name not in tasks:
                        tasks[stage.name] = progress.add_task(stage.name, total=stage.units_total)
                    progress.update(tasks[stage.name], completed=stage.units_done)
            if not running:
                return
            time.sleep(poll_seconds)
