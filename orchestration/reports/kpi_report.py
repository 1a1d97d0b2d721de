"""The daily KPI report: one self-contained HTML page per publication, from the published marts.

Why a static page: the e-commerce director reads it in a mail or on a shared drive, often
offline; it must show exactly the published numbers (no recomputation of a contract KPI), and it
must say how fresh they are (published_at, run id) and whether they are demo data.

Every number is computed once, in dbt: the weekly trend is mart_kpi_weekly, the channel,
campaign and out-of-stock views are the rolling 28-day marts (mart_channel_28d,
mart_campaign_28d, mart_ad_spend_on_stockouts_28d), the support note is mart_support_hourly's
window totals, all as published. This module only picks the rows to show and formats them.

Provisional and incomplete figures are shown as such, from the flags the marts publish
(is_complete / is_final, the scorecard's `provisional` status): greyed, hatched or dashed, with a
legend, and never drawn as part of a trend.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import yaml

from orchestration.lib.paths import WarehouseLayout
from orchestration.lib.retention import prune_oldest, retention_runs
from orchestration.reports import charts
from orchestration.reports.charts import TrendKpi
from orchestration.reports.published import (
    LOG_QUERY,
    PUBLICATION_LOG,
    Publication,
    as_date,
    pick_column,
    publication_of,
    published_db_path,
    read_marts,
    require_columns,
    safe_name,
    write_text_atomic,
)
from orchestration.reports.render import (
    NULL_TEXT,
    Column,
    Kind,
    format_value,
    html_table,
    markdown_table,
    page,
    status_badge,
)

TREND_KPIS: tuple[TrendKpi, ...] = (
    TrendKpi("conversion_rate", "Conversion rate", "pct"),
    TrendKpi("average_basket", "Average basket", "money"),
    TrendKpi("cac", "CAC", "money"),
    TrendKpi("roas", "ROAS", "ratio"),
    TrendKpi("margin_after_ad_spend", "Contribution margin after ad spend", "money"),
    TrendKpi("return_rate", "Return rate", "pct"),
    TrendKpi("csat", "CSAT", "pct"),
)

# How each scorecard KPI reads; a KPI added to the seed later shows as a plain number.
KPI_KINDS: dict[str, Kind] = {
    "conversion_rate": "pct",
    "csat": "pct",
    "return_rate": "pct",
    "cross_sell_rate": "pct",
    "upsell_rate": "pct",
    "contact_rate": "pct",
    "shipped_within_48h_rate": "pct",
    "repeat_customer_rate": "pct",
    "average_basket": "money",
    "margin_after_ad_spend": "money",
    "net_revenue": "money",
    "contribution_margin": "money",
    "ad_spend": "money",
    "cac": "money",
    "roas": "ratio",
    "orders": "int",
    "sessions": "int",
    "new_customers": "int",
}
KPI_ORDER = ("conversion_rate", "average_basket", "csat", "margin_after_ad_spend")

CHART_IDS = (
    "chart-trends-monthly",
    "chart-trends-weekly",
    "chart-channels",
    "chart-campaigns",
    "chart-support-heatmap",
    "chart-stockout-spend",
)
WINDOW_DAYS = 28
TREND_MONTHS = 13
TREND_WEEKS = 8

SCORECARD_COLUMNS = ("period_start", "kpi", "owner", "actual", "baseline", "target")
SCORECARD_COLUMNS += ("attainment", "status", "is_complete_period", "is_final_period")
PERIOD_COLUMNS = (*(k.column for k in TREND_KPIS), "is_complete", "is_final")
CHANNEL_COLUMNS = ("channel", "sessions", "orders", "conversion_rate", "new_customers")
CHANNEL_COLUMNS += ("net_revenue", "ad_spend", "cac", "roas", "margin_after_ad_spend")
CHANNEL_COLUMNS += ("is_unprofitable", "unprofitable_days")
CAMPAIGN_COLUMNS = ("platform", "campaign_id", "campaign_name", "spend", "attributed_orders")
CAMPAIGN_COLUMNS += ("attributed_net_revenue", "roas", "margin_after_ad_spend")
CAMPAIGN_COLUMNS += ("is_unprofitable", "unprofitable_days")
HOURLY_COLUMNS = ("hour", "tickets", "share_of_tickets", "tickets_per_100_orders")
HOURLY_COLUMNS += ("window_tickets", "out_of_hours_share")
STOCKOUT_COLUMNS = ("sku", "product_name", "spend", "spend_days", "platforms", "campaigns")
STOCKOUT_COLUMNS += ("window_spend",)


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows, read from one publication."""

    publication: Publication
    report_date: date | None
    scorecard: pd.DataFrame
    weekly: pd.DataFrame
    monthly: pd.DataFrame
    channels: pd.DataFrame
    campaigns: pd.DataFrame
    support_hourly: pd.DataFrame
    stockouts: pd.DataFrame


@dataclass(frozen=True)
class KpiReport:
    """The files written and what the Dagster asset shows about them."""

    path: Path
    latest_path: Path
    publication: Publication
    report_date: date | None
    scorecard_markdown: str
    scorecard_rows: int


# --------------------------------------------------------------------------- reading


def report_queries() -> dict[str, str]:
    """One query per mart; the report's day D is the last day of mart_kpi_daily."""
    last_day = "(select max(date) from mart_kpi_daily)"
    return {
        "mart_kpi_scorecard": "select * from mart_kpi_scorecard",
        "mart_kpi_daily": f"select * from mart_kpi_daily where date = {last_day}",
        "mart_kpi_weekly": "select * from mart_kpi_weekly",
        "mart_kpi_monthly": "select * from mart_kpi_monthly",
        "mart_channel_28d": "select * from mart_channel_28d",
        "mart_campaign_28d": "select * from mart_campaign_28d",
        "mart_support_hourly": "select * from mart_support_hourly",
        "mart_ad_spend_on_stockouts_28d": "select * from mart_ad_spend_on_stockouts_28d",
        PUBLICATION_LOG: LOG_QUERY,
    }


def load_report_data(db_path: Path) -> ReportData:
    """Read the marts of one publication and check the contract columns the page uses."""
    frames = read_marts(db_path, report_queries(), optional=frozenset({PUBLICATION_LOG}))
    log = frames.pop(PUBLICATION_LOG)
    checks = {
        "mart_kpi_scorecard": SCORECARD_COLUMNS,
        "mart_kpi_daily": ("date",),
        "mart_kpi_weekly": ("week_start", *PERIOD_COLUMNS),
        "mart_kpi_monthly": PERIOD_COLUMNS,
        "mart_channel_28d": CHANNEL_COLUMNS,
        "mart_campaign_28d": CAMPAIGN_COLUMNS,
        "mart_support_hourly": HOURLY_COLUMNS,
        "mart_ad_spend_on_stockouts_28d": STOCKOUT_COLUMNS,
    }
    for mart, columns in checks.items():
        require_columns(frames[mart], mart, columns)
    daily = frames["mart_kpi_daily"]
    report_date = as_date(daily["date"].max()) if len(daily) else None
    return ReportData(
        publication=publication_of(frames, log),
        report_date=report_date,
        scorecard=frames["mart_kpi_scorecard"],
        weekly=frames["mart_kpi_weekly"],
        monthly=frames["mart_kpi_monthly"],
        channels=frames["mart_channel_28d"],
        campaigns=frames["mart_campaign_28d"],
        support_hourly=frames["mart_support_hourly"],
        stockouts=frames["mart_ad_spend_on_stockouts_28d"],
    )


# --------------------------------------------------------------------------- shaping


def _num(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def period_states(is_complete: pd.Series, is_final: pd.Series) -> pd.Series:
    """charts.FINAL / PROVISIONAL / INCOMPLETE from the published flags (null reads as false:
    a flag nobody set is no proof that a period is settled)."""
    complete = is_complete.astype("boolean").fillna(False).astype(bool)
    final = is_final.astype("boolean").fillna(False).astype(bool)
    states = pd.Series(charts.PROVISIONAL, index=is_complete.index, dtype="object")
    states[final & complete] = charts.FINAL
    states[~complete] = charts.INCOMPLETE
    return states


def maturity_days() -> int:
    """The dbt project's var maturity_days: how long figures stay provisional. The marts publish
    each period's flag but not the window, and the legend must say how long to wait."""
    from orchestration.dbt.project import DBT_PROJECT_DIR

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return int(project["vars"]["maturity_days"])


def latest_scorecard(scorecard: pd.DataFrame, report_date: date | None) -> pd.DataFrame:
    """Per KPI (up to the report day, in the director's order): its latest final period, the
    settled verdict, and its latest period when that one is still provisional (the verdict so
    far). Showing only the latest would show nothing settled for the whole maturity window."""
    if scorecard.empty:
        return scorecard.assign(_order=[])
    frame = scorecard.copy()
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    if report_date is not None:
        frame = frame[frame["period_start"] <= pd.Timestamp(report_date)]
    frame = frame.sort_values("period_start")
    final = frame["is_final_period"].astype("boolean").fillna(False).astype(bool)
    shown = pd.concat(
        [
            frame[final].groupby("kpi", as_index=False).tail(1),
            frame.groupby("kpi", as_index=False).tail(1),
        ]
    ).drop_duplicates(["kpi", "period_start"])
    rank = {kpi: i for i, kpi in enumerate(KPI_ORDER)}
    shown = shown.assign(_order=shown["kpi"].map(lambda k: rank.get(k, len(rank))))
    return shown.sort_values(["_order", "kpi", "period_start"]).reset_index(drop=True)


def monthly_trend(monthly: pd.DataFrame, report_date: date | None, months: int) -> pd.DataFrame:
    """The last `months` calendar months up to the report's month, as published."""
    if monthly.empty:
        return monthly.assign(label=[])
    month_col = pick_column(monthly, "mart_kpi_monthly", "month_start", "month", "period_start")
    frame = monthly.copy()
    frame["month_start"] = pd.to_datetime(frame[month_col])
    if report_date is not None:
        frame = frame[frame["month_start"] <= pd.Timestamp(report_date)]
    frame = frame.sort_values("month_start").tail(months).reset_index(drop=True)
    frame["state"] = period_states(frame["is_complete"], frame["is_final"])
    frame["label"] = frame["month_start"].dt.strftime("%b %Y")
    if report_date is not None and len(frame):
        month_end = (pd.Timestamp(report_date) + pd.offsets.MonthEnd(0)).date()
        if frame["month_start"].iloc[-1] == pd.Timestamp(report_date).replace(day=1) and (
            report_date < month_end
        ):
            frame.loc[frame.index[-1], "label"] += " (to date)"
    return frame


def weekly_trend(weekly: pd.DataFrame, report_date: date | None, weeks: int) -> pd.DataFrame:
    """The `weeks` ISO weeks (Monday start) ending with the report day's week, as published in
    mart_kpi_weekly; a week without a row (no complete day) is a gap, and the running week is
    labelled partial."""
    if report_date is None:
        return pd.DataFrame(columns=["week_start", "label", "state", *PERIOD_COLUMNS])
    last_monday = report_date - timedelta(days=report_date.weekday())
    week_starts = pd.to_datetime(
        [last_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    )
    frame = weekly.assign(week_start=pd.to_datetime(weekly["week_start"]))
    frame = frame.set_index("week_start").reindex(week_starts).rename_axis("week_start")
    frame = frame.reset_index()
    frame["state"] = period_states(frame["is_complete"], frame["is_final"])
    partial = frame["week_start"] + pd.Timedelta(days=6) > pd.Timestamp(report_date)
    frame["label"] = [
        f"{ws:%d %b}{' (partial)' if is_partial else ''}"
        for ws, is_partial in zip(frame["week_start"], partial, strict=True)
    ]
    return frame


def channel_summary(channels: pd.DataFrame) -> pd.DataFrame:
    """The channels over the window as mart_channel_28d publishes them, biggest revenue first."""
    return channels.sort_values(["net_revenue", "channel"], ascending=[False, True]).reset_index(
        drop=True
    )


def campaign_summary(campaigns: pd.DataFrame) -> pd.DataFrame:
    """The campaigns over the window as mart_campaign_28d publishes them, the ones losing the
    most first; labelled by name, or by id when the platform gave no name."""
    frame = campaigns.assign(
        campaign_label=campaigns["campaign_name"].fillna(campaigns["campaign_id"]).astype(str)
    )
    return frame.sort_values(["margin_after_ad_spend", "campaign_id"]).reset_index(drop=True)


def support_grid(hourly: pd.DataFrame) -> pd.DataFrame:
    """The 7 x 24 grid with weekday_index 0 = Monday (from ISO `isodow` or the weekday name)."""
    if "isodow" in hourly.columns:
        weekday_index = _num(hourly, "isodow") - 1
    else:
        names = hourly[pick_column(hourly, "mart_support_hourly", "weekday")].astype(str)
        lookup = {name.lower(): i for i, name in enumerate(charts.WEEKDAYS)}
        weekday_index = names.str[:3].str.lower().map(lookup)
    business = (
        hourly["is_business_hours"]
        if "is_business_hours" in hourly.columns
        else (weekday_index < 5) & _num(hourly, "hour").between(9, 16)
    )
    return pd.DataFrame(
        {
            "weekday_index": weekday_index.astype("Int64"),
            "hour": _num(hourly, "hour").astype("Int64"),
            "tickets": _num(hourly, "tickets").fillna(0),
            "share": _num(hourly, "share_of_tickets"),
            "per_100_orders": _num(hourly, "tickets_per_100_orders"),
            "is_business_hours": business.fillna(False).astype(bool),
        }
    )


def stockout_by_sku(stockouts: pd.DataFrame) -> pd.DataFrame:
    """The skus of mart_ad_spend_on_stockouts_28d as published, biggest spend first."""
    return stockouts.sort_values(["spend", "sku"], ascending=[False, True]).reset_index(drop=True)


# --------------------------------------------------------------------------- rendering


def flags_legend(maturity: int) -> str:
    """What the greyed figures mean, next to every table or chart that shows some."""
    return (
        '<div class="legend flags-legend">'
        '<span><span class="swatch final"></span>final: settled, drawn as the trend</span>'
        '<span><span class="swatch provisional"></span>provisional: refunds can still arrive '
        f"(maturity window {maturity} days)</span>"
        '<span><span class="swatch incomplete"></span>incomplete: a source did not cover this '
        "period</span></div>"
    )


def _scorecard_row_class(row: dict) -> str:
    """Greyed rows: a provisional status, or a period a source did not fully cover."""
    classes = []
    if row.get("status") == "provisional":
        classes.append("provisional")
    complete = row.get("is_complete_period")
    if complete is not None and not bool(complete):
        classes.append("incomplete")
    return " ".join(classes)


def _status_cell(row: dict) -> str:
    """The status badge; a provisional one also says where the KPI is heading so far."""
    badge = status_badge(str(row["status"]))
    tracking = row.get("tracking_status")
    if row["status"] == "provisional" and tracking:
        so_far = html.escape(str(tracking).replace("_", " "))
        badge += f' <span class="so-far">so far: {so_far}</span>'
    return badge


def _scorecard_columns(currency: str) -> list[Column]:
    def kpi_value(key: str) -> Column:
        def cell(row: dict) -> str:
            return html.escape(
                format_value(row[key], KPI_KINDS.get(row["kpi"], "number"), currency)
            )

        return Column(key, key.capitalize(), "number", cell)

    return [
        Column("kpi", "KPI"),
        Column("period_start", "Period", "date"),
        Column("owner", "Owner"),
        kpi_value("actual"),
        kpi_value("target"),
        kpi_value("baseline"),
        Column("attainment", "Attainment", "pct"),
        Column("status", "Status", "text", _status_cell),
    ]


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def scorecard_section(data: ReportData, currency: str) -> str:
    latest = latest_scorecard(data.scorecard, data.report_date)
    if latest.empty:
        return '<p class="empty" id="scorecard-table">No scorecard rows in this publication.</p>'
    rows = _records(latest.assign(period_start=latest["period_start"].dt.date))
    table = html_table(
        rows, _scorecard_columns(currency), "scorecard-table", _scorecard_row_class, currency
    )
    note = (
        "Each KPI of the seed <code>kpi_targets</code> (mart_kpi_scorecard): its latest final "
        "period and, greyed, its latest provisional one with the verdict so far. "
        "Attainment = actual / target."
    )
    greyed = any(_scorecard_row_class(row) for row in rows)
    legend = flags_legend(maturity_days()) if greyed else ""
    return f'<p class="note">{note}</p>{legend}{table}'


def trends_section(data: ReportData, currency: str) -> str:
    monthly = monthly_trend(data.monthly, data.report_date, TREND_MONTHS)
    weekly = weekly_trend(data.weekly, data.report_date, TREND_WEEKS)
    monthly_div = charts.to_div(
        charts.trend_figure(monthly, "label", TREND_KPIS, currency), "chart-trends-monthly", 620
    )
    weekly_div = charts.to_div(
        charts.trend_figure(weekly, "label", TREND_KPIS, currency), "chart-trends-weekly", 600
    )
    note = (
        "Weekly values are mart_kpi_weekly (ISO weeks) and monthly values mart_kpi_monthly, as "
        "published: each period's KPIs are computed from its totals, never as a mean of daily "
        "rates. The trend is the final periods (blue); provisional and incomplete ones are "
        "drawn apart (grey, dashed; bars pale and hatched) and are not a trend yet."
    )
    shown = pd.concat([monthly.get("state", pd.Series()), weekly.get("state", pd.Series())])
    legend = flags_legend(maturity_days()) if (shown != charts.FINAL).any() else ""
    return (
        f"{legend}<h3>Last {TREND_MONTHS} months</h3>{monthly_div}"
        f"<h3>Last {TREND_WEEKS} weeks (Monday start)</h3>{weekly_div}"
        f'<p class="note">{note}</p>'
    )


def _unprofitable(row: dict) -> str:
    return "unprofitable" if row.get("is_unprofitable") else ""


def channels_section(data: ReportData, currency: str) -> str:
    channels = channel_summary(data.channels)
    campaigns = campaign_summary(data.campaigns)
    channel_table = html_table(
        _records(channels),
        [
            Column("channel", "Channel"),
            Column("sessions", "Sessions", "int"),
            Column("orders", "Orders", "int"),
            Column("conversion_rate", "Conversion", "pct"),
            Column("new_customers", "New customers", "int"),
            Column("net_revenue", "Net revenue", "money"),
            Column("ad_spend", "Ad spend", "money"),
            Column("cac", "CAC", "money"),
            Column("roas", "ROAS", "ratio"),
            Column("margin_after_ad_spend", "Margin after ad spend", "money"),
            Column("unprofitable_days", "Unprofitable days", "int"),
        ],
        "channel-table",
        _unprofitable,
        currency,
    )
    campaign_table = html_table(
        _records(campaigns),
        [
            Column("platform", "Platform"),
            Column("campaign_label", "Campaign"),
            Column("spend", "Spend", "money"),
            Column("attributed_orders", "Orders", "int"),
            Column("attributed_net_revenue", "Net revenue", "money"),
            Column("roas", "ROAS", "ratio"),
            Column("margin_after_ad_spend", "Margin after ad spend", "money"),
            Column("unprofitable_days", "Unprofitable days", "int"),
        ],
        "campaign-table",
        _unprofitable,
        currency,
    )
    summary = (
        '<p class="note">Campaigns in red are unprofitable over the window (mart_campaign_28d: '
        "margin after ad spend &lt; 0 with spend &gt; 0); unprofitable days counts the days "
        "of the window on which they were.</p>"
    )
    return (
        charts.to_div(charts.channel_figure(channels, currency), "chart-channels", 380)
        + channel_table
        + f"<h3>Campaigns, last {WINDOW_DAYS} days</h3>"
        + summary
        + charts.to_div(
            charts.campaign_figure(campaigns, currency),
            "chart-campaigns",
            max(300, 60 + 26 * min(len(campaigns), 20)),
        )
        + campaign_table
    )


def support_section(data: ReportData) -> str:
    grid = support_grid(data.support_hourly)
    hourly = data.support_hourly
    total = int(hourly["window_tickets"].iloc[0]) if len(hourly) else 0
    share = format_value(hourly["out_of_hours_share"].iloc[0] if len(hourly) else None, "pct")
    window = ""
    if "window_start_date" in data.support_hourly.columns and len(data.support_hourly):
        start = as_date(data.support_hourly["window_start_date"].min())
        end = as_date(data.support_hourly["as_of_date"].max())
        window = f" ({start} → {end})"
    note = (
        f"<strong>{share}</strong> of the {int(total):,} tickets of the trailing 90 days"
        f"{window} arrived outside opening hours (outlined)."
    )
    return f'<p class="note">{note}</p>' + charts.to_div(
        charts.support_heatmap(grid), "chart-support-heatmap", 380
    )


def stockouts_section(data: ReportData, currency: str) -> str:
    by_sku = stockout_by_sku(data.stockouts)
    spent = by_sku["window_spend"].iloc[0] if len(by_sku) else 0.0
    total = format_value(spent, "money", currency)
    note = (
        f"<strong>{total}</strong> of product-ad spend over the last {WINDOW_DAYS} days went to "
        f"{len(by_sku)} sku(s) the warehouse could not ship (mart_ad_spend_on_stockouts_28d)."
    )
    table = html_table(
        _records(by_sku.head(20)),
        [
            Column("sku", "SKU"),
            Column("product_name", "Product"),
            Column("platforms", "Platform"),
            Column("campaigns", "Campaigns"),
            Column("spend_days", "Days out of stock with spend", "int"),
            Column("spend", "Spend", "money"),
        ],
        "stockout-table",
        currency=currency,
    )
    figure = charts.stockout_figure(by_sku, currency)
    height = max(280, 60 + 26 * min(len(by_sku), 15))
    return (
        f'<p class="note">{note}</p>'
        + charts.to_div(figure, "chart-stockout-spend", height)
        + (table if len(by_sku) else "")
    )


def header(data: ReportData, monthly_from: date | None) -> str:
    pub = data.publication
    published = pub.published_at.strftime("%Y-%m-%d %H:%M UTC") if pub.published_at else NULL_TEXT
    span = f"{monthly_from or NULL_TEXT} → {data.report_date or NULL_TEXT}"
    banners = ""
    if pub.is_demo:
        banners += (
            '<div class="banner demo" id="demo-banner">DEMO DATA — simulated retailer, '
            "not real figures</div>"
        )
    if not pub.is_consistent:
        banners += (
            '<div class="banner warn">The marts read carry different run ids: '
            f"{html.escape(', '.join(sorted(pub.run_ids)))}</div>"
        )
    run_days = (
        f"{pub.partition_start} → {pub.partition_end}"
        if pub.partition_start or pub.partition_end
        else NULL_TEXT
    )
    checks = " · ".join(f"{n} {outcome}" for outcome, n in sorted(pub.check_counts.items()))
    meta = [
        ("Source mode", pub.source_mode.upper()),
        ("Published at", published),
        ("Run id", pub.run_id),
        ("Run days", run_days),
        ("Report day", str(data.report_date or NULL_TEXT)),
        ("Date range", span),
        ("Quality checks", checks or NULL_TEXT),
        ("Windows", f"{TREND_MONTHS} months · {TREND_WEEKS} weeks · {WINDOW_DAYS} days"),
    ]
    items = "".join(
        f'<dt>{html.escape(k)}</dt><dd data-meta="{html.escape(k.lower().replace(" ", "_"))}">'
        f"{html.escape(v)}</dd>"
        for k, v in meta
    )
    nav = "".join(f'<a href="#{anchor}">{label}</a>' for anchor, label in SECTIONS)
    return f'{banners}<h1>Daily KPI report</h1><dl class="meta">{items}</dl><nav>{nav}</nav>'


SECTIONS: tuple[tuple[str, str], ...] = (
    ("scorecard", "Scorecard"),
    ("trends", "Trends"),
    ("channels", f"Channels, last {WINDOW_DAYS} days"),
    ("support", "When customers need help"),
    ("stockout-spend", "Ad spend on out-of-stock skus"),
)


def render_report(data: ReportData, currency: str = "€") -> str:
    """The whole page (plotly.js inlined once in the head: no network needed to open it)."""
    monthly = monthly_trend(data.monthly, data.report_date, TREND_MONTHS)
    monthly_from = as_date(monthly["month_start"].min()) if len(monthly) else None
    bodies = {
        "scorecard": scorecard_section(data, currency),
        "trends": trends_section(data, currency),
        "channels": channels_section(data, currency),
        "support": support_section(data),
        "stockout-spend": stockouts_section(data, currency),
    }
    sections = "".join(
        f'<section id="{anchor}"><h2>{html.escape(label)}</h2>{bodies[anchor]}</section>'
        for anchor, label in SECTIONS
    )
    footer = (
        '<p class="note">Built only from the published marts (published/marts.duckdb); '
        f"money excludes tax, rates are fractions shown as percentages, “{NULL_TEXT}” is a null "
        "(a ratio whose denominator is 0). What every column means: "
        '<a href="../docs/index.html">the marts documentation</a>.</p>'
    )
    title = f"KPI report {data.report_date or ''} ({data.publication.source_mode})"
    return page(title, header(data, monthly_from) + sections + footer, charts.plotly_js_tag())


def scorecard_markdown(data: ReportData, currency: str = "€") -> tuple[str, int]:
    """The scorecard as a markdown table for the Dagster UI, with a status dot per row."""
    dots = {"on_track": "🟢", "at_risk": "🟠", "off_track": "🔴", "no_data": "⚪"}
    dots["provisional"] = "⏳"
    latest = latest_scorecard(data.scorecard, data.report_date)
    rows: list[Sequence[str]] = []
    for row in _records(latest):
        kind = KPI_KINDS.get(row["kpi"], "number")
        rows.append(
            [
                str(row["kpi"]),
                str(as_date(row["period_start"])),
                str(row["owner"] or ""),
                format_value(row["actual"], kind, currency),
                format_value(row["target"], kind, currency),
                f"{dots.get(row['status'], '')} {row['status']}",
            ]
        )
    headers = ["kpi", "period", "owner", "actual", "target", "status"]
    return markdown_table(headers, rows), len(rows)


def report_file_name(publication: Publication) -> str:
    """`{published date}_{run id}.html`: one file per publication, sortable by date."""
    day = publication.published_at.strftime("%Y-%m-%d") if publication.published_at else "undated"
    return f"kpi-report_{day}_{safe_name(publication.run_id)}.html"


def build_kpi_report(warehouse_dir: Path, currency: str = "€") -> KpiReport:
    """Read the publication, write the dated report and replace `latest.html`, both atomically;
    keep the dated reports of the last RETENTION_RUNS publications."""
    data = load_report_data(published_db_path(warehouse_dir))
    text = render_report(data, currency)
    out_dir = WarehouseLayout(Path(warehouse_dir)).reports
    path = write_text_atomic(out_dir / report_file_name(data.publication), text)
    latest = write_text_atomic(out_dir / "latest.html", text)
    prune_oldest(out_dir.glob("kpi-report_*.html"), retention_runs())
    markdown, count = scorecard_markdown(data, currency)
    return KpiReport(path, latest, data.publication, data.report_date, markdown, count)
