"""Crashed runs: find the runs whose process died, mark them failed, free their pool slots.

A run killed hard (`kill -9`, out-of-memory killer, a reboot) writes no end event: its record
stays STARTED, and the concurrency slots its steps held (pool `landing`, the publication's pool)
stay claimed, so the next run's step waits on "Step blocked by limit for pool ..." for ever.
Marking the run failed does not give the slots back either: Dagster frees the slots of finished
runs only from its daemon (`free_slots_after_run_end_seconds`, dagster.yaml).

`recover_dead_runs` is the start-of-run check: every run this project starts goes through it
first (`make demo` and `python -m orchestration.demo` before the `dagster` CLI, the daemon through
the `dead_run_recovery` sensor, a dbt step waiting for the build, orchestration/build_lease.py),
and an operator running `dagster asset materialize` by hand runs `python -m orchestration.recovery`
first. A run is dead when the process that started it (the pid of its RUN_START event: the
`dagster` CLI or the run worker) no longer exists, or is another process reusing its pid. Such a
run is reported failed (`report_run_failed`, which also fires the run-failure alert) and its
slots are freed (`free_concurrency_slots_for_run`); so are the slots still held by runs that are
already finished (e.g. marked failed in the UI).

PIDs only mean something on the machine that wrote them, so runs are checked only when the run
storage is the instance's SQLite file (local runs: `make dev`, the demo, tests). With shared
Postgres storage the runs start elsewhere; there Dagster's run monitoring needs a run launcher
that checks its workers' health (Docker, Kubernetes): see docs/operations.md.

    DAGSTER_HOME=... python -m orchestration.recovery
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import dagster as dg
import psutil
from dagster._core.storage.runs import SqliteRunStorage  # no public name for the storage kind

_LOG = logging.getLogger(__name__)
#: A process created this long after its run started is another one that reused the pid.
_PID_REUSE_MARGIN_SECONDS = 1.0
_FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]


def run_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid of the process that started the run (its RUN_START event), None before that."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.RUN_START, limit=1
    ).records
    event = records[0].event_log_entry.dagster_event if records else None
    return event.pid if event else None


def process_alive(pid: int, started_at: float) -> bool:
    """Whether `pid` is still the process that started a run at `started_at` (epoch seconds)."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return process.create_time() <= started_at + _PID_REUSE_MARGIN_SECONDS
    except psutil.NoSuchProcess:
        return False


def is_dead(instance: dg.DagsterInstance, record: dg.RunRecord) -> bool:
    """An in-progress run whose starting process is gone (False when that cannot be known)."""
    if not isinstance(instance.run_storage, SqliteRunStorage):
        return False
    pid = run_pid(instance, record.dagster_run.run_id)
    started_at = record.start_time or record.create_timestamp.timestamp()
    return pid is not None and not process_alive(pid, started_at)


def fail_dead_run(instance: dg.DagsterInstance, record: dg.RunRecord) -> None:
    """Report the run failed and give back every concurrency slot it held or waited for."""
    run = record.dagster_run
    pid = run_pid(instance, run.run_id)
    instance.report_run_failed(
        run,
        f"The process of this run (pid {pid}) is gone: it was killed or crashed before it could "
        "end the run. Marked failed by the start-of-run check; its concurrency slots are freed.",
    )
    instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)


def recover_dead_runs(
    instance: dg.DagsterInstance, log: Callable[[str], None] = _LOG.warning
) -> list[str]:
    """Fail the dead in-progress runs, free their slots and those of finished runs; their ids."""
    in_progress = instance.get_run_records(
        dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING])
    )
    dead = [record for record in in_progress if is_dead(instance, record)]
    for record in dead:
        log(f"run {record.dagster_run.run_id} has no process any more: marking it failed")
        fail_dead_run(instance, record)
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        holders = storage.get_concurrency_run_ids()
        finished = (
            instance.get_run_records(dg.RunsFilter(run_ids=list(holders), statuses=_FINISHED))
            if holders
            else []
        )
        for record in finished:
            run_id = record.dagster_run.run_id
            log(f"freeing the concurrency slots still held by finished run {run_id}")
            storage.free_concurrency_slots_for_run(run_id)
    return [record.dagster_run.run_id for record in dead]


@dg.sensor(
    name="dead_run_recovery",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks failed the runs whose process died (kill -9, out of memory) and frees "
    "the concurrency slots they held, so the next runs are not blocked (orchestration/recovery).",
)
def dead_run_recovery(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    recovered = recover_dead_runs(context.instance, context.log.warning)
    return dg.SkipReason(f"recovered {len(recovered)} dead run(s): {recovered}")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with dg.DagsterInstance.get() as instance:
        recovered = recover_dead_runs(instance)
    print(f"{len(recovered)} dead run(s) marked failed: {', '.join(recovered) or 'none'}")


if __name__ == "__main__":
    main()
