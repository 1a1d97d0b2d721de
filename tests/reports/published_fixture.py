"""A small PUBLISHED warehouse: it stands in for the publication step in the report tests.

It writes `published/marts.duckdb` the way orchestration/publication does (contract columns of
the marts the reports read, plus `_published_at`, `_run_id`, `_source_mode` on every table and a
`publication_log` row), without running dbt or the pipeline, so the report tests stay fast and
independent of the other parts of the pipeline. Numbers are deterministic (seeded) and shaped
like the simulated retailer, so the screenshot of a report built from it reads like the real one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

RUN_ID = "fixture-run-0001"
PUBLISHED_AT = datetime(2026, 3, 16, 5, 12, tzinfo=UTC)
REPORT_DATE = date(2026, 3, 15)
MATURITY_DAYS = 45  # the dbt var's default: days up to 2026-01-29 are final
CHANNELS = ("paid_search", "paid_social", "email", "affiliate", "organic_search", "direct")
STORES = (
    ("3012345000017", "PAR-MARAIS", "Paris Marais", "Paris", 2),
    ("3012345000024", "LYO-PRESQUILE", "Lyon Presqu'île", "Lyon", 1),
    ("3012345000031", "BDX-SAINTE-CATHERINE", "Bordeaux Sainte-Catherine", "Bordeaux", 1),
    ("3012345000048", "LIL-VIEUX-LILLE", "Lille Vieux-Lille", "Lille", 1),
    ("3012345000093", "3012345000093", None, None, 1),  # seen in RFID, missing from the seed
)
# base sku, name, brand, category, price, cost, colour (the catalog's colour option)
PRODUCTS = (
    ("TSH-0101-BLU", "Organic cotton T-shirt", "Maison Lune", "tops", 29.0, 9.5, "Blue"),
    ("JKT-0204-NVY", "Wool blend jacket", "Atelier Nord", "outerwear", 189.0, 71.0, "Navy"),
    ("JNS-0310-IND", "Straight jeans", "Denim Co", "bottoms", 89.0, 28.0, "Indigo"),
    ("DRS-0412-RED", "Linen dress", "Maison Lune", "dresses", 119.0, 38.0, "Rouge"),
    ("SNK-0515-WHT", "Leather sneakers", "Pas Léger", "shoes", 129.0, 47.0, "White"),
    ("SWT-0620-GRY", "Merino sweater", "Atelier Nord", "knitwear", 99.0, 33.0, "Grey marl"),
)
# Sizes as the catalog's size option; the sku's suffix only names the variant.
ZONES = ("sales_floor", "backroom", "backroom, sales_floor")
SIZES = {"SNK": ("39", "41", "43"), "JNS": ("W30L32", "W32L32"), "default": ("S", "M", "L")}


@dataclass(frozen=True)
class PublishedFixture:
    """Where the fixture is and the frames it wrote (what the tests compare against)."""

    warehouse_dir: Path
    db_path: Path
    tables: dict[str, pd.DataFrame]


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _div(num: pd.Series, den: pd.Series) -> pd.Series:
    """Ratio with null for a 0 denominator (the contract's rule)."""
    return num / den.where(den != 0)


def daily_measures(report_date: date, days: int, rng: np.random.Generator) -> pd.DataFrame:
    """Additive daily measures (the numerators and denominators of the KPIs)."""
    dates = pd.date_range(end=pd.Timestamp(report_date), periods=days, freq="D")
    t = np.arange(days) / 365.0
    weekly = 1 + 0.12 * np.isin(dates.weekday, [5, 6])
    sessions = np.round(2600 * (1 + 0.15 * t) * weekly * rng.normal(1, 0.05, days))
    conversion = 0.026 * (1 + 0.10 * t) * rng.normal(1, 0.06, days)
    orders = np.round(sessions * conversion)
    net_revenue = orders * 86 * (1 + 0.04 * t) * rng.normal(1, 0.05, days)
    units = np.round(orders * rng.normal(2.1, 0.1, days))
    refunded_units = np.round(units * rng.normal(0.24, 0.03, days))
    ad_spend = np.round(900 * rng.normal(1, 0.15, days), 2)
    ad_spend[-10] = 0.0  # a day without spend: ROAS and CAC are null that day
    tickets = np.round(orders * rng.normal(0.05, 0.01, days))
    rated = np.round(tickets * 0.6)
    good = np.round(rated * rng.normal(0.86, 0.04, days))
    return pd.DataFrame(
        {
            "date": dates,
            "sessions": sessions,
            "orders": orders,
            "cancelled_orders": np.round(orders * 0.02),
            "net_revenue": net_revenue.round(2),
            "units": units,
            "refunded_units": refunded_units,
            "cross_sell_orders": np.round(orders * 0.3),
            "returning_customer_orders": np.round(orders * 0.55),
            "upsell_orders": np.round(orders * 0.1),
            "new_customers": np.round(orders * 0.42),
            "ad_spend": ad_spend,
            "contribution_margin": (net_revenue * rng.normal(0.36, 0.03, days)).round(2),
            "fulfilled_orders": np.round(orders * 0.97),
            "shipped_within_48h_orders": np.round(orders * 0.85),
            "median_processing_hours": rng.normal(30, 4, days).round(1),
            "tickets": tickets,
            "good_ratings": good,
            "bad_ratings": rated - good,
        }
    )


def kpi_frame(m: pd.DataFrame, key: str) -> pd.DataFrame:
    """The KPI columns of mart_kpi_daily / mart_kpi_monthly from additive measures."""
    return pd.DataFrame(
        {
            key: m[key],
            "sessions": m["sessions"].astype("int64"),
            "orders": m["orders"].astype("int64"),
            "cancelled_orders": m["cancelled_orders"].astype("int64"),
            "conversion_rate": _div(m["orders"], m["sessions"]),
            "net_revenue": m["net_revenue"],
            "average_basket": _div(m["net_revenue"], m["orders"]),
            "units_per_order": _div(m["units"], m["orders"]),
            "cross_sell_rate": _div(m["cross_sell_orders"], m["orders"]),
            "upsell_rate": _div(m["upsell_orders"], m["returning_customer_orders"]),
            "new_customers": m["new_customers"].astype("int64"),
            "ad_spend": m["ad_spend"],
            "cac": _div(m["ad_spend"], m["new_customers"]),
            "roas": _div(m["net_revenue"], m["ad_spend"]),
            "contribution_margin": m["contribution_margin"],
            "margin_after_ad_spend": m["contribution_margin"] - m["ad_spend"],
            "return_rate": _div(m["refunded_units"], m["units"]),
            "median_processing_hours": m["median_processing_hours"],
            "shipped_within_48h_rate": _div(m["shipped_within_48h_orders"], m["fulfilled_orders"]),
            "tickets": m["tickets"].astype("int64"),
            "contact_rate": _div(m["tickets"], m["orders"]),
            "csat": _div(m["good_ratings"], m["good_ratings"] + m["bad_ratings"]),
        }
    )


def daily_flags(dates: pd.Series, report_date: date) -> pd.DataFrame:
    """is_complete (the calendar holds complete days only) and is_final (maturity passed)."""
    cutoff = pd.Timestamp(report_date - timedelta(days=MATURITY_DAYS))
    return pd.DataFrame({"is_complete": True, "is_final": dates <= cutoff}, index=dates.index)


def monthly_from(measures: pd.DataFrame, report_date: date = REPORT_DATE) -> pd.DataFrame:
    """A month is complete / final when every one of its days is (the first month of the
    history is partial, the running month is not over)."""
    sums = measures.drop(columns=["median_processing_hours"]).assign(
        month_start=measures["date"].dt.to_period("M").dt.to_timestamp(),
        complete_days=1,
        final_days=daily_flags(measures["date"], report_date)["is_final"].astype(int),
    )
    m = sums.drop(columns=["date"]).groupby("month_start", as_index=False).sum()
    m["median_processing_hours"] = 30.0
    out = kpi_frame(m, "month_start")
    out["active_customers"] = (m["orders"] * 0.95).round().astype("int64")
    out["repeat_customers"] = (m["returning_customer_orders"] * 0.9).round().astype("int64")
    out["repeat_customer_rate"] = _div(out["repeat_customers"], out["active_customers"])
    month_days = m["month_start"].dt.days_in_month
    out["is_complete"] = m["complete_days"] == month_days
    out["is_final"] = out["is_complete"] & (m["final_days"] == month_days)
    return out


def weekly_from(measures: pd.DataFrame, report_date: date = REPORT_DATE) -> pd.DataFrame:
    """ISO weeks (Monday start) as mart_kpi_weekly publishes them: complete / final when all 7
    days are (the running week is not over)."""
    sums = measures.drop(columns=["median_processing_hours"]).assign(
        week_start=measures["date"] - pd.to_timedelta(measures["date"].dt.weekday, unit="D"),
        complete_days=1,
        final_days=daily_flags(measures["date"], report_date)["is_final"].astype(int),
    )
    w = sums.drop(columns=["date"]).groupby("week_start", as_index=False).sum()
    w["median_processing_hours"] = 29.5
    out = kpi_frame(w, "week_start")
    out["is_complete"] = w["complete_days"] == 7
    out["is_final"] = out["is_complete"] & (w["final_days"] == 7)
    return out


def rolling_28d(daily: pd.DataFrame, keys: list[str], sums: list[str]) -> pd.DataFrame:
    """The additive columns of a daily channel / campaign mart summed over the 28 days up to its
    last day, as mart_channel_28d / mart_campaign_28d publish them (ratios added by the caller)."""
    as_of = daily["date"].max()
    window = daily[daily["date"] > as_of - pd.Timedelta(days=28)]
    out = window.groupby(keys, as_index=False).agg(
        **{c: (c, "sum") for c in sums},
        unprofitable_days=("is_unprofitable", "sum"),
    )
    out.insert(0, "window_start_date", as_of - pd.Timedelta(days=27))
    out.insert(0, "as_of_date", as_of)
    out["is_complete"] = True
    out["is_final"] = False
    return out


def channel_28d(daily: pd.DataFrame) -> pd.DataFrame:
    sums = ["sessions", "orders", "new_customers", "net_revenue", "contribution_margin"]
    out = rolling_28d(daily, ["channel"], [*sums, "ad_spend"])
    out["conversion_rate"] = _div(out["orders"], out["sessions"])
    out["cac"] = _div(out["ad_spend"], out["new_customers"])
    out["roas"] = _div(out["net_revenue"], out["ad_spend"])
    out["margin_after_ad_spend"] = out["contribution_margin"] - out["ad_spend"]
    out["is_unprofitable"] = (out["margin_after_ad_spend"] < 0) & (out["ad_spend"] > 0)
    return out


def campaign_28d(daily: pd.DataFrame) -> pd.DataFrame:
    sums = ["impressions", "clicks", "spend", "attributed_orders", "attributed_net_revenue"]
    out = rolling_28d(daily, ["platform", "campaign_id", "campaign_name"], sums)
    margin = rolling_28d(daily, ["platform", "campaign_id"], ["attributed_contribution_margin"])
    out["attributed_contribution_margin"] = margin["attributed_contribution_margin"].to_numpy()
    out["ctr"] = _div(out["clicks"], out["impressions"])
    out["cpc"] = _div(out["spend"], out["clicks"])
    out["roas"] = _div(out["attributed_net_revenue"], out["spend"])
    out["margin_after_ad_spend"] = out["attributed_contribution_margin"] - out["spend"]
    out["is_unprofitable"] = (out["margin_after_ad_spend"] < 0) & (out["spend"] > 0)
    return out


def scorecard() -> pd.DataFrame:
    """Hand-written scorecard as of 2026-03-15 with a 45-day maturity window: December 2025 and
    Q4 2025 are the latest final periods, later ones are `provisional` (tracking_status keeps
    the verdict so far); every status appears, and older periods that must NOT be shown."""
    rows = [
        # period_start, kpi, owner, actual, baseline, target, attainment, status,
        # tracking_status, grain, comparison, is_complete_period, is_final_period
        ("2025-11-01", "conversion_rate", "Head of acquisition", 0.0296, 0.0270, 0.0297,
         0.0296 / 0.0297, "at_risk", "at_risk", "month", "yoy_growth", True, True),
        ("2025-12-01", "conversion_rate", "Head of acquisition", 0.0301, 0.0280, 0.0308,
         0.0301 / 0.0308, "at_risk", "at_risk", "month", "yoy_growth", True, True),
        ("2026-02-01", "conversion_rate", "Head of acquisition", 0.0305, 0.0282, 0.0310,
         0.0305 / 0.0310, "provisional", "at_risk", "month", "yoy_growth", True, False),
        ("2026-03-01", "conversion_rate", "Head of acquisition", 0.0312, 0.0290, 0.0319,
         0.0312 / 0.0319, "provisional", "at_risk", "month", "yoy_growth", False, False),
        ("2025-10-01", "average_basket", "E-merchandising lead", 91.4, 86.2, 90.51,
         91.4 / 90.51, "on_track", "on_track", "quarter", "pop_growth", True, True),
        ("2026-01-01", "average_basket", "E-merchandising lead", 92.8, 91.4, 95.97,
         92.8 / 95.97, "provisional", "at_risk", "quarter", "pop_growth", False, False),
        ("2025-12-01", "csat", "Customer care lead", 0.812, None, 0.90,
         0.812 / 0.90, "off_track", "off_track", "month", "at_least", True, True),
        ("2026-03-01", "csat", "Customer care lead", 0.861, None, 0.90,
         0.861 / 0.90, "provisional", "at_risk", "month", "at_least", False, False),
        ("2025-12-01", "margin_after_ad_spend", "E-commerce director", 12450.25, None, 0.0,
         None, "on_track", "on_track", "month", "greater_than", True, True),
        ("2026-03-01", "margin_after_ad_spend", "E-commerce director", 5210.5, None, 0.0,
         None, "provisional", "on_track", "month", "greater_than", False, False),
        ("2025-12-01", "return_rate", "Logistics lead", None, None, 0.2,
         None, "no_data", "no_data", "month", "at_most", True, True),
    ]  # fmt: skip
    columns = ["period_start", "kpi", "owner", "actual", "baseline", "target", "attainment"]
    columns += ["status", "tracking_status", "grain", "comparison"]
    frame = pd.DataFrame(rows, columns=[*columns, "is_complete_period", "is_final_period"])
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    return frame


def channel_daily(report_date: date, days: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    spend_base = {"paid_search": 420, "paid_social": 380, "affiliate": 90, "email": 25}
    margin_rate = {"paid_search": 0.38, "paid_social": 0.22, "affiliate": 0.30}
    for day in pd.date_range(end=pd.Timestamp(report_date), periods=days, freq="D"):
        for channel in CHANNELS:
            sessions = int(rng.integers(150, 900))
            orders = int(sessions * rng.uniform(0.015, 0.035))
            revenue = round(orders * rng.uniform(70, 100), 2)
            margin = round(revenue * margin_rate.get(channel, 0.36), 2)
            spend = round(spend_base.get(channel, 0) * rng.uniform(0.8, 1.2), 2)
            rows.append((day, channel, sessions, orders, int(orders * 0.4), revenue, margin, spend))
    cols = ["date", "channel", "sessions", "orders", "new_customers", "net_revenue"]
    frame = pd.DataFrame(rows, columns=[*cols, "contribution_margin", "ad_spend"])
    frame["conversion_rate"] = _div(frame["orders"], frame["sessions"])
    frame["cac"] = _div(frame["ad_spend"], frame["new_customers"])
    frame["roas"] = _div(frame["net_revenue"], frame["ad_spend"])
    frame["margin_after_ad_spend"] = frame["contribution_margin"] - frame["ad_spend"]
    frame["is_unprofitable"] = (frame["margin_after_ad_spend"] < 0) & (frame["ad_spend"] > 0)
    return frame


def campaign_daily(report_date: date, days: int, rng: np.random.Generator) -> pd.DataFrame:
    campaigns = [
        ("google_ads", "ga-101", "Search - Brand", "paid_search", 80, 6.0),
        ("google_ads", "ga-102", "Search - Generic jackets", "paid_search", 150, 0.9),
        ("google_ads", "ga-103", "Shopping - All products", "paid_search", 190, 1.6),
        ("meta_ads", "fb-201", "Prospecting - Spring", "paid_social", 170, 0.7),
        ("meta_ads", "fb-202", "Retargeting - Cart", "paid_social", 60, 3.2),
        ("meta_ads", "fb-203", "Catalog - Dynamic ads", "paid_social", 120, 1.1),
    ]
    rows = []
    for day in pd.date_range(end=pd.Timestamp(report_date), periods=days, freq="D"):
        for platform, cid, name, channel, spend, margin_per_euro in campaigns:
            s = round(spend * rng.uniform(0.7, 1.3), 2)
            impressions = int(s * rng.uniform(40, 80))
            clicks = int(impressions * rng.uniform(0.01, 0.04))
            margin = round(s * margin_per_euro * rng.uniform(0.6, 1.4), 2)
            orders = int(margin / 30)
            revenue = round(margin / 0.36, 2)
            rows.append((day, platform, cid, name, channel, impressions, clicks, s, orders,
                         revenue, margin))  # fmt: skip
    cols = ["date", "platform", "campaign_id", "campaign_name", "channel", "impressions"]
    cols += ["clicks", "spend", "attributed_orders", "attributed_net_revenue"]
    frame = pd.DataFrame(rows, columns=[*cols, "attributed_contribution_margin"])
    frame["ctr"] = _div(frame["clicks"], frame["impressions"])
    frame["cpc"] = _div(frame["spend"], frame["clicks"])
    frame["roas"] = _div(frame["attributed_net_revenue"], frame["spend"])
    frame["margin_after_ad_spend"] = frame["attributed_contribution_margin"] - frame["spend"]
    frame["is_unprofitable"] = (frame["margin_after_ad_spend"] < 0) & (frame["spend"] > 0)
    return frame


def support_hourly(report_date: date) -> pd.DataFrame:
    """The 7 x 24 grid as mart_support_hourly publishes it (ISO weekday, every cell present)."""
    names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    rows = []
    for isodow in range(1, 8):
        for hour in range(24):
            base = 2 if 8 <= hour <= 23 else 0
            peak = 10 if hour in (10, 11, 14) else 0
            evening = 14 if 19 <= hour <= 22 else 0
            weekend = 1.4 if isodow >= 6 else 1.0
            tickets = int((base + peak + evening) * weekend)
            orders = int((6 if 7 <= hour <= 23 else 1) * (3 + evening))
            rows.append((isodow, names[isodow - 1], hour, tickets, orders))
    frame = pd.DataFrame(rows, columns=["isodow", "weekday", "hour", "tickets", "orders"])
    frame.insert(0, "window_start_date", pd.Timestamp(report_date - timedelta(days=89)))
    frame.insert(0, "as_of_date", pd.Timestamp(report_date))
    frame["is_business_hours"] = (frame["isodow"] <= 5) & frame["hour"].between(9, 16)
    frame["share_of_tickets"] = frame["tickets"] / frame["tickets"].sum()
    frame["window_tickets"] = frame["tickets"].sum()
    outside = frame.loc[~frame["is_business_hours"], "tickets"].sum()
    frame["out_of_hours_share"] = outside / frame["tickets"].sum()
    frame["tickets_per_100_orders"] = 100 * _div(frame["tickets"], frame["orders"])
    return frame


def products() -> pd.DataFrame:
    rows = []
    for base, name, brand, category, price, cost, colour in PRODUCTS:
        for size in SIZES.get(base[:3], SIZES["default"]):
            stock = 0 if base in ("JKT-0204-NVY", "SNK-0515-WHT") and size != "L" else 40
            barcode = f"{3012345000000 + len(rows)}"
            rows.append((f"{base}-{size}", f"0{barcode}", barcode, base, name, brand, category,
                         colour, size, price, cost, stock))  # fmt: skip
    cols = ["sku", "gtin", "barcode", "product_id", "product_name", "brand", "category"]
    cols += ["colour", "size", "list_price", "unit_cost"]
    return pd.DataFrame(rows, columns=[*cols, "warehouse_available_qty"])


def stores() -> pd.DataFrame:
    cols = ["gln", "store_id", "store_name", "city", "display_min_qty"]
    return pd.DataFrame(list(STORES), columns=cols)


def stockouts(report_date: date, prods: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    out_of_stock = prods[prods["warehouse_available_qty"] == 0]
    rows = []
    for day in pd.date_range(end=pd.Timestamp(report_date), periods=35, freq="D"):
        for sku, name in zip(out_of_stock["sku"], out_of_stock["product_name"], strict=True):
            if rng.random() < 0.5:
                spend = round(rng.uniform(2, 25), 2)
                rows.append((day, "google_ads", "ga-103", "Shopping - All products", sku, name,
                             day, 0, 1, int(spend * 60), int(spend * 2), spend))  # fmt: skip
    cols = ["date", "platform", "campaign_id", "campaign_name", "sku", "product_name"]
    cols += ["stock_snapshot_date", "warehouse_available_qty", "ads", "impressions", "clicks"]
    return pd.DataFrame(rows, columns=[*cols, "spend"])


def stockouts_28d(daily: pd.DataFrame, report_date: date) -> pd.DataFrame:
    """Per sku over the 28 days up to the last day, as mart_ad_spend_on_stockouts_28d publishes."""
    window = daily.assign(campaign=daily["campaign_name"].fillna(daily["campaign_id"]))
    as_of = pd.Timestamp(report_date)
    window = window[window["date"] > as_of - pd.Timedelta(days=28)]
    out = window.groupby(["sku", "product_name"], as_index=False).agg(
        spend=("spend", "sum"),
        spend_days=("date", "nunique"),
        platforms=("platform", lambda v: ", ".join(sorted(set(v)))),
        campaigns=("campaign", lambda v: ", ".join(sorted(set(v)))),
    )
    out.insert(0, "window_start_date", as_of - pd.Timedelta(days=27))
    out.insert(0, "as_of_date", as_of)
    out["window_spend"] = out["spend"].sum()
    return out


def picking_candidates(report_date: date, prods: pd.DataFrame, rng: np.random.Generator):
    """Candidates with the mart's columns and its priority rule (stockouts, margin, store, sku)."""
    display_min = {s[1]: s[4] for s in STORES}
    rows = []
    for _, p in prods.iterrows():
        for store in STORES:
            if rng.random() > 0.3:
                continue
            on_hand = int(rng.integers(max(4, display_min[store[1]] + 1), 10))  # cover >= 90
            depletion = int(rng.integers(0, 2))
            cover = on_hand / (depletion / 28) if depletion else None
            since = int(rng.integers(30, 200)) if depletion or rng.random() < 0.5 else None
            transferable = on_hand - display_min[store[1]]
            rows.append(
                {
                    "as_of_date": pd.Timestamp(report_date),
                    "store_id": store[1],
                    "sku": p["sku"],
                    "gtin": p["gtin"],
                    "product_name": p["product_name"],
                    "category": p["category"],
                    "on_hand_qty": on_hand,
                    "last_count_date": pd.Timestamp(report_date - timedelta(days=1)),
                    "depletion_28d": depletion,
                    "avg_daily_depletion": depletion / 28,
                    "days_of_cover": cover,
                    "days_since_last_depletion": since,
                    "online_units_sold_28d": int(rng.integers(1, 30)),
                    "warehouse_available_qty": p["warehouse_available_qty"],
                    "online_stockout": p["warehouse_available_qty"] == 0,
                    "transferable_qty": transferable,
                    "unit_price": p["list_price"],
                    "unit_cost": p["unit_cost"],
                    "potential_margin": transferable * (p["list_price"] - p["unit_cost"]),
                    "last_count_zones": ZONES[len(rows) % len(ZONES)],
                }
            )
    frame = pd.DataFrame(rows)
    frame = frame.sort_values(
        ["online_stockout", "potential_margin", "store_id", "sku"],
        ascending=[False, False, True, True],
    ).reset_index(drop=True)
    frame["priority_rank"] = np.arange(1, len(frame) + 1)
    # An older run's row that must not reach the sheets (the sheets take the latest day only).
    stale = frame.iloc[[0]].assign(as_of_date=pd.Timestamp(report_date - timedelta(days=1)))
    # Stored shuffled: the sheets must sort by priority_rank themselves.
    return pd.concat([frame.sample(frac=1, random_state=3), stale], ignore_index=True)


def build_tables(report_date: date = REPORT_DATE, seed: int = 7) -> dict[str, pd.DataFrame]:
    rng = _rng(seed)
    measures = daily_measures(report_date, 430, rng)
    prods = products()
    channels = channel_daily(report_date, 45, rng)
    campaigns = campaign_daily(report_date, 45, rng)
    spend_on_stockouts = stockouts(report_date, prods, rng)
    return {
        "mart_kpi_scorecard": scorecard(),
        "mart_kpi_daily": pd.concat(
            [kpi_frame(measures, "date"), daily_flags(measures["date"], report_date)], axis=1
        ),
        "mart_kpi_weekly": weekly_from(measures, report_date),
        "mart_kpi_monthly": monthly_from(measures, report_date),
        "mart_channel_daily": channels,
        "mart_channel_28d": channel_28d(channels),
        "mart_campaign_daily": campaigns,
        "mart_campaign_28d": campaign_28d(campaigns),
        "mart_support_hourly": support_hourly(report_date),
        "mart_ad_spend_on_stockouts": spend_on_stockouts,
        "mart_ad_spend_on_stockouts_28d": stockouts_28d(spend_on_stockouts, report_date),
        "mart_store_picking_candidates": picking_candidates(report_date, prods, rng),
        "dim_products": prods,
        "dim_stores": stores(),
    }


DATE_COLUMNS = {"date", "week_start", "month_start", "period_start", "as_of_date"}
DATE_COLUMNS |= {"window_start_date"}
DATE_COLUMNS |= {"last_count_date", "stock_snapshot_date"}


def write_published(
    warehouse_dir: Path,
    source_mode: str = "demo",
    run_id: str = RUN_ID,
    published_at: datetime = PUBLISHED_AT,
    tables: dict[str, pd.DataFrame] | None = None,
) -> PublishedFixture:
    """Write published/marts.duckdb with every table stamped like the publication step does."""
    tables = tables if tables is not None else build_tables()
    db_path = Path(warehouse_dir) / "published" / "marts.duckdb"
    db_path.parent.mkdir(parents=True, exist_ok=True)
    db_path.unlink(missing_ok=True)
    con = duckdb.connect(str(db_path))
    try:
        for name, frame in tables.items():
            con.register("frame", frame)
            casts = ", ".join(
                f"cast({c} as date) as {c}" for c in frame.columns if c in DATE_COLUMNS
            )
            replace = f" replace ({casts})" if casts else ""
            con.execute(
                f"create table {name} as select *{replace}, "
                "$published_at::timestamptz as _published_at, $run_id as _run_id, "
                "$mode as _source_mode from frame",
                {"published_at": published_at, "run_id": run_id, "mode": source_mode},
            )
            con.unregister("frame")
        con.execute(
            "create table publication_log (published_at timestamptz, run_id varchar, "
            "source_mode varchar, partition_start date, partition_end date, row_counts json, "
            "checks json)"
        )
        con.execute(
            "insert into publication_log values (?, ?, ?, ?, ?, ?, ?)",
            [
                published_at,
                run_id,
                source_mode,
                REPORT_DATE - timedelta(days=59),
                REPORT_DATE,
                json.dumps({k: len(v) for k, v in tables.items()}),
                json.dumps({"mart_kpi_daily:suite": "passed", "mart_kpi_scorecard:suite": "warn"}),
            ],
        )
    finally:
        con.close()
    return PublishedFixture(Path(warehouse_dir), db_path, tables)
