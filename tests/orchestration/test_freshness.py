"""Freshness checks: yesterday's partition must be there once the deadline hour has passed."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from pytest_httpserver import HTTPServer

from orchestration import freshness
from orchestration.freshness import CHECK_NAME, PUBLISHED_MARTS, required_partition

PARIS = ZoneInfo("Europe/Paris")
SHOP_ORDERS = dg.AssetKey(["landing", "shop_orders"])


def test_yesterday_is_required_once_the_deadline_hour_has_passed() -> None:
    assert required_partition(datetime(2026, 12, 2, 8, 59, tzinfo=PARIS), "Europe/Paris", 9) == (
        date(2026, 11, 30)
    )
    assert required_partition(datetime(2026, 12, 2, 9, 0, tzinfo=PARIS), "Europe/Paris", 9) == (
        date(2026, 12, 1)
    )


def test_deadline_hour_must_be_an_hour() -> None:
    assert freshness.deadline_hour({"FRESHNESS_DEADLINE_HOUR": "7"}) == 7
    with pytest.raises(ValueError, match="FRESHNESS_DEADLINE_HOUR=24"):
        freshness.deadline_hour({"FRESHNESS_DEADLINE_HOUR": "24"})


def _materialize(instance: dg.DagsterInstance, key: dg.AssetKey, day: date) -> None:
    instance.report_runless_asset_event(
        dg.AssetMaterialization(asset_key=key, partition=day.isoformat())
    )


def _latest_check(instance: dg.DagsterInstance, key: dg.AssetKey) -> dg.AssetCheckEvaluation:
    records = instance.get_records_for_run(
        run_id="", of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    evaluations = [
        r.event_log_entry.dagster_event.event_specific_data
        for r in records
        if r.event_log_entry.dagster_event.event_specific_data.asset_key == key
    ]
    return evaluations[-1]


def test_a_publication_two_days_old_fails_its_freshness_check_and_alerts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer
) -> None:
    today = datetime.now(PARIS).date()
    monkeypatch.setenv("FRESHNESS_DEADLINE_HOUR", "0")  # the deadline has passed: D-1 is due
    monkeypatch.setenv("ALERT_WEBHOOK_URL", httpserver.url_for("/hook"))
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("ok")
    sensor = freshness.freshness_sensor([PUBLISHED_MARTS, SHOP_ORDERS])
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        _materialize(instance, PUBLISHED_MARTS, today - timedelta(days=3))
        _materialize(instance, SHOP_ORDERS, today - timedelta(days=1))
        context = dg.build_sensor_context(instance=instance)
        result = sensor(context)

        stale = _latest_check(instance, PUBLISHED_MARTS)
        assert (stale.check_name, stale.passed) == (CHECK_NAME, False)
        assert stale.metadata["required_partition"].value == (today - timedelta(days=1)).isoformat()
        assert stale.metadata["latest_partition"].value == (today - timedelta(days=3)).isoformat()
        assert _latest_check(instance, SHOP_ORDERS).passed is True
        assert "stale: published_marts" in result.skip_message
        assert json.loads(context.cursor) == {"landing/shop_orders": True, "published_marts": False}
        (request, _), *_ = httpserver.log
        assert request.get_json()["text"].startswith("Stale data: `published_marts`: partition")

        # The publication catches up: the next evaluation records the check passing again.
        _materialize(instance, PUBLISHED_MARTS, today - timedelta(days=1))
        sensor(dg.build_sensor_context(instance=instance, cursor=context.cursor))
        assert _latest_check(instance, PUBLISHED_MARTS).passed is True
    assert len(httpserver.log) == 1  # an asset turning fresh again sends no alert


def test_a_run_without_the_extracts_evaluates_only_the_selected_freshness_checks(
    tmp_path: Path,
) -> None:
    """Re-transforming without extracting (`--select 'not key:"landing/*"'`) must plan a job."""

    @dg.asset(key=PUBLISHED_MARTS, partitions_def=dg.DailyPartitionsDefinition("2026-11-01"))
    def published_marts() -> None:
        """Stands in for the publication: only its key and partitions matter to the checks."""

    checks = freshness.freshness_checks([PUBLISHED_MARTS, SHOP_ORDERS])
    job = dg.define_asset_job(
        "without_extracts", selection=dg.AssetSelection.assets(PUBLISHED_MARTS)
    )
    definitions = dg.Definitions(assets=[published_marts], asset_checks=[checks], jobs=[job])
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        result = definitions.resolve_job_def("without_extracts").execute_in_process(
            instance=instance, partition_key="2026-11-30"
        )
    evaluated = [e.asset_key for e in result.get_asset_check_evaluations()]
    assert evaluated == [PUBLISHED_MARTS]
