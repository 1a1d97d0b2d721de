"""A daily run with nothing new skips the build; any change of what the build reads builds.

The daily job of the code location, launched for one partition as the schedule launches it, in
process against the bundled simulator on a fixed clock, with a real instance, dbt and DuckDB.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from orchestration.dbt.assets import BUILD_SKIPPED_TAG
from orchestration.definitions import defs
from tests.simulator_runs import (
    EXTRACT_ASSETS,
    morning_after,
    published_bytes,
    serving,
    simulator_config,
    use_warehouse,
)

pytestmark = pytest.mark.slow

DAY = date(2026, 3, 2)
KPI = dg.AssetKey(["marts", "mart_kpi_daily"])


def _run(
    instance: dg.DagsterInstance, selection: list[dg.AssetKey] | None = None
) -> dg.ExecuteInProcessResult:
    result = defs.resolve_job_def("daily_pipeline").execute_in_process(
        instance=instance,
        partition_key=DAY.isoformat(),
        asset_selection=selection,
        raise_on_error=False,
    )
    assert result.success, [event.message for event in result.all_events if event.is_failure]
    return result


def _steps(result: dg.ExecuteInProcessResult, kind: dg.DagsterEventType) -> set[str]:
    return {str(e.step_key) for e in result.all_events if e.event_type == kind}


def _skip_notes(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    """The `build_skipped` note of each asset observed in the run."""
    notes = {}
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_OBSERVATION:
            observation = event.event_specific_data.asset_observation  # type: ignore[union-attr]
            notes[observation.asset_key.to_user_string()] = observation.metadata[
                "build_skipped"
            ].value
    return notes


def _computed_by(result: dg.ExecuteInProcessResult) -> dict[str, str | None]:
    """Each landing suite's check evaluated in the run -> the run whose outcome it reported again
    (None: computed by this run)."""
    computed_by: dict[str, str | None] = {}
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data  # type: ignore[union-attr]
            if evaluation.asset_key.path[0] == "landing" and evaluation.check_name != "freshness":
                reused = evaluation.metadata.get("computed_by_run")
                computed_by[evaluation.check_name] = reused.value if reused else None
    return computed_by


def _add_a_session(warehouse: Path) -> None:
    """One more session on the first GA4 row of DAY, as a late correction at the source would."""
    path = warehouse / "landing" / "ga4" / "sessions" / f"date={DAY.isoformat()}" / "data.parquet"
    table = pq.read_table(path)
    sessions = table.column("sessions").to_pylist()
    sessions[0] += 1
    index = table.schema.get_field_index("sessions")
    table = table.set_column(index, table.schema.field(index), [sessions])
    pq.write_table(table, path)
    assert pc.sum(pq.read_table(path).column("sessions")).as_py() == sum(sessions)


def test_a_day_run_again_with_nothing_new_skips_the_build_and_a_changed_row_builds(
    _isolated_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = _isolated_warehouse
    use_warehouse(monkeypatch, warehouse)
    monkeypatch.delenv("FORCE_REBUILD", raising=False)
    with (
        serving(simulator_config(morning_after(DAY)), monkeypatch),
        dg.DagsterInstance.ephemeral() as instance,
    ):
        first = _run(instance)
        assert "published_marts" in _steps(first, dg.DagsterEventType.STEP_SUCCESS)
        published = published_bytes(warehouse)

        second = _run(instance)
        # The extracts ran again; dbt's step decided, and the steps after it were skipped.
        succeeded = _steps(second, dg.DagsterEventType.STEP_SUCCESS)
        assert {"dbt_models", "landing__shop_orders"} <= succeeded, succeeded
        skipped = _steps(second, dg.DagsterEventType.STEP_SKIPPED)
        assert {"published_marts", "ge_marts"} <= skipped, skipped
        assert not any(
            e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
            and e.asset_key is not None
            and e.asset_key.path[0] == "marts"
            for e in second.all_events
        )
        reason = f"inputs unchanged since run {first.run_id}, whose publication stands"
        assert _skip_notes(second)[KPI.to_user_string()] == reason
        assert instance.get_run_by_id(second.run_id).tags[BUILD_SKIPPED_TAG] == first.run_id
        assert published_bytes(warehouse) == published
        # The landing checks' inputs did not change either: the first run's outcomes stand.
        assert set(_computed_by(first).values()) == {None}
        assert _computed_by(second) == dict.fromkeys(_computed_by(first), first.run_id)

        # A landing row changed (the run reads the landing as it is: no extract selected).
        _add_a_session(warehouse)
        no_extracts = [k for k in defs.resolve_all_asset_keys() if not _is_extract(k)]
        third = _run(instance, no_extracts)
        assert "published_marts" in _steps(third, dg.DagsterEventType.STEP_SUCCESS)
        assert BUILD_SKIPPED_TAG not in instance.get_run_by_id(third.run_id).tags
        assert published_bytes(warehouse) != published


def _is_extract(key: dg.AssetKey) -> bool:
    return any(key in asset.keys for asset in EXTRACT_ASSETS)
