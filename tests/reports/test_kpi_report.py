"""The KPI report shows the published numbers, every chart, and opens with no network."""

from __future__ import annotations

import base64
import importlib.util
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration.reports import charts
from orchestration.reports.charts import TrendKpi
from orchestration.reports.kpi_report import CHART_IDS, SECTIONS, TREND_KPIS, build_kpi_report
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
    window = published.tables["mart_campaign_28d"]
    losing = window[window["is_unprofitable"]]
    assert len(losing), "the fixture must have an unprofitable campaign"
    rows = re.findall(
        r'<tr class="unprofitable">(.*?)</tr>', document.split('id="campaign-table"')[1]
    )
    assert len(rows) == len(losing)
    assert all(any(name in row for name in losing["campaign_name"]) for row in rows)


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
    tables["mart_kpi_weekly"] = tables["mart_kpi_weekly"].assign(is_complete=True, is_final=True)
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


# ------------------------------------------------------------------------------------------------
# Every number the KPI sections print is a published cell
# ------------------------------------------------------------------------------------------------


def _figure_traces(document: str, chart_id: str) -> list[dict]:
    """The traces of one chart, as the page gives them to Plotly.newPlot."""
    start = re.search(rf'Plotly\.newPlot\(\s*"{chart_id}",\s*', document).end()
    traces, _ = json.JSONDecoder().raw_decode(document, start)
    return traces


def _numbers(values) -> list[float | None]:
    """A trace's numbers: plotly writes numpy arrays as base64 (`bdata`), gaps as null."""
    if isinstance(values, dict):
        decoded = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
        return [None if math.isnan(v) else float(v) for v in decoded.astype("float64")]
    return [None if v is None else float(v) for v in values]


def _published_cell(frame: pd.DataFrame, key: str, column: str) -> dict[str, float | None]:
    """key -> the published cell of `column` (None for null)."""
    return {
        k: None if pd.isna(v) else float(v) for k, v in zip(frame[key], frame[column], strict=True)
    }


def _assert_drawn(document: str, chart_id: str, mart: pd.DataFrame, label: str) -> int:
    """Every number drawn in a trend chart equals the published cell of its period and KPI;
    returns how many were compared."""
    columns = {kpi.label: kpi.column for kpi in TREND_KPIS}
    compared = 0
    for trace in _figure_traces(document, chart_id):
        column = columns[trace["name"].removesuffix(" (not final)")]
        published = _published_cell(mart, label, column)
        for x, y in zip(trace["x"], _numbers(trace["y"]), strict=True):
            if y is None:
                continue
            period = x.removesuffix(" (partial)").removesuffix(" (to date)")
            assert y == pytest.approx(published[period], rel=1e-12), (chart_id, column, x)
            compared += 1
    return compared


def test_every_trend_number_is_a_published_cell(published: PublishedFixture, document) -> None:
    weekly = published.tables["mart_kpi_weekly"]
    weekly = weekly.assign(label=weekly["week_start"].dt.strftime("%d %b"))
    weekly = weekly[weekly["week_start"] > pd.Timestamp("2026-01-01")]  # labels repeat yearly
    monthly = published.tables["mart_kpi_monthly"]
    monthly = monthly.assign(label=monthly["month_start"].dt.strftime("%b %Y"))
    assert _assert_drawn(document, "chart-trends-weekly", weekly, "label") == 8 * len(TREND_KPIS)
    assert _assert_drawn(document, "chart-trends-monthly", monthly, "label") >= 13 * 6


def _assert_table(rows: list[dict[str, str]], mart: pd.DataFrame, key: str) -> int:
    """Every numeric cell of a report table equals the mart's cell of the same row and column."""
    by_key = mart.set_index(key)
    compared = 0
    for row in rows:
        for column, cell in row.items():
            if column == key or column not in by_key.columns:
                continue
            want = by_key.loc[row[key], column]
            if isinstance(want, str):
                assert cell == want, (key, row[key], column)
            elif pd.isna(want):
                assert cell == "", (row[key], column)
            else:
                assert float(cell) == pytest.approx(float(want), rel=1e-12), (row[key], column)
            compared += 1
    return compared


def test_every_channel_and_campaign_number_is_a_published_cell(
    published: PublishedFixture, document: str
) -> None:
    parsed = parse(document)
    channels = published.tables["mart_channel_28d"]
    campaigns = published.tables["mart_campaign_28d"]
    channel_rows = parsed.tables["channel-table"]
    assert {r["channel"] for r in channel_rows} == set(channels["channel"])
    assert _assert_table(channel_rows, channels, "channel") == len(channels) * 10
    campaign_rows = parsed.tables["campaign-table"]
    by_name = campaigns.assign(campaign_label=campaigns["campaign_name"])
    assert {r["campaign_label"] for r in campaign_rows} == set(by_name["campaign_label"])
    assert _assert_table(campaign_rows, by_name, "campaign_label") == len(campaigns) * 7

    spend, margin = _figure_traces(document, "chart-channels")
    for trace, column in ((spend, "ad_spend"), (margin, "margin_after_ad_spend")):
        cells = _published_cell(channels, "channel", column)
        drawn = dict(zip(trace["x"], _numbers(trace["y"]), strict=True))
        assert drawn == pytest.approx(cells, rel=1e-12), column
    (bars,) = _figure_traces(document, "chart-campaigns")
    labels = by_name["platform"] + " · " + by_name["campaign_label"]
    cells = dict(zip(labels, by_name["margin_after_ad_spend"].astype(float), strict=True))
    drawn = dict(zip(bars["y"], _numbers(bars["x"]), strict=True))
    assert drawn == pytest.approx(cells, rel=1e-12)


def test_every_support_and_stockout_number_is_a_published_cell(
    published: PublishedFixture, document: str
) -> None:
    hourly = published.tables["mart_support_hourly"]
    support = document.split('id="support"')[1].split("</section>")[0]
    printed = re.search(r"<strong>([\d.]+) %</strong> of the ([\d,]+) tickets", support)
    assert float(printed[1]) / 100 == pytest.approx(hourly["out_of_hours_share"].iloc[0], abs=5e-4)
    assert int(printed[2].replace(",", "")) == hourly["window_tickets"].iloc[0]
    (heat,) = _figure_traces(document, "chart-support-heatmap")
    z = heat["z"]
    if isinstance(z, dict):  # a 2-D array in base64, with its shape
        shape = tuple(int(n) for n in z["shape"].split(","))
        drawn = np.array(_numbers(z), dtype=float).reshape(shape)
    else:
        drawn = np.array([_numbers(row) for row in z], dtype=float)
    grid = hourly.pivot_table(index="isodow", columns="hour", values="share_of_tickets")
    np.testing.assert_allclose(drawn, grid.to_numpy(), rtol=1e-12)

    stockouts = published.tables["mart_ad_spend_on_stockouts_28d"]
    rows = parse(document).tables["stockout-table"]
    assert {r["sku"] for r in rows} == set(stockouts["sku"])
    assert _assert_table(rows, stockouts, "sku") == len(stockouts) * 5
    section = document.split('id="stockout-spend"')[1].split("</section>")[0]
    printed = re.search(r"<strong>€([\d,.]+)</strong> of product-ad spend", section)
    # money is printed to the cent below 1,000 and to the unit above
    assert float(printed[1].replace(",", "")) == pytest.approx(
        stockouts["window_spend"].iloc[0], abs=0.5
    )
    (bars,) = _figure_traces(document, "chart-stockout-spend")
    by_sku = dict(zip(stockouts["sku"], stockouts["spend"].astype(float), strict=True))
    drawn = {
        label.split(" · ")[0]: x for label, x in zip(bars["y"], _numbers(bars["x"]), strict=True)
    }
    assert drawn == pytest.approx({sku: by_sku[sku] for sku in drawn}, rel=1e-12)
