"""Freshness: is yesterday's partition of the extracts and of the publication there by the deadline?

The daily run publishes yesterday's shop day at about 06:00. If it did not run, or its
publication was blocked, BI still reads the previous marts and nothing else says so: these checks
fail once the deadline hour has passed (`FRESHNESS_DEADLINE_HOUR`, shop time, default 9) without
yesterday's partition materialised. Before the deadline the day before yesterday must be there.

They are ordinary Dagster asset checks (one per monitored asset, shown on its asset page) and run
at the end of every pipeline run; between runs the `freshness_sensor` (running under `dg dev` and
the daemon) evaluates them every 15 minutes, records the result on the asset pages and sends a
failure to the same alert as failed runs.
"""

# No `from __future__ import annotations`: Dagster inspects the `context` annotations.
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.lib.partitions import daily_partitions
from orchestration.lib.settings import load_settings
from orchestration.sensors import scrub_secrets, send_alert

CHECK_NAME = "freshness"
PUBLISHED_MARTS = dg.AssetKey("published_marts")


@dataclass(frozen=True)
class Freshness:
    """The freshness of one asset at one moment."""

    asset_key: dg.AssetKey
    required_partition: date
    latest_partition: date | None

    @property
    def passed(self) -> bool:
        return (
            self.latest_partition is not None and self.latest_partition >= self.required_partition
        )

    def description(self) -> str:
        latest = self.latest_partition.isoformat() if self.latest_partition else "none"
        if self.passed:
            return f"partition {self.required_partition} is there (latest {latest})"
        return (
            f"partition {self.required_partition} is missing past the deadline "
            f"(latest materialised: {latest})"
        )

    def evaluation(self) -> dg.AssetCheckEvaluation:
        return dg.AssetCheckEvaluation(
            asset_key=self.asset_key,
            check_name=CHECK_NAME,
            passed=self.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=self.description(),
            metadata={
                "required_partition": self.required_partition.isoformat(),
                "latest_partition": str(self.latest_partition or ""),
            },
        )


def deadline_hour(env: Mapping[str, str] | None = None) -> int:
    """`FRESHNESS_DEADLINE_HOUR` (0-23, shop time), default 9."""
    return load_settings(env).freshness_deadline_hour


def required_partition(now: datetime, timezone: str, hour: int) -> date:
    """Yesterday once the deadline hour has passed in the shop's time zone, else the day before."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.date() - timedelta(days=1 if local.hour >= hour else 2)


def latest_partition(instance: dg.DagsterInstance, key: dg.AssetKey) -> date | None:
    keys = instance.get_materialized_partitions(key)
    return max((date.fromisoformat(k) for k in keys), default=None)


def evaluate(
    instance: dg.DagsterInstance, keys: Iterable[dg.AssetKey], now: datetime
) -> list[Freshness]:
    required = required_partition(now, daily_partitions.timezone, deadline_hour())
    return [Freshness(key, required, latest_partition(instance, key)) for key in keys]


def freshness_checks(monitored: Iterable[dg.AssetKey]) -> dg.AssetChecksDefinition:
    """One `freshness` check per monitored asset, evaluated together."""
    keys = list(monitored)

    @dg.multi_asset_check(
        specs=[
            dg.AssetCheckSpec(
                CHECK_NAME,
                asset=key,
                description=(
                    "Yesterday's partition is materialised by FRESHNESS_DEADLINE_HOUR "
                    "(shop time, default 9)."
                ),
            )
            for key in keys
        ],
        name="freshness_checks",
        can_subset=True,
    )
    def _freshness(context: dg.AssetCheckExecutionContext) -> Iterable[dg.AssetCheckResult]:
        # a run that selects some assets (say, everything but the extracts) gets their checks only
        selected = {check.asset_key for check in context.selected_asset_check_keys}
        now = datetime.now(ZoneInfo(daily_partitions.timezone))
        for result in evaluate(context.instance, [key for key in keys if key in selected], now):
            evaluation = result.evaluation()
            yield dg.AssetCheckResult(
                asset_key=result.asset_key,
                check_name=CHECK_NAME,
                passed=evaluation.passed,
                severity=evaluation.severity,
                description=evaluation.description,
                metadata=evaluation.metadata,
            )

    return _freshness


def freshness_sensor(monitored: Iterable[dg.AssetKey]) -> dg.SensorDefinition:
    """Evaluates the freshness checks between runs; alerts when an asset turns stale."""
    keys = list(monitored)

    @dg.sensor(
        name="freshness_sensor",
        minimum_interval_seconds=15 * 60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Every 15 minutes: is yesterday's partition there past the deadline hour?",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        now = datetime.now(ZoneInfo(daily_partitions.timezone))
        previous = json.loads(context.cursor) if context.cursor else {}
        current = {}
        for result in evaluate(context.instance, keys, now):
            name = result.asset_key.to_user_string()
            current[name] = result.passed
            if previous.get(name) != result.passed:
                context.instance.report_runless_asset_event(result.evaluation())
            if not result.passed and previous.get(name, True):
                text = scrub_secrets(f"Stale data: `{name}`: {result.description()}")
                send_alert({"text": text, "asset": name, "check": CHECK_NAME}, context.log)
        context.update_cursor(json.dumps(current, sort_keys=True))
        stale = sorted(name for name, passed in current.items() if not passed)
        return dg.SkipReason(f"stale: {', '.join(stale)}" if stale else "every asset is fresh")

    return _sensor
