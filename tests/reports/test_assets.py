"""The report assets materialise with dg.materialize against a published fixture.

`published_marts` belongs to the publication module; here a stand-in asset with the same key
writes the published fixture. Materialising it in the same call proves the wiring: the report
assets depend on AssetKey(["published_marts"]) and run after it, reading what it published.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from orchestration.reports.assets import (
    GROUP,
    PUBLISHED_MARTS,
    kpi_report,
    report_assets,
    store_picking_sheets,
)
from tests.reports.published_fixture import REPORT_DATE, write_published


def test_assets_are_downstream_of_the_publication() -> None:
    for asset in report_assets:
        spec = next(iter(asset.specs))
        assert {dep.asset_key for dep in spec.deps} == {PUBLISHED_MARTS}
        assert spec.group_name == GROUP == "publication"
    assert next(iter(kpi_report.specs)).kinds == {"python", "html"}
    assert next(iter(store_picking_sheets.specs)).kinds == {"python", "csv"}


@pytest.mark.slow
def test_materialize_with_a_stand_in_publication(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path))

    @dg.asset(key=PUBLISHED_MARTS, group_name=GROUP)
    def published_marts() -> None:
        """Stand-in for the publication step: writes published/marts.duckdb."""
        write_published(tmp_path)

    result = dg.materialize(
        [published_marts, *report_assets], instance=dg.DagsterInstance.ephemeral()
    )
    assert result.success
    order = [
        e.asset_key for e in result.get_asset_materialization_events() if e.asset_key is not None
    ]
    assert order[0] == PUBLISHED_MARTS

    report = result.asset_materializations_for_node("kpi_report")[0].metadata
    assert Path(report["path"].value).exists()
    assert Path(report["latest"].value).name == "latest.html"
    assert report["open"].value.startswith("file://")
    assert "| conversion_rate | 2026-03-01 |" in report["scorecard"].value
    assert report["source_mode"].value == "demo"

    sheets = result.asset_materializations_for_node("store_picking_sheets")[0].metadata
    assert Path(sheets["combined_csv"].value).parent.name == str(REPORT_DATE)
    assert sheets["candidates"].value > 0
    assert "| LIL-VIEUX-LILLE |" in sheets["candidates_per_store"].value
