"""A small hand-made landing zone whose every KPI is worked out by hand (tests/dbt/FIXTURE.md).

The fixture is written directly as Parquet with the schemas of the landing contract
(`orchestration.sources.LANDING_DATASETS`), one file per source x dataset x day, every day of the
range, empty or not.
Nothing here is computed by the code under test: the expected values live as literals in
`test_fixture_kpis.py`, with the arithmetic next to them.

Story (shop time zone Europe/Paris, winter: UTC+1):
- RFID cycle counts every day from Mon 2025-01-06 to Mon 2025-02-10 in two stores
  (PAR-MARAIS display_min 2, LYO-PRESQUILE display_min 1).
- Orders, sessions, ad spend Mon 2025-02-03 .. Thu 2025-02-06; a fulfilment lands Fri 02-07,
  a Saturday ticket 02-08, and a partial refund of order #1003 lands Mon 2025-02-10 as a new
  version of the order. The run's day D = partition_end = 2025-02-10.
- The edges of "complete and final" (FIXTURE.md): an order of Fri 01-03, a day no extract
  covered, lands only with its refund on 02-07; an order of Wed 01-08 is refunded four weeks
  later (02-05); an order of Sun 02-09 00:30 is unshipped 47.5 h before the as-of time; a ticket
  carries a contact reason missing from the mapping; GA4 flags a thresholded, a sampled and a
  merged day; the bag is oversold (-2); a Lyon dress pair is counted for 10 days only and the
  Lyon scarf just received stock.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.sources import LANDING_DATASETS

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC

FIRST_DAY = dt.date(2025, 1, 6)  # first landed day (first RFID counts)
KPI_DAYS = [dt.date(2025, 2, d) for d in (3, 4, 5, 6)]  # orders, sessions, spend
LAST_DAY = dt.date(2025, 2, 10)  # late refund lands; the run's day D
SOURCE_MODE = "live"


def paris(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A 2025 wall-clock time in Paris, as an aware UTC datetime."""
    return dt.datetime(2025, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def paris_date(ts: dt.datetime) -> dt.date:
    return ts.astimezone(PARIS).date()


def d(value: str) -> Decimal:
    return Decimal(value)


# --------------------------------------------------------------------------------------------
# Catalog (identical snapshot every day). Prices as the shop stores them (tax included, 20 %).
# --------------------------------------------------------------------------------------------


def gtin_check_digit(body: str) -> str:
    """GS1 check digit: weights 3,1,3,... from the rightmost digit of the body."""
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def ean13(item_ref: str) -> str:
    body = "3012345" + item_ref
    return body + gtin_check_digit(body)


# sku: (item_ref, product_id, title, vendor, category, price, unit_cost, warehouse_available_qty)
CATALOG: dict[str, tuple[str, str, str, str, str, str, str, int]] = {
    "DRS-RED-M": (
        "00101",
        "11",
        "Red Wrap Dress",
        "Maison Rouge",
        "Dresses",
        "120.00",
        "40.00",
        10,
    ),
    "DRS-SILK-M": (
        "00102",
        "12",
        "Silk Slip Dress",
        "Maison Rouge",
        "Dresses",
        "180.00",
        "60.00",
        5,
    ),
    "SHO-SNK-40": ("00201", "21", "Canvas Sneaker", "Pas Vite", "Shoes", "60.00", "20.00", 8),
    "ACC-SCF-01": ("00301", "31", "Wool Scarf", "Atelier Nord", "Accessories", "36.00", "10.00", 3),
    "ACC-BAG-01": (  # oversold: Shopify allows negative available stock
        "00302",
        "32",
        "Leather Bag",
        "Atelier Nord",
        "Accessories",
        "96.00",
        "30.00",
        -2,
    ),
    "ACC-HAT-01": ("00303", "33", "Felt Hat", "Atelier Nord", "Accessories", "24.00", "8.00", 5),
}


# sku: (colour, size) as the extractor lands them from the variant's selectedOptions; the scarf and
# the bag are one-size (a colour option only), the hat has no option at all (Shopify's "Default").
OPTIONS: dict[str, tuple[str | None, str | None]] = {
    "DRS-RED-M": ("Red", "M"),
    "DRS-SILK-M": ("Ivory", "M"),
    "SHO-SNK-40": ("White", "40"),
    "ACC-SCF-01": ("Grey marl", None),
    "ACC-BAG-01": ("Tan", None),
    "ACC-HAT-01": (None, None),
}


def gtin14(sku: str) -> str:
    return "0" + ean13(CATALOG[sku][0])


# --------------------------------------------------------------------------------------------
# Orders. Lines: (sku, quantity, original_unit_price, discount_amount, tax_amount).
# --------------------------------------------------------------------------------------------

GOOGLE = ("google", "cpc")
META = ("facebook", "paid_social")

ORDERS: list[dict] = [
    {  # C1's first order; tax included; two categories; fulfilled in two shipments
        "num": 1001,
        "created": paris(2, 3, 10),
        "customer": "1",
        "taxes_included": True,
        "utm": (*GOOGLE, "1100"),
        "lines": [
            ("DRS-RED-M", 1, "120.00", "0", "20.00"),
            ("ACC-SCF-01", 1, "36.00", "0", "6.00"),
        ],
        "fulfillments": [paris(2, 4, 10), paris(2, 5, 10)],
    },
    {  # C3's order, cancelled the same day: counts only in cancelled_orders
        "num": 1002,
        "created": paris(2, 3, 12),
        "customer": "3",
        "taxes_included": True,
        "utm": (*META, "2300"),
        "lines": [("ACC-SCF-01", 2, "36.00", "0", "12.00")],
        "cancelled": paris(2, 3, 13),
    },
    {  # C2's first order; NOT tax included; discount on the bag; partial refund on 02-10
        "num": 1003,
        "created": paris(2, 3, 15),
        "customer": "2",
        "taxes_included": False,
        "utm": (*META, "2300"),
        "lines": [
            ("SHO-SNK-40", 2, "50.00", "0", "20.00"),
            ("ACC-BAG-01", 1, "80.00", "10.00", "14.00"),
        ],
        "fulfillments": [paris(2, 6, 15)],
        "refunds": [
            ("7001", paris(2, 10, 11), 0, 1, "50.00")
        ],  # (id, at, line index, qty, subtotal)
    },
    {  # test order: excluded everywhere
        "num": 1004,
        "created": paris(2, 3, 20),
        "customer": "9",
        "taxes_included": True,
        "utm": None,
        "lines": [("ACC-SCF-01", 1, "36.00", "0", "6.00")],
        "test": True,
    },
    {  # C3's first COUNTED order, 00:30 Paris = 23:30 UTC the previous day; direct
        "num": 1005,
        "created": paris(2, 4, 0, 30),
        "customer": "3",
        "taxes_included": True,
        "utm": None,
        "lines": [("SHO-SNK-40", 1, "60.00", "0", "10.00")],
        "fulfillments": [paris(2, 4, 10, 30)],
    },
    {  # C1 returns and upsells in Dresses (150 ex tax > 100 ex tax)
        "num": 1006,
        "created": paris(2, 5, 11),
        "customer": "1",
        "taxes_included": True,
        "utm": (*GOOGLE, "1100"),
        "lines": [("DRS-SILK-M", 1, "180.00", "0", "30.00")],
        "fulfillments": [paris(2, 5, 13)],
    },
    {  # C2 returns, same shoes at the same ex-tax price (50 = 50): not an upsell; unfulfilled
        "num": 1007,
        "created": paris(2, 6, 9, 30),
        "customer": "2",
        "taxes_included": True,
        "utm": (*GOOGLE, "1100"),
        "lines": [("SHO-SNK-40", 1, "60.00", "0", "10.00")],
    },
    {  # C1 returns, first shoes ever: nothing to compare with, not an upsell; direct
        "num": 1008,
        "created": paris(2, 6, 14),
        "customer": "1",
        "taxes_included": True,
        "utm": None,
        "lines": [("SHO-SNK-40", 2, "60.00", "0", "20.00")],
        "fulfillments": [paris(2, 7, 14)],
    },
    {  # C4, Fri 01-03: no extract covered that day; the order lands only with its refund (02-07)
        "num": 1009,
        "created": paris(1, 3, 14),
        "customer": "4",
        "taxes_included": False,
        "utm": None,
        "lines": [("ACC-HAT-01", 1, "20.00", "0", "4.00")],
        "fulfillments": [paris(1, 4, 10)],
        "refunds": [("7002", paris(2, 7, 11), 0, 1, "20.00")],
    },
    {  # C5, Wed 01-08 (a complete day), refunded four weeks later (02-05)
        "num": 1010,
        "created": paris(1, 8, 11),
        "customer": "5",
        "taxes_included": False,
        "utm": None,
        "lines": [("DRS-RED-M", 1, "100.00", "0", "20.00")],
        "fulfillments": [paris(1, 9, 10)],
        "refunds": [("7003", paris(2, 5, 10), 0, 1, "100.00")],
    },
    {  # C6, Sun 02-09 00:30 Paris (Sat 23:30 UTC), unfulfilled: 47.5 h before the as-of time
        "num": 1011,
        "created": paris(2, 9, 0, 30),
        "customer": "6",
        "taxes_included": True,
        "utm": None,
        "lines": [("DRS-SILK-M", 1, "180.00", "0", "30.00")],
    },
]


def order_gid(num: int) -> str:
    return f"gid://shopify/Order/{num}"


def line_gid(num: int, index: int) -> str:
    return f"gid://shopify/LineItem/{num}{index + 1:02d}"


# --------------------------------------------------------------------------------------------
# Ads. Campaign rows per day; product-level rows break them down (never added to totals).
# --------------------------------------------------------------------------------------------

# (campaign_id, name, impressions, clicks, {day: spend})
GOOGLE_CAMPAIGNS = [
    ("1100", "Search - Brand", 1000, 50, {3: "20.00", 4: "20.00", 5: "30.00", 6: "25.00"}),
    ("1200", "Shopping - Accessories", 500, 20, {3: "10.00", 4: "10.00", 5: "10.00", 6: "10.00"}),
]
# (day, campaign_id, sku, impressions, clicks, spend)
GOOGLE_PRODUCTS = [
    (3, "1200", "ACC-BAG-01", 200, 8, "4.00"),
    (3, "1200", "DRS-RED-M", 300, 12, "6.00"),
    (4, "1200", "ACC-BAG-01", 200, 8, "4.00"),
    (4, "1200", "DRS-RED-M", 300, 12, "6.00"),
    (5, "1200", "DRS-RED-M", 500, 20, "10.00"),
    (6, "1200", "DRS-RED-M", 500, 20, "10.00"),
]
META_CAMPAIGNS = [
    ("2300", "Prospecting - Winter", 2000, 40, {3: "30.00", 4: "30.00", 5: "40.00", 6: "40.00"}),
]
# (day, campaign_id, ad_id, sku or None, impressions, clicks, spend)
META_ADS = [
    (3, "2300", "A-2", None, 2000, 40, "30.00"),
    (4, "2300", "A-2", None, 2000, 40, "30.00"),
    (5, "2300", "A-1", "ACC-BAG-01", 400, 10, "5.00"),
    (5, "2300", "A-2", None, 1600, 30, "35.00"),
    (6, "2300", "A-2", None, 2000, 40, "40.00"),
]

# GA4: day -> [(source, medium, campaign, sessions)]; 100 sessions a day
GA4 = {
    3: [
        ("google", "cpc", "1100", 40),
        ("facebook", "paid_social", "2300", 30),
        ("(direct)", "(none)", "(direct)", 30),
    ],
    4: [
        ("google", "cpc", "1100", 50),
        ("facebook", "paid_social", "2300", 25),
        ("(direct)", "(none)", "(direct)", 25),
    ],
    5: [
        ("google", "cpc", "1100", 60),
        ("facebook", "paid_social", "2300", 20),
        ("(direct)", "(none)", "(direct)", 20),
    ],
    6: [
        ("google", "cpc", "1100", 40),
        ("facebook", "paid_social", "2300", 40),
        ("(direct)", "(none)", "(direct)", 20),
    ],
}

# GA4 report metadata, one row per landed day: day -> (thresholding, other row, sampled)
GA4_METADATA = {
    dt.date(2025, 2, 4): (False, True, False),
    dt.date(2025, 2, 5): (True, False, False),
    dt.date(2025, 2, 6): (False, False, True),
}

# --------------------------------------------------------------------------------------------
# Zendesk tickets. Versions: [(updated_at, status, satisfaction, first_reply, full_resolution)].
# --------------------------------------------------------------------------------------------

TICKETS: list[dict] = [
    {
        "id": 501,
        "created": paris(2, 3, 9),
        "channel": "email",
        "reason": "reason_delivery",
        "order": "#1001",
        "versions": [(paris(2, 3, 11), "solved", "good", 30, 120)],
    },
    {
        "id": 502,
        "created": paris(2, 4, 17),
        "channel": "web",
        "reason": "reason_product",
        "order": "#1005",
        "versions": [
            (paris(2, 4, 18), "open", "unoffered", 60, None),
            (paris(2, 5, 3), "solved", "bad", 60, 600),
        ],
    },
    {
        "id": 503,
        "created": paris(2, 5, 8, 30),
        "channel": "chat",
        "reason": "reason_return",
        "order": "#1003",
        "versions": [
            (paris(2, 5, 8, 40), "open", "unoffered", 10, None),
            (paris(2, 6, 8, 30), "solved", "offered", 10, 1440),
        ],
    },
    {
        "id": 504,
        "created": paris(2, 6, 0, 30),
        "channel": "email",
        "reason": "reason_delivery",
        "order": "#1006",
        "versions": [(paris(2, 6, 9, 30), "open", "unoffered", 540, None)],
    },
    {
        "id": 505,
        "created": paris(2, 6, 16, 59),
        "channel": "email",
        "reason": "reason_tracking",
        "order": "#1007",
        "versions": [(paris(2, 6, 20, 19), "solved", "good", 20, 200)],
    },
    {
        "id": 506,
        "created": paris(2, 8, 11),
        "channel": "web",
        "reason": "reason_payment",
        "order": None,
        "versions": [(paris(2, 8, 14), "solved", "good", 120, 180)],
    },
    {
        "id": 507,
        "created": paris(2, 6, 12),
        "channel": "email",
        "reason": "reason_damaged",
        "order": "#1008",
        "versions": [(paris(2, 6, 18, 40), "solved", "bad", 100, 400)],
    },
    {
        "id": 508,
        "created": paris(2, 6, 14),
        "channel": "chat",
        "reason": "reason_product",
        "order": None,
        "versions": [(paris(2, 6, 14, 45), "solved", "unoffered", 15, 45)],
    },
    {  # a contact reason missing from seeds/ticket_reason_mapping.csv
        "id": 509,
        "created": paris(2, 7, 10),
        "channel": "email",
        "reason": "reason_gift_card",
        "order": None,
        "versions": [(paris(2, 7, 10, 30), "solved", "unoffered", 30, 60)],
    },
]

# --------------------------------------------------------------------------------------------
# RFID: two stores counted every day at 07:00 Paris, two zones each.
# --------------------------------------------------------------------------------------------

STORE_PAR = "3012345000017"  # PAR-MARAIS, display_min_qty 2
STORE_LYO = "3012345000024"  # LYO-PRESQUILE, display_min_qty 1
STORE_UNKNOWN = "3012345000093"  # store 9: counted by RFID but missing from the seed


def snk_lyo_on_hand(day: dt.date) -> int:
    """LYO x SHO-SNK-40: the selling line (class-level counts)."""
    steps = [
        (dt.date(2025, 1, 6), 12),
        (dt.date(2025, 1, 13), 10),  # -2 on D-28 exactly: outside (D-28, D]
        (dt.date(2025, 1, 20), 8),  # -2
        (dt.date(2025, 1, 27), 11),  # +3 receipt
        (dt.date(2025, 2, 3), 7),  # -4
        (dt.date(2025, 2, 10), 6),  # -1
    ]
    qty = 0
    for start, value in steps:
        if day >= start:
            qty = value
    return qty


def _daterange(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


# --------------------------------------------------------------------------------------------
# Writer
# --------------------------------------------------------------------------------------------


class _Landing:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, dt.date], list[dict]] = defaultdict(list)

    def add(self, source: str, dataset: str, day: dt.date, row: dict) -> None:
        self.rows[(source, dataset, day)].append(row)

    def write(self, warehouse_dir: Path) -> None:
        for day in _daterange(FIRST_DAY, LAST_DAY):
            extracted = dt.datetime.combine(
                day + dt.timedelta(days=1), dt.time(1), PARIS
            ).astimezone(UTC)
            for source, datasets in LANDING_DATASETS.items():
                for dataset, schema in datasets.items():
                    rows = [
                        {
                            **row,
                            "_partition_date": day,
                            "_extracted_at": extracted,
                            "_source_mode": SOURCE_MODE,
                        }
                        for row in self.rows.get((source, dataset, day), [])
                    ]
                    table = (
                        pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
                    )
                    folder = (
                        warehouse_dir / "landing" / source / dataset / f"date={day.isoformat()}"
                    )
                    folder.mkdir(parents=True, exist_ok=True)
                    pq.write_table(table, folder / "data.parquet")


def _add_orders(landing: _Landing) -> None:
    for order in ORDERS:
        num = order["num"]
        fulfillments = order.get("fulfillments", [])
        refunds = order.get("refunds", [])
        cancelled = order.get("cancelled")
        events = [order["created"], *fulfillments, *(r[1] for r in refunds)]
        if cancelled:
            events.append(cancelled)
        # a daily run lands the order once per Paris day it changed, as of that day's last change
        versions: dict[dt.date, dt.datetime] = {}
        for ts in events:
            day = paris_date(ts)
            versions[day] = max(versions.get(day, ts), ts)
        for day, updated in sorted(versions.items()):
            utm = order["utm"]
            landing.add(
                "shop",
                "orders",
                day,
                {
                    "order_id": order_gid(num),
                    "order_name": f"#{num}",
                    "created_at": order["created"],
                    "updated_at": updated,
                    "processed_at": order["created"],
                    "cancelled_at": cancelled if cancelled and cancelled <= updated else None,
                    "is_test": order.get("test", False),
                    "currency_code": "EUR",
                    "taxes_included": order["taxes_included"],
                    "customer_id": f"gid://shopify/Customer/{order['customer']}",
                    "source_name": "web",
                    "landing_page": (
                        f"https://shop.example/?utm_source={utm[0]}&utm_medium={utm[1]}&utm_campaign={utm[2]}"
                        if utm
                        else "https://shop.example/"
                    ),
                    "utm_source": utm[0] if utm else None,
                    "utm_medium": utm[1] if utm else None,
                    "utm_campaign": utm[2] if utm else None,
                    "utm_content": None,
                    "utm_term": None,
                    "payload": json.dumps(
                        {"id": order_gid(num), "name": f"#{num}", "updatedAt": updated.isoformat()}
                    ),
                },
            )
            for index, (sku, qty, price, discount, tax) in enumerate(order["lines"]):
                landing.add(
                    "shop",
                    "order_lines",
                    day,
                    {
                        "order_id": order_gid(num),
                        "order_updated_at": updated,
                        "line_id": line_gid(num, index),
                        "sku": sku,
                        "quantity": qty,
                        "original_unit_price": d(price),
                        "discount_amount": d(discount),
                        "tax_amount": d(tax),
                    },
                )
            for index, created in enumerate(f for f in fulfillments if f <= updated):
                landing.add(
                    "shop",
                    "fulfillments",
                    day,
                    {
                        "order_id": order_gid(num),
                        "order_updated_at": updated,
                        "fulfillment_index": index,
                        "created_at": created,
                        "status": "SUCCESS",
                    },
                )
            for refund_id, created, line_index, qty, subtotal in refunds:
                if created <= updated:
                    landing.add(
                        "shop",
                        "refund_lines",
                        day,
                        {
                            "order_id": order_gid(num),
                            "order_updated_at": updated,
                            "refund_id": f"gid://shopify/Refund/{refund_id}",
                            "refund_created_at": created,
                            "line_id": line_gid(num, line_index),
                            "quantity": qty,
                            "subtotal": d(subtotal),
                        },
                    )


def _add_catalog(landing: _Landing) -> None:
    for day in _daterange(FIRST_DAY, LAST_DAY):
        snapshot = dt.datetime.combine(day, dt.time(23), PARIS).astimezone(UTC)
        for sku, (ref, pid, title, vendor, category, price, cost, qty) in CATALOG.items():
            landing.add(
                "shop",
                "product_variants",
                day,
                {
                    "variant_id": f"gid://shopify/ProductVariant/{pid}01",
                    "sku": sku,
                    "barcode": ean13(ref),
                    "gtin14": gtin14(sku),
                    "price": d(price),
                    "shop_taxes_included": True,  # the shop's setting: prices include VAT
                    "product_id": f"gid://shopify/Product/{pid}",
                    "product_title": title,
                    "vendor": vendor,
                    "product_type": category,
                    "colour": OPTIONS[sku][0],
                    "size": OPTIONS[sku][1],
                    "unit_cost": d(cost),
                    "warehouse_available_qty": qty,
                    "snapshot_at": snapshot,
                    "payload": json.dumps({"sku": sku}),
                },
            )


# The conversions the platforms attribute to themselves: (campaign, day) -> (count, value)
PLATFORM_CONVERSIONS = {("1100", 3): (2.0, "260.00"), ("2300", 3): (1.5, "170.00")}


def _metrics(impressions: int, clicks: int, spend: str, conversions=(0.0, "0")) -> dict:
    return {
        "impressions": impressions,
        "clicks": clicks,
        "spend": d(spend),
        "conversions": conversions[0],
        "conversions_value": d(conversions[1]),
    }


def _add_ads_and_sessions(landing: _Landing) -> None:
    for campaign_id, name, impressions, clicks, spends in GOOGLE_CAMPAIGNS:
        for day_num, spend in spends.items():
            day = dt.date(2025, 2, day_num)
            landing.add(
                "google_ads",
                "campaign_stats",
                day,
                {
                    "date": day,
                    "campaign_id": campaign_id,
                    "campaign_name": name,
                    "cost_micros": int(d(spend) * 1_000_000),
                    **_metrics(
                        impressions,
                        clicks,
                        spend,
                        PLATFORM_CONVERSIONS.get((campaign_id, day_num), (0.0, "0")),
                    ),
                    "payload": json.dumps({"campaign": {"id": campaign_id}}),
                },
            )
    for day_num, campaign_id, sku, impressions, clicks, spend in GOOGLE_PRODUCTS:
        day = dt.date(2025, 2, day_num)
        landing.add(
            "google_ads",
            "product_stats",
            day,
            {
                "date": day,
                "campaign_id": campaign_id,
                "sku": sku,
                "cost_micros": int(d(spend) * 1_000_000),
                **_metrics(impressions, clicks, spend),
                "payload": json.dumps({"segments": {"productItemId": sku}}),
            },
        )
    for campaign_id, name, impressions, clicks, spends in META_CAMPAIGNS:
        for day_num, spend in spends.items():
            day = dt.date(2025, 2, day_num)
            landing.add(
                "meta_ads",
                "campaign_insights",
                day,
                {
                    "date": day,
                    "campaign_id": campaign_id,
                    "campaign_name": name,
                    **_metrics(
                        impressions,
                        clicks,
                        spend,
                        PLATFORM_CONVERSIONS.get((campaign_id, day_num), (0.0, "0")),
                    ),
                    "payload": json.dumps({"campaign_id": campaign_id}),
                },
            )
    for day_num, campaign_id, ad_id, sku, impressions, clicks, spend in META_ADS:
        day = dt.date(2025, 2, day_num)
        landing.add(
            "meta_ads",
            "ad_insights",
            day,
            {
                "date": day,
                "campaign_id": campaign_id,
                "ad_id": ad_id,
                "sku": sku,
                **_metrics(impressions, clicks, spend),
                "payload": json.dumps({"ad_id": ad_id}),
            },
        )
    for day in _daterange(FIRST_DAY, LAST_DAY):
        thresholded, other_row, sampled = GA4_METADATA.get(day, (False, False, False))
        landing.add(
            "ga4",
            "report_metadata",
            day,
            {
                "date": day,
                "subject_to_thresholding": thresholded,
                "data_loss_from_other_row": other_row,
                "is_sampled": sampled,
                "payload": json.dumps({"subjectToThresholding": thresholded}),
            },
        )
    for day_num, rows in GA4.items():
        day = dt.date(2025, 2, day_num)
        for source, medium, campaign, sessions in rows:
            landing.add(
                "ga4",
                "sessions",
                day,
                {
                    "date": day,
                    "session_source": source,
                    "session_medium": medium,
                    "session_campaign_name": campaign,
                    "sessions": sessions,
                    "total_users": sessions,
                    "add_to_carts": 0,
                    "payload": json.dumps({"sessions": str(sessions)}),
                },
            )


def _add_tickets(landing: _Landing) -> None:
    for ticket in TICKETS:
        for updated, status, score, reply, resolution in ticket["versions"]:
            landing.add(
                "zendesk",
                "tickets",
                paris_date(updated),
                {
                    "ticket_id": ticket["id"],
                    "created_at": ticket["created"],
                    "updated_at": updated,
                    "status": status,
                    "channel": ticket["channel"],
                    "tags": [ticket["reason"], "fixture"],
                    "reason_tag": ticket["reason"],
                    "order_number": ticket["order"],
                    "satisfaction_score": score,
                    "first_reply_minutes": reply,
                    "full_resolution_minutes": resolution,
                    "payload": json.dumps({"id": ticket["id"], "status": status}),
                },
            )


def _rfid_stock(day: dt.date) -> dict[str, dict[str, list]]:
    """store -> zone -> observations [(sku, serial or None, quantity)] of that day's count."""
    scarf = (
        ["S1", "S2", "S3", "S4", "S5", "S6", "S7"]
        if day < dt.date(2025, 1, 13)
        else ["S1", "S2", "S3", "S4", "S5", "S6"]
    )
    par_floor = [("ACC-SCF-01", f"SCF{s}", 1) for s in scarf[:-2]]  # e.g. S1..S5 (7) / S1..S4 (6)
    par_back = [
        ("ACC-SCF-01", f"SCF{s}", 1) for s in scarf[-3:]
    ]  # overlaps the floor by one serial
    par_floor += [("DRS-RED-M", f"RED{i}", 1) for i in (1, 2)]
    if day <= dt.date(2025, 1, 31):  # the silk dress pair is no longer seen from 02-01 on
        par_floor += [("DRS-SILK-M", f"SILK{i}", 1) for i in range(1, 6)]
    snk = snk_lyo_on_hand(day)
    lyo_floor = [("SHO-SNK-40", None, snk - 2), ("ACC-BAG-01", None, 2)]
    lyo_back = [("SHO-SNK-40", None, 2), ("ACC-HAT-01", None, 4)]
    # the scarf in Lyon: 3 since 01-06, a delivery of 4 on 02-01 (stock just received)
    lyo_back.append(("ACC-SCF-01", None, 3 if day < dt.date(2025, 2, 1) else 7))
    if day >= dt.date(2025, 1, 31):  # the red dress in Lyon: counted from 01-31 only (10 days)
        lyo_floor.append(("DRS-RED-M", None, 5 if day < dt.date(2025, 2, 5) else 4))
    return {
        STORE_PAR: {"sales_floor": par_floor, "backroom": par_back},
        STORE_LYO: {"sales_floor": lyo_floor, "backroom": lyo_back},
        # never sold online: not a picking candidate whatever its store's display minimum
        STORE_UNKNOWN: {"sales_floor": [("ACC-HAT-01", None, 3)]},
    }


def _add_rfid(landing: _Landing) -> None:
    for day in _daterange(FIRST_DAY, LAST_DAY):
        at = dt.datetime.combine(day, dt.time(7), PARIS).astimezone(UTC)
        for store, zones in _rfid_stock(day).items():
            for zone, observations in zones.items():
                event_id = f"ev-{store[-3:]}-{zone}-{day.isoformat()}"
                _add_rfid_event(
                    landing, day, event_id, at, "cycle_counting", store, zone, observations
                )
    # a receiving event must be ignored (only cycle counts make stock)
    _add_rfid_event(
        landing,
        LAST_DAY,
        "ev-lyo-receiving",
        paris(2, 10, 9),
        "receiving",
        STORE_LYO,
        "backroom",
        [("SHO-SNK-40", None, 5)],
    )


def _add_rfid_event(landing, day, event_id, at, biz_step, store, zone, observations) -> None:
    read_point = f"urn:epc:id:sgln:3012345.{store[7:12]}.{zone}"
    landing.add(
        "rfid",
        "events",
        day,
        {
            "event_id": event_id,
            "event_time": at,
            "event_time_zone_offset": "+01:00",
            "biz_step": biz_step,
            "store_gln": store,
            "read_point": read_point,
            "payload": json.dumps({"eventID": event_id, "bizStep": biz_step}),
        },
    )
    for sku, serial, qty in observations:
        landing.add(
            "rfid",
            "observations",
            day,
            {
                "event_id": event_id,
                "event_time": at,
                "store_gln": store,
                "read_point": read_point,
                "gtin14": gtin14(sku),
                "serial": serial,
                "quantity": qty,
            },
        )


def build_landing(warehouse_dir: Path) -> Path:
    """Write the whole fixture landing zone under `warehouse_dir/landing`; return warehouse_dir."""
    landing = _Landing()
    _add_orders(landing)
    _add_catalog(landing)
    _add_ads_and_sessions(landing)
    _add_tickets(landing)
    _add_rfid(landing)
    landing.write(warehouse_dir)
    return warehouse_dir


# catalog_prices_include_tax false: the landed shop setting (true) must win over the var.
# maturity_days 30: days up to 01-11 (= D - 30) are final, from 01-12 not (FIXTURE.md).
DBT_VARS = {
    "partition_start": FIRST_DAY.isoformat(),
    "partition_end": LAST_DAY.isoformat(),
    "catalog_prices_include_tax": False,
    "maturity_days": 30,
}
