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
from collections.abc import Callable
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


def holder_run(job_file: Path, env: dict[str, str], hold_seconds: float) -> subprocess.Popen:
    command = [str(Path(sys.executable).with_name("dagster")), "job", "execute"]
    return subprocess.Popen(
        [*command, "-f", str(job_file), "-j", "holder"],
        env={**env, "HOLD_SECONDS": str(hold_seconds)},
        start_new_session=True,  # its own process group, killed as a whole below
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def landing_claims(instance: dg.DagsterInstance) -> list[str]:
    info = instance.event_log_storage.get_concurrency_info("landing")
    return [slot.run_id for slot in info.claimed_slots]


@pytest.mark.slow
def test_a_killed_run_is_failed_and_its_pool_slot_freed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = prepare_dagster_home(tmp_path / "warehouse")
    job_file = tmp_path / "holder_job.py"
    job_file.write_text(HOLDER_JOB)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        crashed = holder_run(job_file, env, hold_seconds=600)
        wait_for(lambda: landing_claims(instance), RUN_TIMEOUT_SECONDS, "the op's pool slot")
        os.killpg(crashed.pid, signal.SIGKILL)
        crashed.wait()
        (run_id,) = landing_claims(instance)
        # What a crash leaves: the run still STARTED, its slot still claimed.
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED

        assert recover_dead_runs(instance) == [run_id]

        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
        assert landing_claims(instance) == []
        assert recover_dead_runs(instance) == []  # nothing left to recover
        started = time.monotonic()
        assert holder_run(job_file, env, hold_seconds=0).wait(RUN_TIMEOUT_SECONDS) == 0
        assert time.monotonic() - started < RUN_TIMEOUT_SECONDS


@pytest.mark.slow
def test_a_live_run_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = prepare_dagster_home(tmp_path / "warehouse")
    job_file = tmp_path / "holder_job.py"
    job_file.write_text(HOLDER_JOB)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        live = holder_run(job_file, env, hold_seconds=600)
        try:
            wait_for(lambda: landing_claims(instance), RUN_TIMEOUT_SECONDS, "the op's pool slot")
            assert recover_dead_runs(instance) == []
            (run_id,) = landing_claims(instance)
            assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED
        finally:
            os.killpg(live.pid, signal.SIGKILL)
            live.wait()


@pytest.mark.slow
def test_the_slots_of_a_run_marked_failed_by_hand_are_freed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Marking a crashed run failed (UI, `report_run_failed`) leaves its slot claimed."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = prepare_dagster_home(tmp_path / "warehouse")
    job_file = tmp_path / "holder_job.py"
    job_file.write_text(HOLDER_JOB)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        crashed = holder_run(job_file, env, hold_seconds=600)
        wait_for(lambda: landing_claims(instance), RUN_TIMEOUT_SECONDS, "the op's pool slot")
        os.killpg(crashed.pid, signal.SIGKILL)
        crashed.wait()
        (run_id,) = landing_claims(instance)
        instance.report_run_failed(instance.get_run_by_id(run_id))
        assert landing_claims(instance) == [run_id]

        assert recover_dead_runs(instance) == []  # no run in progress to fail

        assert landing_claims(instance) == []
