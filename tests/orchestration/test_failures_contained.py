"""Failures stay contained: a crashed run, concurrent runs, an interrupted demo.

Each test runs the real `dagster` CLI (what `make demo` runs) as separate processes on one tmp
warehouse and one instance, on the bundled simulator, one shop day per run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import psutil
import pytest

from orchestration.demo import launch_command
from orchestration.instance import prepare_dagster_home
from orchestration.lib.partitions import daily_partitions

REPO_ROOT = Path(__file__).resolve().parents[2]
#: A one-day pipeline run takes 3 to 17 minutes depending on the machine's load (17 on two busy
#: cores); a run blocked by a crashed one never ends, and two concurrent runs take two runs' time.
RUN_TIMEOUT_SECONDS = 3600


def shop_day(days_ago: int) -> date:
    return datetime.now(ZoneInfo(daily_partitions.timezone)).date() - timedelta(days=days_ago)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(1)


def run_env(warehouse: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env["WAREHOUSE_DIR"] = str(warehouse)
    env["DAGSTER_HOME"] = str(prepare_dagster_home(warehouse))
    env["PYTHONPATH"] = str(REPO_ROOT)
    return env


def demo(day: date, env: dict[str, str], log: Path) -> subprocess.Popen:
    """`python -m orchestration.demo` for one day (the start-of-run check, then the CLI)."""
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "orchestration.demo", "--start", str(day), "--end", str(day)],
            env=env,
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def step_started(instance: dg.DagsterInstance, step_key: str) -> str | None:
    """The id of a run that started `step_key`, if any."""
    for run in instance.get_runs():
        records = instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.STEP_START
        ).records
        if any(r.event_log_entry.step_key == step_key for r in records):
            return run.run_id
    return None


def dbt_running(cli_pid: int) -> bool:
    """Whether the CLI's dbt process is up (only its descendants: other dbt builds may run)."""
    return any(
        "dbt" in " ".join(child.cmdline()) and "build" in child.cmdline()
        for child in psutil.Process(cli_pid).children(recursive=True)
    )


@pytest.mark.slow
def test_kill_9_during_dbt_then_the_next_run_finishes(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    env = run_env(warehouse)
    killed_day, next_day = shop_day(3), shop_day(2)
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        crashed = subprocess.Popen(
            launch_command(killed_day, killed_day),
            env=env,
            cwd=REPO_ROOT,
            start_new_session=True,  # the CLI, dbt and the check processes: one group
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: step_started(instance, "dbt_models"), RUN_TIMEOUT_SECONDS, "dbt")
        wait_for(lambda: dbt_running(crashed.pid), 120, "the dbt process")
        os.killpg(crashed.pid, signal.SIGKILL)
        crashed.wait()
        killed_run = step_started(instance, "dbt_models")
        assert instance.get_run_by_id(killed_run).status == dg.DagsterRunStatus.STARTED

        started = time.monotonic()
        next_run = demo(next_day, env, tmp_path / "next_run.log")
        returncode = next_run.wait(RUN_TIMEOUT_SECONDS)
        elapsed = time.monotonic() - started
        log = (tmp_path / "next_run.log").read_text()
        assert returncode == 0, log[-3000:]
        assert instance.get_run_by_id(killed_run).status == dg.DagsterRunStatus.FAILURE
        assert "Step blocked by limit" not in log
        print(f"run after the crash: {elapsed:.0f} s")


@pytest.mark.slow
def test_two_concurrent_runs_for_different_days_both_succeed(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    env = run_env(warehouse)
    days = [shop_day(3), shop_day(2)]
    runs = [demo(day, env, tmp_path / f"run_{day}.log") for day in days]
    codes = [run.wait(RUN_TIMEOUT_SECONDS) for run in runs]
    # What each demo printed, and the Dagster logs the demos write under the warehouse.
    logs = [(tmp_path / f"run_{day}.log").read_text() for day in days]
    logs += [path.read_text() for path in sorted((warehouse / "logs").glob("demo-*.log"))]
    assert codes == [0, 0], [log[-3000:] for log in logs]
    # The second run to reach dbt waited for the first one's build, it did not fail on it.
    assert any("the build database belongs to run" in log for log in logs), "no run waited"
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        statuses = [run.status for run in instance.get_runs()]
    assert statuses == [dg.DagsterRunStatus.SUCCESS] * 2


@pytest.mark.slow
def test_terminating_the_demo_stops_every_process_it_started(tmp_path: Path) -> None:
    env = run_env(tmp_path / "warehouse")
    process = demo(shop_day(2), env, tmp_path / "demo.log")
    demo_process = psutil.Process(process.pid)

    def dagster_started() -> bool:
        return any("launch" in c.cmdline() for c in demo_process.children())

    wait_for(dagster_started, 300, "the dg launch CLI")
    time.sleep(5)  # into the run: the CLI starts the in-process simulator and the extracts
    descendants = demo_process.children(recursive=True)
    process.send_signal(signal.SIGTERM)
    process.wait(120)
    gone, alive = psutil.wait_procs(descendants, timeout=60)
    assert alive == [], [" ".join(p.cmdline()) for p in alive]
    assert gone
