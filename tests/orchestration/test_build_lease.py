"""The build lease: a run keeps the build database from its dbt build to its end.

Real instance storage (a tmp SQLite instance) and real lease files; the runs are records, as a
launcher would write them, so the states a waiting step sees are set directly.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from orchestration.build_lease import hold_build, lease_owner, try_take


def add_run(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRun:
    return instance.add_run(
        dg.DagsterRun(job_name="daily_pipeline", run_id=run_id, status=dg.DagsterRunStatus.STARTED)
    )


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def test_a_live_owner_keeps_the_build_until_its_run_ends(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    first, second = add_run(instance, "run-a"), add_run(instance, "run-b")
    notes: list[str] = []
    assert try_take(instance, tmp_path, first.run_id, notes.append) is None
    assert try_take(instance, tmp_path, first.run_id, notes.append) is None  # its next steps
    assert try_take(instance, tmp_path, second.run_id, notes.append) == first.run_id
    assert lease_owner(tmp_path) == first.run_id

    instance.report_run_failed(first)  # e.g. a blocking check failed: the run ends

    assert try_take(instance, tmp_path, second.run_id, notes.append) is None
    assert lease_owner(tmp_path) == second.run_id
    assert notes == []  # nobody was dead


def test_an_owner_unknown_to_the_instance_does_not_block(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "build.lease").write_text("a-run-of-a-deleted-instance")
    run = add_run(instance, "run-c")
    hold_build(instance, tmp_path, run.run_id, print, poll_seconds=0.01)
    assert lease_owner(tmp_path) == run.run_id
