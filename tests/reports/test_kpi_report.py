"""The KPI report shows the published numbers, every chart, and opens with no network."""

from __future__ import annotations

import importlib.util
import math
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from orchestration.reports.kpi_report import (
    CHART_IDS,
    SECTIONS,
    build_kpi_report,
    campaign_summary,
    weekly_kpis,
)
from orchestration.reports.published import PublishedMartError
from tests.reports.html_parsing import parse
from tests.reports.published_fixture import PUBLISHED_AT, RUN_ID, PublishedFixture, write_published

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> PublishedFixture:
    """A published warehouse written by the test: it stands in for the publication step."""
    return write_published(tmp_path_factory.mktemp("warehouse"))


@pytest.fixture(scope="module")
def report(published: PublishedFixture):
    return build_kpi_report(published.warehouse_dir)


@pytest.fixture(scope="module")
def document(report) -> str:
    return report.path.read_text(encoding="utf-8")


def _value(cell: str) -> float | None:
    return None if cell == "" else float(cell)


def test_files_are_named_by_publication_and_latest_is_the_same_page(report, document) -> None:
    assert report.path.name == f"kpi-report_{PUBLISHED_AT:%Y-%m-%d}_{RUN_ID}.html"
    assert report.path.parent == report.latest_path.parent
    assert report.latest_path.read_text(encoding="utf-8") == document
    assert not [p for p in report.path.parent.iterdir() if p.name.endswith(".tmp")]


def test_scorecard_cells_equal_the_mart(published: PublishedFixture, document: str) -> None:
    mart = published.tables["mart_kpi_scorecard"]
    expected = mart.sort_values("period_start").groupby("kpi").tail(1).set_index("kpi")
    rows = parse(document).tables["scorecard-table"]
    assert sorted(r["kpi"] for r in rows) == sorted(expected.index)
    for row in rows:
        want = expected.loc[row["kpi"]]
        assert row["period_start"] == str(want["period_start"].date())
        assert row["owner"] == want["owner"]
        assert row["status"] == want["status"]
        for column in ("actual", "baseline", "target", "attainment"):
            got, exp = _value(row[column]), want[column]
            if exp is None or (isinstance(exp, float) and math.isnan(exp)):
                assert got is None, (row["kpi"], column)
            else:
                assert got == pytest.approx(exp, rel=1e-12), (row["kpi"], column)


def test_status_colours(document: str) -> None:
    for status, colour in {
        "on_track": "#2e7d32",
        "at_risk": "#f0a202",
        "off_track": "#c62828",
        "no_data": "#9e9e9e",
    }.items():
        assert f'class="status status-{status}" style="background:{colour}"' in document


def test_every_chart_and_section_is_present(document: str) -> None:
    parsed = parse(document)
    for chart_id in CHART_IDS:
        assert chart_id in parsed.ids, chart_id
        assert re.search(rf'Plotly\.newPlot\(\s*"{chart_id}"', document), chart_id
    for anchor, title in SECTIONS:
        assert parsed.ids[anchor]["tag"] == "section"
        assert title in "".join(parsed.text)
    for table in ("scorecard-table", "channel-table", "campaign-table", "stockout-table"):
        assert parsed.tables[table], table


def test_page_needs_no_network(document: str) -> None:
    parsed = parse(document)
    assert not [u for _, u in parsed.resource_urls if re.match(r"(?i)^\s*(https?:)?//", u)]
    assert not [u for tag, u in parsed.resource_urls if tag == "script"]  # all inlined
    assert "Plotly" in document and "plotly.js" in document.lower()


def test_header_says_demo_run_and_freshness(document: str) -> None:
    parsed = parse(document)
    assert "demo-banner" in parsed.ids
    assert parsed.ids["demo-banner"]["tag"] == "div"
    text = "".join(parsed.text)
    assert RUN_ID in text
    assert "2026-03-16 05:12 UTC" in text
    assert "2025-03-01 → 2026-03-15" in text  # 13 months: March 2025 to March 2026
    assert "2026-01-15 → 2026-03-15" in text  # the run's days, from publication_log


def test_live_publication_has_no_demo_banner(tmp_path: Path) -> None:
    fixture = write_published(tmp_path, source_mode="live", run_id="live-run-7")
    page = build_kpi_report(fixture.warehouse_dir).latest_path.read_text(encoding="utf-8")
    assert "demo-banner" not in parse(page).ids
    assert "live-run-7" in page


def test_unprofitable_campaigns_are_highlighted(published: PublishedFixture, document) -> None:
    daily = published.tables["mart_campaign_daily"]
    window = daily[daily["date"] > daily["date"].max() - pd.Timedelta(days=28)]
    totals = window.groupby("campaign_id")["margin_after_ad_spend"].sum()
    losing = set(totals[totals < 0].index)
    assert losing, "the fixture must have an unprofitable campaign"
    rows = re.findall(
        r'<tr class="unprofitable">(.*?)</tr>', document.split('id="campaign-table"')[1]
    )
    names = set(window.set_index("campaign_id")["campaign_name"].loc[list(losing)])
    assert len(rows) == len(losing)
    assert all(any(name in row for name in names) for row in rows)


def test_weekly_kpis_are_ratios_of_sums_not_means_of_rates() -> None:
    """Hand-computed: one Monday-Tuesday week, and an empty week before it."""
    daily = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-03-09", "2026-03-10"]),
            "sessions": [100, 1000],
            "orders": [10, 10],
            "net_revenue": [1000.0, 500.0],
            "new_customers": [5, 0],
            "ad_spend": [50.0, 100.0],
            "margin_after_ad_spend": [200.0, -50.0],
            "units_per_order": [2.0, 1.0],
            "return_rate": [0.5, 0.0],
            "tickets": [10, 30],
            "csat": [0.9, 0.5],
        }
    )
    weekly = weekly_kpis(daily, date(2026, 3, 10), weeks=2)
    empty, week = weekly.iloc[0], weekly.iloc[1]
    assert week["conversion_rate"] == pytest.approx(20 / 1100)  # not (0.1 + 0.01) / 2
    assert week["average_basket"] == pytest.approx(1500 / 20)
    assert week["cac"] == pytest.approx(150 / 5)
    assert week["roas"] == pytest.approx(1500 / 150)
    assert week["margin_after_ad_spend"] == pytest.approx(150)
    assert week["return_rate"] == pytest.approx(10 / 30)  # 20 units, 10 back; 10 units, 0 back
    assert week["csat"] == pytest.approx((0.9 * 10 + 0.5 * 30) / 40)
    assert bool(week["is_partial"]) and week["label"].endswith("(partial)")
    assert math.isnan(empty["conversion_rate"])  # no data: null, never 0


def test_campaign_summary_flags_on_window_totals() -> None:
    daily = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-03-01", "2026-03-02", "2026-03-01"]),
            "platform": ["meta_ads", "meta_ads", "google_ads"],
            "campaign_id": ["a", "a", "b"],
            "campaign_name": ["A", "A", None],
            "spend": [100.0, 100.0, 0.0],
            "attributed_orders": [1, 5, 0],
            "attributed_net_revenue": [50.0, 600.0, 0.0],
            "margin_after_ad_spend": [-80.0, 120.0, 0.0],
            "is_unprofitable": [True, False, False],
        }
    )
    out = campaign_summary(daily).set_index("campaign_id")
    assert not out.loc["a", "is_unprofitable"]  # +40 over the window
    assert out.loc["a", "unprofitable_days"] == 1
    assert out.loc["a", "roas"] == pytest.approx(650 / 200)
    assert math.isnan(out.loc["b", "roas"])  # no spend: null ROAS
    assert out.loc["b", "campaign_label"] == "b"


def test_missing_mart_is_named(tmp_path: Path) -> None:
    fixture = write_published(tmp_path)
    import duckdb

    with duckdb.connect(str(fixture.db_path)) as con:
        con.execute("drop table mart_support_hourly")
    with pytest.raises(PublishedMartError, match="mart_support_hourly"):
        build_kpi_report(fixture.warehouse_dir)


def _screenshot_module():
    spec = importlib.util.spec_from_file_location(
        "screenshot_report", REPO_ROOT / "scripts" / "screenshot_report.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_charts_draw_in_chromium_with_networking_cut_off(report) -> None:
    """Debian's Chromium: .ci/run installs it (apt-get install -y chromium)."""
    screenshot = _screenshot_module()
    assert screenshot.chromium_binary() is not None, "chromium is not installed"
    dom = parse(screenshot.dump_dom(report.latest_path))
    for chart_id in CHART_IDS:
        assert "js-plotly-plot" in dom.ids[chart_id].get("class", ""), chart_id
