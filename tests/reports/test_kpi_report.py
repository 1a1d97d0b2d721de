"""The KPI report shows the published numbers, every chart, and opens with no network."""

from __future__ import annotations

import importlib.util
import math
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from orchestration.reports import charts
from orchestration.reports.charts import TrendKpi
from orchestration.reports.kpi_report import (
    CHART_IDS,
    SECTIONS,
    build_kpi_report,
    campaign_summary,
    weekly_kpis,
)
from orchestration.reports.published import PublishedMartError
from tests.reports.html_parsing import parse
from tests.reports.published_fixture import (
    PUBLISHED_AT,
    RUN_ID,
    PublishedFixture,
    build_tables,
    write_published,
)

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


#: Per KPI, its latest final period and its latest provisional one (fixture as of 2026-03-15).
SHOWN_PERIODS = [
    ("conversion_rate", "2025-12-01"),
    ("conversion_rate", "2026-03-01"),
    ("average_basket", "2025-10-01"),
    ("average_basket", "2026-01-01"),
    ("csat", "2025-12-01"),
    ("csat", "2026-03-01"),
    ("margin_after_ad_spend", "2025-12-01"),
    ("margin_after_ad_spend", "2026-03-01"),
    ("return_rate", "2025-12-01"),
]


def test_scorecard_cells_equal_the_mart(published: PublishedFixture, document: str) -> None:
    mart = published.tables["mart_kpi_scorecard"]
    expected = mart.assign(period=mart["period_start"].dt.strftime("%Y-%m-%d"))
    expected = expected.set_index(["kpi", "period"])
    rows = parse(document).tables["scorecard-table"]
    assert [(r["kpi"], r["period_start"]) for r in rows] == SHOWN_PERIODS
    for row in rows:
        want = expected.loc[(row["kpi"], row["period_start"])]
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
        "provisional": "#9aa5b1",
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
            "is_complete": [True, True],
            "is_final": [True, True],
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
    assert week["state"] == "incomplete"  # 2 of 7 days: final days, but not a whole week
    assert math.isnan(empty["conversion_rate"])  # no data: null, never 0


def test_a_week_is_final_only_when_its_seven_days_are() -> None:
    days = pd.date_range("2026-02-02", "2026-02-15")  # two whole Monday-Sunday weeks
    daily = pd.DataFrame(
        {
            "date": days,
            **dict.fromkeys(["sessions", "orders", "new_customers", "tickets"], 10),
            **dict.fromkeys(["net_revenue", "ad_spend", "margin_after_ad_spend"], 100.0),
            **dict.fromkeys(["units_per_order", "return_rate", "csat"], 0.5),
            "is_complete": True,
            "is_final": [True] * 7 + [True] * 6 + [False],  # 2026-02-15 within the window
        }
    )
    weekly = weekly_kpis(daily, date(2026, 2, 15), weeks=2)
    assert weekly["state"].tolist() == ["final", "provisional"]


def _drawn(values) -> list[float | None]:
    """A trace's y as drawn: NaN is a gap (plotly writes it as null)."""
    return [None if math.isnan(v) else float(v) for v in values]


def test_trend_line_stops_at_the_last_final_period() -> None:
    frame = pd.DataFrame(
        {
            "label": ["Jan", "Feb", "Mar", "Apr"],
            "conversion_rate": [0.01, 0.02, 0.03, 0.04],
            "margin_after_ad_spend": [100.0, -50.0, 80.0, 20.0],
            "state": ["final", "final", "provisional", "incomplete"],
        }
    )
    kpis = (TrendKpi("conversion_rate", "Conversion", "pct"),)
    kpis += (TrendKpi("margin_after_ad_spend", "Margin", "money"),)
    line, apart, bars = charts.trend_figure(frame, "label", kpis, "€").data
    assert _drawn(line.y) == [0.01, 0.02, None, None] and line.line.dash is None
    assert _drawn(apart.y) == [None, None, 0.03, 0.04] and apart.line.dash == "dash"
    assert list(apart.marker.symbol) == ["circle", "circle", "circle-open", "x-open"]
    assert list(bars.marker.color) == ["#2e7d32", "#c62828", "#a9cfab", "#a9cfab"]
    assert list(bars.marker.pattern.shape) == ["", "", "/", "x"]


def test_all_final_draws_one_trend_and_no_legend(tmp_path: Path) -> None:
    frame = pd.DataFrame({"label": ["Jan", "Feb"], "roas": [4.0, 5.0], "state": "final"})
    (line,) = charts.trend_figure(frame, "label", (TrendKpi("roas", "ROAS", "ratio"),), "€").data
    assert list(line.y) == [4.0, 5.0]
    tables = build_tables()
    tables["mart_kpi_daily"] = tables["mart_kpi_daily"].assign(is_final=True)
    tables["mart_kpi_monthly"] = tables["mart_kpi_monthly"].assign(is_complete=True, is_final=True)
    card = tables["mart_kpi_scorecard"]
    tables["mart_kpi_scorecard"] = card[card["is_final_period"]]
    page = build_kpi_report(write_published(tmp_path, tables=tables).warehouse_dir).latest_path
    document = page.read_text(encoding="utf-8")
    assert "flags-legend" not in document
    assert '<tr class="provisional' not in document and "so far:" not in document
    assert [(r["kpi"], r["period_start"]) for r in parse(document).tables["scorecard-table"]] == [
        row for row in SHOWN_PERIODS if not row[1].startswith("2026")
    ]


def test_provisional_periods_are_greyed_with_a_legend(document: str) -> None:
    scorecard = document.split('id="scorecard"')[1].split("</section>")[0]
    greyed = re.findall(
        r'<tr class="(provisional[^"]*)">.*?data-col="kpi" data-value="(\w+)"', scorecard
    )
    assert greyed == [
        ("provisional incomplete", "conversion_rate"),
        ("provisional incomplete", "average_basket"),
        ("provisional incomplete", "csat"),
        ("provisional incomplete", "margin_after_ad_spend"),
    ]
    assert scorecard.count("so far: ") == 4 and "so far: at risk" in scorecard
    for section in (scorecard, document.split('id="trends"')[1].split("</section>")[0]):
        assert 'class="legend flags-legend"' in section
        assert "provisional: refunds can still arrive (maturity window 45 days)" in section
        assert "incomplete: a source did not cover this period" in section


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
