"""Real extract assets against the bundled simulator, on a fixed clock.

For the tests that need real simulated data rather than hand-written landing files: a simulator
(with the faults a test asks for) on loopback, the environment pointed at it, and the extract
assets materialised by Dagster over a range of days, the way a backfill does it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from orchestration.demo import DemoPipelineResource
from orchestration.lib.paths import warehouse_dir
from orchestration.lib.settings import SOURCE_ENV
from orchestration.sources.ga4.extract import ga4_sessions
from orchestration.sources.google_ads.extract import google_ads
from orchestration.sources.meta_ads.extract import meta_ads
from orchestration.sources.rfid.extract import rfid_counts
from orchestration.sources.shop.catalog import shop_catalog
from orchestration.sources.shop.orders import shop_orders
from orchestration.sources.zendesk.extract import zendesk_tickets
from simulator import SimulatorConfig, SimulatorServer
from tests.dbt_runner import run_dbt

#: The seven extract assets, imported from their modules rather than from
#: `orchestration.definitions`, which would also load (and maybe re-parse) the dbt manifest.
EXTRACT_ASSETS = (
    shop_orders,
    shop_catalog,
    google_ads,
    meta_ads,
    rfid_counts,
    zendesk_tickets,
    ga4_sessions,
)
#: The extracts the KPI mart reads (RFID counts are not upstream of it).
MART_EXTRACTS = tuple(a for a in EXTRACT_ASSETS if a.key != dg.AssetKey(["landing", "rfid_counts"]))

SHOP_TIMEZONE = "Europe/Paris"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
#: What a test's environment must not inherit from the shell: they change what is published.
PUBLICATION_VARS = ("PUBLISH_POSTGRES_DSN", "MAX_REJECT_RATE", "MIN_VOLUME_RATIO", "DBT_TARGET")
#: Millisecond retry sleeps: a simulator on loopback has nothing to wait for. The code location's
#: resource: live sources when every URL is set, the in-process simulator when none is.
FAST_PIPELINE = DemoPipelineResource(
    max_retries=3, backoff_factor=0.01, backoff_max=0.05, retry_after_max=2
)


def morning_after(day: date) -> datetime:
    """06:00 shop time on day + 1, in UTC: when the daily schedule runs partition `day`."""
    local = datetime.combine(day + timedelta(days=1), time(6), tzinfo=ZoneInfo(SHOP_TIMEZONE))
    return local.astimezone(UTC)


def simulator_config(now: datetime, **settings: object) -> SimulatorConfig:
    """The demo retailer on a fixed clock, with Shopify's cost bucket lifted (the tests measure
    the pipeline, not a simulated quota)."""
    return SimulatorConfig(
        now=now,
        timezone=SHOP_TIMEZONE,
        shop_bucket_size=1e9,
        shop_restore_rate=1e9,
        **settings,  # type: ignore[arg-type]
    )


@contextmanager
def serving(config: SimulatorConfig, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatorServer]:
    """A simulator on 127.0.0.1, every source variable of the environment pointing at it."""
    for spec in SOURCE_ENV.values():
        for var in (spec.url_var, *spec.credential_vars):
            monkeypatch.delenv(var, raising=False)
    server = SimulatorServer(config).start()
    try:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        yield server
    finally:
        server.stop()


def land(assets: Sequence[dg.AssetsDefinition], first: date, last: date) -> None:
    """Materialise the extract assets over [first, last] in one run (single-run backfill)."""
    result = dg.materialize(
        assets,
        instance=dg.DagsterInstance.ephemeral(),
        resources={"pipeline": FAST_PIPELINE},
        tags={RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()},
        raise_on_error=False,
    )
    assert result.success, [event.message for event in result.all_events if event.is_failure]


def use_warehouse(monkeypatch: pytest.MonkeyPatch, warehouse: Path) -> None:
    """`warehouse` as WAREHOUSE_DIR, and none of PUBLICATION_VARS set."""
    monkeypatch.setenv("WAREHOUSE_DIR", str(warehouse))
    for var in PUBLICATION_VARS:
        monkeypatch.delenv(var, raising=False)


def build_kpi_models(
    first: str, last: str, dbt_args: Sequence[str] = (), env: dict[str, str] | None = None
) -> None:
    """The real dbt models up to mart_kpi_daily (seeds and models, no data tests) over the
    partition window [first, last], in the current WAREHOUSE_DIR.

    What the publication tests run as a stand-in for the `dbt_models` multi-asset: dagster-dbt's
    subset build of the same models, with its data tests and row-count/column metadata queries,
    takes over a minute per run on two cores, against ~10 s here.
    """
    run_dbt(
        [
            "build",
            *dbt_args,
            "--select",
            "+mart_kpi_daily",
            "--resource-type",
            "seed",
            "--resource-type",
            "model",
        ],
        warehouse_dir(),
        dbt_vars={"partition_start": first, "partition_end": last},
        env=env,
    )


def published_bytes(warehouse: Path) -> dict[str, bytes]:
    """Every published file's bytes, by its path under `published/`."""
    published = warehouse / "published"
    return {str(p.relative_to(published)): p.read_bytes() for p in published.rglob("*.*")}
