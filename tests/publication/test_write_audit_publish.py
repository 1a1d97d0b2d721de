"""Write-audit-publish in Dagster: a failed blocking check keeps the previous publication.

The graph is real Dagster (the check factory, the publication factory, dg.materialize) around
stand-in extract and mart assets: the extract and dbt assets are built in parallel with this
code, and the gate must not depend on them to be proven.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.publication import build_published_marts_asset
from orchestration.quality import build_quality_checks
from tests.quality.landing_data import (
    LAST_DAY,
    build_kpi_daily_from_landing,
    write_shop_orders_history,
)

LANDING = dg.AssetKey(["landing", "shop_orders"])
MART = dg.AssetKey(["marts", "mart_kpi_daily"])


def _graph(warehouse: Path, scenario: str, with_landing_check: bool) -> list:
    """Stand-in extract and mart, the real checks, the real publication asset."""

    @dg.asset(key=LANDING)
    def shop_orders() -> None:
        if scenario == "good":
            write_shop_orders_history(warehouse)
            return
        bad_day = LAST_DAY + timedelta(days=1)
        write_shop_orders_history(
            warehouse,
            last_day=bad_day,
            bad_price_day=bad_day if scenario == "negative_prices" else None,
            low_volume_day=bad_day if scenario == "low_volume" else None,
        )

    @dg.asset(key=MART, deps=[LANDING])
    def mart_kpi_daily() -> None:
        build_kpi_daily_from_landing(warehouse)

    guarded = [MART, LANDING] if with_landing_check else [MART]
    return [
        shop_orders,
        mart_kpi_daily,
        *build_quality_checks(asset_keys=guarded),
        build_published_marts_asset([MART]),
    ]


def _materialize(warehouse: Path, scenario: str, with_landing_check: bool = True):
    return dg.materialize(
        _graph(warehouse, scenario, with_landing_check),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def _published_bytes(warehouse: Path) -> dict[str, bytes]:
    published = warehouse / "published"
    return {str(p.relative_to(published)): p.read_bytes() for p in published.rglob("*.*")}


@pytest.mark.parametrize(
    ("scenario", "with_landing_check", "failing_check", "expectation", "observed"),
    [
        (
            "negative_prices",
            True,
            "ge_shop_orders",
            "expect_column_values_to_be_between(original_unit_price)",
            "-12.5",
        ),
        (
            "low_volume",
            False,
            "ge_mart_kpi_daily",
            "expect_column_values_to_be_between(volume_ratio)",
            "0.05",
        ),
    ],
)
def test_bad_data_blocks_publication(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    scenario: str,
    with_landing_check: bool,
    failing_check: str,
    expectation: str,
    observed: str,
) -> None:
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path))
    for var in ("PUBLISH_POSTGRES_DSN", "MAX_REJECT_RATE", "SHOP_URL"):
        monkeypatch.delenv(var, raising=False)

    good = _materialize(tmp_path, "good", with_landing_check)
    assert good.success
    assert dg.AssetKey("published_marts") in {
        e.asset_key for e in good.get_asset_materialization_events()
    }
    with duckdb.connect(str(tmp_path / "published" / "marts.duckdb"), read_only=True) as con:
        checks = json.loads(con.execute("select checks from publication_log").fetchone()[0])
        assert con.execute("select distinct _source_mode from mart_kpi_daily").fetchall() == [
            ("demo",)
        ]
    assert checks["marts/mart_kpi_daily:ge_mart_kpi_daily"] == "passed"
    before = _published_bytes(tmp_path)
    assert "marts.duckdb" in before and "parquet/mart_kpi_daily.parquet" in before

    bad = _materialize(tmp_path, scenario, with_landing_check)

    assert not bad.success
    failed = [e for e in bad.get_asset_check_evaluations() if not e.passed]
    assert [e.check_name for e in failed] == [failing_check]
    assert failed[0].severity == dg.AssetCheckSeverity.ERROR
    assert expectation in failed[0].description
    assert observed in failed[0].description
    assert "data_docs" in failed[0].metadata
    materialized = {e.asset_key for e in bad.get_asset_materialization_events()}
    assert dg.AssetKey("published_marts") not in materialized
    started = {e.step_key for e in bad.all_events if e.event_type == dg.DagsterEventType.STEP_START}
    assert "published_marts" not in started
    assert _published_bytes(tmp_path) == before
