"""A run killed with SIGKILL while it holds a pool slot: found dead, failed, its slot freed.

Real Dagster processes on a real instance (SQLite under a tmp DAGSTER_HOME with the repository's
dagster.yaml): a one-op job in the `landing` pool stands for an extract, so the test takes seconds
instead of a pipeline run (the pipeline case is in test_failures_contained.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest

from orchestration.instance import prepare_dagster_home
from orchestration.recovery import recover_dead_runs

HOLDER_JOB = """
import os
import time

import dagster as dg


@dg.op(pool="landing")
def hold_landing() -> None:
    time.sleep(float(os.environ.get("HOLD_SECONDS", "0")))


@dg.job
def holder():
    hold_landing()
"""
RUN_TIMEOUT_SECONDS = 120


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


class Holders:
    """Holder runs on one real instance: the `dagster` CLI in its own process group each."""

    def __init__(self, instance: dg.DagsterInstance, job_file: Path, env: dict[str, str]) -> None:
        self.instance = instance
        self.job_file = job_file
        self.env = env

    def start(self, hold_seconds: float) -> subprocess.Popen:
        command = [str(Path(sys.executable).with_name("dagster")), "job", "execute"]
        return subprocess.Popen(
            [*command, "-f", str(self.job_file), "-j", "holder"],
            env={**self.env, "HOLD_SECONDS": str(hold_seconds)},
            start_new_session=True,  # its own process group, killed as a whole
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def landing_claims(self) -> list[str]:
        info = self.instance.event_log_storage.get_concurrency_info("landing")
        return [slot.run_id for slot in info.claimed_slots]

    def start_holding(self) -> subprocess.Popen:
        """A run that has claimed the `landing` slot and keeps it (for ten minutes)."""
        run = self.start(hold_seconds=600)
        try:
            wait_for(self.landing_claims, RUN_TIMEOUT_SECONDS, "the op's pool slot")
        except BaseException:
            os.killpg(run.pid, signal.SIGKILL)  # a run that never claimed must not outlive us
            run.wait()
            raise
        return run

    def crash(self) -> str:
        """A holding run killed with SIGKILL, as a crash leaves it; its run id."""
        crashed = self.start_holding()
        os.killpg(crashed.pid, signal.SIGKILL)
        crashed.wait()
        (run_id,) = self.landing_claims()
        return run_id


@pytest.fixture
def holders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Holders]:
    """A tmp DAGSTER_HOME with the repository's dagster.yaml, and the holder job's file."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = prepare_dagster_home(tmp_path / "warehouse")
    job_file = tmp_path / "holder_job.py"
    job_file.write_text(HOLDER_JOB)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield Holders(instance, job_file, env)


@pytest.mark.slow
def test_a_killed_run_is_failed_and_its_pool_slot_freed(holders: Holders) -> None:
    instance = holders.instance
    run_id = holders.crash()
    # What a crash leaves: the run still STARTED, its slot still claimed.
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED

    assert recover_dead_runs(instance) == [run_id]

    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
    assert holders.landing_claims() == []
    assert recover_dead_runs(instance) == []  # nothing left to recover
    started = time.monotonic()
    assert holders.start(hold_seconds=0).wait(RUN_TIMEOUT_SECONDS) == 0
    assert time.monotonic() - started < RUN_TIMEOUT_SECONDS


@pytest.mark.slow
def test_a_live_run_is_left_alone(holders: Holders) -> None:
    instance = holders.instance
    live = holders.start_holding()
    try:
        assert recover_dead_runs(instance) == []
        (run_id,) = holders.landing_claims()
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED
    finally:
        os.killpg(live.pid, signal.SIGKILL)
        live.wait()


@pytest.mark.slow
def test_the_slots_of_a_run_marked_failed_by_hand_are_freed(holders: Holders) -> None:
    """Marking a crashed run failed (UI, `report_run_failed`) leaves its slot claimed."""
    instance = holders.instance
    run_id = holders.crash()
    instance.report_run_failed(instance.get_run_by_id(run_id))
    assert holders.landing_claims() == [run_id]

    assert recover_dead_runs(instance) == []  # no run in progress to fail

    assert holders.landing_claims() == []
