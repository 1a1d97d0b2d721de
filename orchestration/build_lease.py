"""The build lease: one run at a time owns the build database, from its dbt build to its end.

Why not only a Dagster pool: pool slots are claimed per step. With the `duckdb` pool on dbt and on
the publication, run B's dbt could take the slot between run A's dbt and A's mart checks or
publication: A would then validate one build and publish another, and A's checks, reading the
database outside the pool, failed on B's dbt write lock. The lease closes that gap: every step
that opens the build database (dbt, the mart checks, the publication) first takes the lease for
its run, waiting while another live run holds it. The lease is the run's until that run is
finished, so its checks and its publication see exactly the build its dbt made.

The lease is a small file under the warehouse (`build/build.lease`, the owner's run id), read and
written under an exclusive file lock. A waiting step takes it over when the owner's run is
finished (success, failure, cancel: no release step to forget), unknown to this instance, or dead:
a run killed with `kill -9` is detected here (orchestration/recovery.py), marked failed and its
slots freed, so a crash never blocks the next run.

Those steps are in no pool: a step waiting for the lease while holding a pool slot the owner still
needs for a later step would wait for ever.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from orchestration.lib.paths import WarehouseLayout
from orchestration.recovery import fail_dead_run, is_dead

POLL_SECONDS = 2.0


def lease_path(warehouse: Path) -> Path:
    return WarehouseLayout(warehouse).build_lease


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Exclusive across processes while the lease is read and written (released if one dies)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_suffix(".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def lease_owner(warehouse: Path) -> str | None:
    """The run id holding the lease, None when no run ever took it."""
    path = lease_path(warehouse)
    return path.read_text().strip() or None if path.exists() else None


def _owner_gone(instance: dg.DagsterInstance, owner: str, log: Callable[[str], None]) -> bool:
    """Whether the owner run no longer needs the build: finished, unknown, or dead (then failed)."""
    record = instance.get_run_record_by_id(owner)
    if record is None or record.dagster_run.is_finished:
        return True
    if is_dead(instance, record):
        log(f"run {owner} holds the build but its process is gone: marking it failed")
        fail_dead_run(instance, record)
        return True
    return False


def try_take(
    instance: dg.DagsterInstance, warehouse: Path, run_id: str, log: Callable[[str], None]
) -> str | None:
    """Take the lease for `run_id` if free; else the live run holding it."""
    path = lease_path(warehouse)
    with _locked(path):
        owner = lease_owner(warehouse)
        if owner not in (None, run_id) and not _owner_gone(instance, owner, log):
            return owner
        if owner != run_id:
            path.write_text(run_id)
        return None


def hold_build(
    instance: dg.DagsterInstance,
    warehouse: Path,
    run_id: str,
    log: Callable[[str], None],
    poll_seconds: float = POLL_SECONDS,
) -> None:
    """Return once `run_id` holds the build lease, waiting (and saying for whom) until then."""
    waited_for = None
    started = time.monotonic()
    while (owner := try_take(instance, warehouse, run_id, log)) is not None:
        if owner != waited_for:
            log(f"the build database belongs to run {owner} until it ends: waiting")
            waited_for = owner
        time.sleep(poll_seconds)
    if waited_for:
        log(f"build lease taken after waiting {time.monotonic() - started:.0f}s")
