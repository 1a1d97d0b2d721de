"""Incremental runs equal a full refresh.

A small landing set is generated in-process (every dataset of `LANDING_DATASETS`, with late
refunds, fulfilments and ticket updates re-landing orders/tickets on later days), then dbt is run
day by day (`partition_start = partition_end = D`) and compared, table by table, with a
`--full-refresh` build of the same data: every table of the marts schema must be identical.

Completeness moves too: the tickets of the second day land late (that partition is re-run after
the third day), so the day joins the KPI calendar later; GA4 report metadata exists from the
second day only (the first run has no such folder); with `maturity_days` 2, days turn final
while the runs go on, and unshipped orders turn late as the as-of day moves. A fifth, quiet day
lands ad spend only, renaming a campaign and launching another that an order of the first day
names: the settled days must follow although nothing else of theirs moves that day.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.publication.day_gate import LANDING_WINDOW_ENV, BuildPlan, landing_window
from orchestration.publication.day_ledger import landed_files
from orchestration.sources import LANDING_DATASETS
from tests.dbt_runner import run_dbt

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC
CENT = Decimal("0.01")

STORE_GLNS = ["3012345000017", "3012345000024", "3012345000031", "3012345000093"]  # last: unknown
CATEGORIES = ["dresses", "shirts", "shoes", "accessories"]
CAMPAIGNS = {
    "google_ads": [("g-100", "Search brand"), ("g-200", "Shopping all")],
    "meta_ads": [("m-300", "Prospecting"), ("m-400", "Catalog retargeting")],
}
#: m-400 is renamed on the quiet day (see write_quiet_day): every day of it must carry the new
#: name in the end, the settled first days included, which that day's run does not otherwise touch.
RENAMED = ("m-400", "Catalog retargeting EU")
#: g-500 spends on the quiet day only; the first order of the first day names it (attributable
#: once the campaign appears)
LATE_CAMPAIGN = ("g-500", "Late launch")
#: Their first order is cancelled after their second landed (write_landing).
RESEQUENCED_CUSTOMER = "gid://shopify/Customer/98"
UTMS = [
    (None, None),
    ("google", "cpc", "g-100"),
    ("google", "cpc", "g-200"),
    ("google", "cpc", LATE_CAMPAIGN[0]),
    ("facebook", "paid_social", "m-300"),
    ("instagram", "paid_social", "m-400"),
    ("newsletter", "email", "spring"),
    ("google", "organic", None),
    ("awin", "affiliate", None),
    ("someblog", "referral", None),
]
REASONS = ["reason_delivery", "reason_return", "reason_product_quality", "reason_payment", None]


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _gtin14(n: int) -> tuple[str, str]:
    """A 13-digit EAN with check digit, and its GTIN-14 (leading zero)."""
    body = f"301234{n:06d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    ean = body + str((10 - total % 10) % 10)
    return ean, "0" + ean


def _catalog() -> list[dict]:
    rng = random.Random(7)
    rows = []
    for i in range(1, 13):
        ean, gtin = _gtin14(i)
        price = _money(rng.choice([29.9, 49.9, 79.0, 119.0, 15.0]))
        rows.append(
            {
                "variant_id": f"gid://shopify/ProductVariant/{i}",
                "sku": f"SKU-{i:03d}",
                "barcode": ean,
                "gtin14": gtin,
                "price": price,
                "product_id": f"gid://shopify/Product/{(i + 1) // 2}",
                "product_title": f"Product {(i + 1) // 2}",
                "vendor": rng.choice(["Acme", "Belle", "Corsa"]),
                "product_type": CATEGORIES[i % 4],
                "unit_cost": _money(float(price) * 0.4),
            }
        )
    return rows


class _Order:
    def __init__(self, n: int, created: dt.datetime, rng: random.Random, catalog: list[dict]):
        self.n = n
        self.order_id = f"gid://shopify/Order/{n}"
        self.created = created
        self.customer_id = f"gid://shopify/Customer/{rng.randint(1, 6)}"
        self.taxes_included = rng.random() < 0.8
        self.is_test = rng.random() < 0.04
        self.utm = rng.choice(UTMS)
        self.lines = []
        for j, product in enumerate(rng.sample(catalog, rng.randint(1, 3))):
            qty = rng.randint(1, 3)
            gross = product["price"] * qty
            discount = _money(float(gross) * 0.1) if rng.random() < 0.3 else Decimal("0.00")
            after = gross - discount
            tax = (
                _money(float(after) * 0.2 / 1.2)
                if self.taxes_included
                else _money(float(after) * 0.2)
            )
            sku = product["sku"] if rng.random() > 0.03 else "SKU-UNKNOWN"
            self.lines.append(
                {
                    "line_id": f"gid://shopify/LineItem/{n * 10 + j}",
                    "sku": sku,
                    "quantity": qty,
                    "original_unit_price": product["price"],
                    "discount_amount": discount,
                    "tax_amount": tax,
                }
            )
        # Events: (time, kind, data)
        self.events: list[tuple[dt.datetime, str, object]] = []
        if rng.random() < 0.08:
            self.events.append((created + dt.timedelta(hours=rng.randint(1, 30)), "cancel", None))
        else:
            if rng.random() < 0.85:
                fulfilled = created + dt.timedelta(hours=rng.randint(2, 80))
                self.events.append((fulfilled, "fulfil", None))
            if rng.random() < 0.35:
                line = rng.choice(self.lines)
                qty = rng.randint(1, line["quantity"])
                per_unit = (
                    line["original_unit_price"] * line["quantity"] - line["discount_amount"]
                ) / line["quantity"]
                refunded = created + dt.timedelta(days=rng.randint(2, 5), hours=rng.randint(0, 10))
                self.events.append(
                    (
                        refunded,
                        "refund",
                        {
                            "line_id": line["line_id"],
                            "qty": qty,
                            "subtotal": _money(per_unit * qty),
                        },
                    )
                )

    def touches(self) -> list[dt.datetime]:
        return [self.created] + [t for t, _, _ in self.events]

    def version_as_of(self, now: dt.datetime) -> dict:
        past = [e for e in self.events if e[0] <= now]
        updated = max([self.created] + [t for t, _, _ in past])
        return {
            "updated_at": updated,
            "cancelled_at": next((t for t, k, _ in past if k == "cancel"), None),
            "fulfillments": [t for t, k, _ in past if k == "fulfil"],
            "refunds": [(t, d) for t, k, d in past if k == "refund"],
        }


def _campaigns_on(platform: str, quiet_day: bool) -> list[tuple[str, str]]:
    """The campaigns a platform reports on a day, with their names (see write_quiet_day)."""
    renamed_id, new_name = RENAMED
    campaigns = [
        (cid, new_name if cid == renamed_id and quiet_day else name)
        for cid, name in CAMPAIGNS[platform]
    ]
    if platform == "google_ads" and quiet_day:
        campaigns.append(LATE_CAMPAIGN)
    return campaigns


def _paris_day(ts: dt.datetime) -> dt.date:
    return ts.astimezone(PARIS).date()


def _day_end(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), PARIS).astimezone(UTC)


def _write(root: Path, source: str, dataset: str, day: dt.date, rows: Iterable[dict]) -> None:
    schema = LANDING_DATASETS[source][dataset]
    extracted = _day_end(day) + dt.timedelta(minutes=5)
    full = [
        {**row, "_partition_date": day, "_extracted_at": extracted, "_source_mode": "demo"}
        for row in rows
    ]
    for row in full:
        if "payload" in schema.names and "payload" not in row:
            row["payload"] = json.dumps(
                {k: str(v) for k, v in row.items() if not k.startswith("_")}
            )
    table = pa.Table.from_pylist(full, schema=schema) if full else schema.empty_table()
    out = root / "landing" / source / dataset / f"date={day.isoformat()}"
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out / "data.parquet")


def _write_ads(
    root: Path, day: dt.date, rng: random.Random, catalog: list[dict], quiet_day: bool
) -> None:
    """A day of both ad platforms: campaign rows are the totals; product rows break them down."""
    for platform, dataset, pdataset in (
        ("google_ads", "campaign_stats", "product_stats"),
        ("meta_ads", "campaign_insights", "ad_insights"),
    ):
        c_rows, p_rows = [], []
        for cid, name in _campaigns_on(platform, quiet_day):
            spend = _money(rng.uniform(5, 60))
            row = {
                "date": day,
                "campaign_id": cid,
                "campaign_name": name,
                "impressions": rng.randint(100, 5000),
                "clicks": rng.randint(1, 200),
                "spend": spend,
                "conversions": float(rng.randint(0, 5)),
                "conversions_value": _money(rng.uniform(0, 300)),
            }
            if platform == "google_ads":
                row["cost_micros"] = int(spend * 1_000_000)
            c_rows.append(row)
            for j, product in enumerate(rng.sample(catalog, 2)):
                prow = {**row, "spend": _money(spend / 3), "sku": product["sku"]}
                prow.pop("campaign_name")
                if platform == "google_ads":
                    prow["cost_micros"] = int(prow["spend"] * 1_000_000)
                else:
                    prow["ad_id"] = f"{cid}-ad{j}"
                p_rows.append(prow)
        _write(root, platform, dataset, day, c_rows)
        _write(root, platform, pdataset, day, p_rows)


def write_quiet_day(root: Path, day: dt.date, seed: int = 2) -> None:
    """A day after the others when only the ad platforms land: no order, ticket, session or
    stock count moves, so its run leaves the settled first days alone, except where a campaign
    changes. On it m-400 is renamed and g-500 spends for the first time (an order of the first
    day names g-500): only `campaign_days_to_rebuild` brings those days into the run."""
    _write_ads(root, day, random.Random(seed), _catalog(), quiet_day=True)


def write_landing(
    root: Path, start: dt.date, days: int, seed: int = 1, orders_per_day: int = 8
) -> None:
    """Write `days` landed days from `start` (every dataset, every day, late updates included)."""
    rng = random.Random(seed)
    catalog = _catalog()
    day_list = [start + dt.timedelta(days=i) for i in range(days)]
    orders: list[_Order] = []
    n = 1000
    for day in day_list:
        base = dt.datetime.combine(day, dt.time(0), PARIS).astimezone(UTC)
        for _ in range(orders_per_day):
            n += 1
            created = base + dt.timedelta(minutes=rng.randint(0, 24 * 60 - 1))
            orders.append(_Order(n, created, rng, catalog))
    orders[0].utm = ("google", "cpc", LATE_CAMPAIGN[0])
    # A customer whose only order is cancelled two days later: the day-by-day runs must drop
    # them from dim_customers again (its pre-hook); the full refresh never has them.
    lone = _Order(
        n + 1, dt.datetime.combine(start, dt.time(12), PARIS).astimezone(UTC), rng, catalog
    )
    lone.customer_id = "gid://shopify/Customer/99"
    lone.is_test = False
    lone.events = [(lone.created + dt.timedelta(days=2), "cancel", None)]
    orders.append(lone)
    # A customer's first order cancelled two days later: their second order, landed on the first
    # day and never again, becomes their first (fct_orders must rewrite it, not only the order
    # that landed).
    first, second = (
        _Order(n + k, dt.datetime.combine(start, dt.time(h), PARIS).astimezone(UTC), rng, catalog)
        for k, h in ((2, 9), (3, 15))
    )
    for order in (first, second):
        order.customer_id, order.is_test = RESEQUENCED_CUSTOMER, False
    first.events = [(first.created + dt.timedelta(days=2), "cancel", None)]
    second.events = []
    orders.extend((first, second))

    tickets = []
    for i, day in enumerate(day_list):
        base = dt.datetime.combine(day, dt.time(0), PARIS).astimezone(UTC)
        for k in range(3):
            created = base + dt.timedelta(minutes=rng.randint(0, 24 * 60 - 1))
            solved = created + dt.timedelta(hours=rng.randint(1, 70))
            order = rng.choice(orders[: (i + 1) * orders_per_day])
            tickets.append(
                {
                    "ticket_id": 500 + i * 10 + k,
                    "created_at": created,
                    "solved_at": solved,
                    "channel": rng.choice(["email", "web", "chat", "voice"]),
                    "reason": rng.choice(REASONS),
                    "order_number": f"#{order.n}" if rng.random() < 0.7 else None,
                    "score": rng.choice(["good", "good", "bad", "offered"]),
                    "reply": rng.randint(5, 600),
                }
            )

    for day in day_list:
        end = _day_end(day)
        # Shop orders: every order touched on `day`, as it stands at the end of `day`.
        o_rows, l_rows, r_rows, f_rows = [], [], [], []
        for order in orders:
            if not any(_paris_day(t) == day for t in order.touches()) or order.created >= end:
                continue
            v = order.version_as_of(end)
            source, medium, campaign = (*order.utm, None)[:3]
            o_rows.append(
                {
                    "order_id": order.order_id,
                    "order_name": f"#{order.n}",
                    "created_at": order.created,
                    "updated_at": v["updated_at"],
                    "processed_at": order.created,
                    "cancelled_at": v["cancelled_at"],
                    "is_test": order.is_test,
                    "currency_code": "EUR",
                    "taxes_included": order.taxes_included,
                    "customer_id": order.customer_id,
                    "source_name": "web",
                    "landing_page": "/?utm_source=x" if source else "/",
                    "utm_source": source,
                    "utm_medium": medium,
                    "utm_campaign": campaign,
                    "utm_content": None,
                    "utm_term": None,
                }
            )
            for line in order.lines:
                l_rows.append(
                    {"order_id": order.order_id, "order_updated_at": v["updated_at"], **line}
                )
            for k, (t, d) in enumerate(v["refunds"]):
                r_rows.append(
                    {
                        "order_id": order.order_id,
                        "order_updated_at": v["updated_at"],
                        "refund_id": f"gid://shopify/Refund/{order.n * 10 + k}",
                        "refund_created_at": t,
                        "line_id": d["line_id"],
                        "quantity": d["qty"],
                        "subtotal": d["subtotal"],
                    }
                )
            for k, t in enumerate(v["fulfillments"]):
                f_rows.append(
                    {
                        "order_id": order.order_id,
                        "order_updated_at": v["updated_at"],
                        "fulfillment_index": k,
                        "created_at": t,
                        "status": "success",
                    }
                )
        _write(root, "shop", "orders", day, o_rows)
        _write(root, "shop", "order_lines", day, l_rows)
        _write(root, "shop", "refund_lines", day, r_rows)
        _write(root, "shop", "fulfillments", day, f_rows)

        # Catalog snapshot of the day (stock moves; some skus run out).
        snap = end - dt.timedelta(minutes=30)
        _write(
            root,
            "shop",
            "product_variants",
            day,
            [
                {
                    **p,
                    "warehouse_available_qty": max(0, rng.randint(-3, 12)),
                    "snapshot_at": snap,
                }
                for p in catalog
            ],
        )

        _write_ads(root, day, rng, catalog, quiet_day=False)

        # RFID: one cycle count per store and day (store 2 skips odd days), plus a non-count event.
        e_rows, ob_rows = [], []
        for s, gln in enumerate(STORE_GLNS):
            if s == 1 and day.toordinal() % 2:
                continue
            t = dt.datetime.combine(day, dt.time(7, 30 + s), UTC)
            for zone, step in (
                ("sales_floor", "cycle_counting"),
                ("backroom", "cycle_counting"),
                ("door", "receiving"),
            ):
                event_id = f"ev-{day.isoformat()}-{s}-{zone}"
                e_rows.append(
                    {
                        "event_id": event_id,
                        "event_time": t,
                        "event_time_zone_offset": "+01:00",
                        "biz_step": step,
                        "store_gln": gln,
                        "read_point": zone,
                    }
                )
                for p in catalog[:6]:
                    if zone == "backroom" and p["sku"] in ("SKU-001", "SKU-002"):
                        ob_rows.append(
                            {
                                "event_id": event_id,
                                "event_time": t,
                                "store_gln": gln,
                                "read_point": zone,
                                "gtin14": p["gtin14"],
                                "serial": None,
                                "quantity": rng.randint(0, 4),
                            }
                        )
                        continue
                    for serial in range(rng.randint(0, 5)):
                        ob_rows.append(
                            {
                                "event_id": event_id,
                                "event_time": t,
                                "store_gln": gln,
                                "read_point": zone,
                                "gtin14": p["gtin14"],
                                "serial": str(serial),
                                "quantity": 1,
                            }
                        )
        _write(root, "rfid", "events", day, e_rows)
        _write(root, "rfid", "observations", day, ob_rows)

        # Zendesk: a ticket lands on its creation day and again on the day it is solved.
        z_rows = []
        for t in tickets:
            if t["created_at"] >= end:
                continue
            if _paris_day(t["created_at"]) != day and _paris_day(t["solved_at"]) != day:
                continue
            solved = t["solved_at"] < end
            z_rows.append(
                {
                    "ticket_id": t["ticket_id"],
                    "created_at": t["created_at"],
                    "updated_at": t["solved_at"] if solved else t["created_at"],
                    "status": "solved" if solved else "open",
                    "channel": t["channel"],
                    "tags": [x for x in [t["reason"], "vip"] if x],
                    "reason_tag": t["reason"],
                    "order_number": t["order_number"],
                    "satisfaction_score": t["score"] if solved else "unoffered",
                    "first_reply_minutes": t["reply"] if solved else None,
                    "full_resolution_minutes": int(
                        (t["solved_at"] - t["created_at"]).total_seconds() // 60
                    )
                    if solved
                    else None,
                }
            )
        _write(root, "zendesk", "tickets", day, z_rows)

        # GA4 sessions per source / medium / campaign.
        ga_rows = [
            {
                "date": day,
                "session_source": s,
                "session_medium": m,
                "session_campaign_name": c,
                "sessions": rng.randint(20, 400),
                "total_users": rng.randint(10, 300),
                "add_to_carts": rng.randint(0, 40),
            }
            for s, m, c in [
                ("(direct)", "(none)", "(direct)"),
                ("google", "cpc", "g-100"),
                ("google", "organic", "(organic)"),
                ("facebook", "paid_social", "m-300"),
                ("newsletter", "email", "spring"),
                ("someblog", "referral", "(referral)"),
            ]
        ]
        _write(root, "ga4", "sessions", day, ga_rows)
        if day != day_list[0]:  # older landings have no report metadata
            thresholded = day == day_list[2]
            _write(
                root,
                "ga4",
                "report_metadata",
                day,
                [
                    {
                        "date": day,
                        "subject_to_thresholding": thresholded,
                        "data_loss_from_other_row": False,
                        "is_sampled": False,
                    }
                ],
            )


# --------------------------------------------------------------------------------------------
#: the days cross a month boundary: int_store_stock_pair_months rebuilds a month, then starts one
START = dt.date(2026, 2, 27)
DAYS = 4
#: an incremental model compared besides the marts (not published, but the marts read it)
COMPARED_INTERMEDIATE = ("int_store_stock_pair_months",)


def _is_run_metadata(column: str) -> bool:
    """Columns that say when/which run published a row: they differ between any two runs."""
    return (
        column.startswith(("_published", "_run", "_dbt", "_loaded", "_built"))
        or "invocation" in column
    )


def _marts_tables(db: Path) -> dict[str, list[tuple]]:
    """Every table of the marts schema and the compared intermediate ones: schema.name -> rows."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' and (table_schema = 'marts' "
            "or (table_schema = 'intermediate' and list_contains(?, table_name))) order by all",
            [list(COMPARED_INTERMEDIATE)],
        ).fetchall()
        out = {}
        for schema, name in names:
            columns = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, name],
                ).fetchall()
                if not _is_run_metadata(r[0])
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            out[f"{schema}.{name}"] = con.execute(
                f'select {select} from {schema}."{name}" order by all'
            ).fetchall()
        return out
    finally:
        con.close()


def _drop_column(warehouse: Path, table: str, column: str) -> None:
    con = duckdb.connect(str(warehouse / "build" / "warehouse.duckdb"))
    try:
        (schema,) = con.execute(
            "select table_schema from information_schema.tables where table_name = ?", [table]
        ).fetchone()
        con.execute(f'alter table {schema}."{table}" drop column {column}')
    finally:
        con.close()


def _one_row(warehouse: Path, sql: str) -> tuple:
    """The one row `sql` returns from a warehouse's build database (read-only)."""
    con = duckdb.connect(str(warehouse / "build" / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchone()
    finally:
        con.close()


def _land_day(
    source_root: Path, target_root: Path, day: dt.date, datasets: str = "*/*", held: str = ""
) -> None:
    """Copy day D's partitions of `datasets` (a glob), as the daily extract would land them,
    except those of `held` (a source/dataset landing late)."""
    for partition in source_root.glob(f"landing/{datasets}/date={day.isoformat()}"):
        relative = partition.relative_to(source_root)
        if held and relative.parts[1:3] == tuple(held.split("/")):
            continue
        shutil.copytree(partition, target_root / relative, dirs_exist_ok=True)


def _listed_landing(warehouse: Path, first_day: dt.date) -> dict[str, str]:
    """DBT_LANDING_WINDOW as the dbt step sets it for a run starting on `first_day` (nothing
    held here): per dataset, the landed days from it on."""
    files = landed_files(warehouse)
    plan = BuildPlan({}, None, landing_window(warehouse, files, first_day, held=set()))
    return {LANDING_WINDOW_ENV: plan.dbt_env()[LANDING_WINDOW_ENV]}


#: seeds and models, no tests: the tests of the project run in their own test module.
BUILD_MODELS = ["build", "--resource-type", "seed", "--resource-type", "model"]
#: two days: days turn final during the four day-by-day runs
MATURITY = {"maturity_days": 2}
LATE_TICKETS = "zendesk/tickets"


def test_day_by_day_incremental_equals_full_refresh(tmp_path: Path) -> None:
    generated = tmp_path / "generated"
    write_landing(generated, START, DAYS)
    days = [START + dt.timedelta(days=i) for i in range(DAYS)]
    quiet_day = START + dt.timedelta(days=DAYS)
    write_quiet_day(generated, quiet_day)

    # The full refresh of all days runs in a thread while the day-by-day runs go on.
    full = tmp_path / "full"
    (full / "build").mkdir(parents=True)
    shutil.copytree(generated / "landing", full / "landing")
    with ThreadPoolExecutor(max_workers=1) as pool:
        full_build = pool.submit(
            run_dbt,
            [*BUILD_MODELS, "--full-refresh"],
            full,
            {"partition_end": quiet_day.isoformat(), **MATURITY},
        )
        incremental = tmp_path / "incremental"
        (incremental / "build").mkdir(parents=True)
        for i, day in enumerate([*days, quiet_day]):
            # the second day's tickets land late: its partition is re-run after the third day
            _land_day(generated, incremental, day, held=LATE_TICKETS if i == 1 else "")
            window = {"partition_start": day.isoformat(), "partition_end": day.isoformat()}
            run_dbt(
                BUILD_MODELS if i == 0 else ["run"],
                incremental,
                {**window, **MATURITY},
                env=_listed_landing(incremental, day),
            )
            if i == 2:
                # a warehouse built before stg_rfid__observations had event_date: the next
                # run adds it to every row in place (the rest of the history included)
                _drop_column(incremental, "stg_rfid__observations", "event_date")
                late = days[1].isoformat()
                _land_day(generated, incremental, days[1], datasets=LATE_TICKETS)
                window = {"partition_start": late, "partition_end": late}
                run_dbt(
                    ["run"],
                    incremental,
                    {**window, **MATURITY},
                    env=_listed_landing(incremental, days[1]),
                )
        full_build.result()
    # the incremental runs read the listed days' files, not the datasets' globs (here the last
    # run's: its own day)
    compiled = incremental / "dbt_target" / "compiled" / "retail_pipeline" / "models" / "staging"
    spend = (compiled / "google_ads" / "stg_google_ads__campaign_stats.sql").read_text()
    assert f"campaign_stats/date={quiet_day}/*.parquet']" in spend, spend
    assert "/*/*.parquet" not in spend

    got = _marts_tables(incremental / "build" / "warehouse.duckdb")
    want = _marts_tables(full / "build" / "warehouse.duckdb")
    assert set(got) == set(want)
    assert got.get("marts.fct_orders"), "no orders were built"
    observation_days = _one_row(
        incremental,
        "select count(*), count(event_date), min(event_date), max(event_date) "
        "from staging.stg_rfid__observations",
    )
    assert observation_days[0] == observation_days[1] > 0, observation_days  # filled again
    assert observation_days[2:] == (days[0], days[-1]), observation_days
    # two months of pair rows, each rebuilt by the runs of its days
    months = {row[0] for row in got["intermediate.int_store_stock_pair_months"]}
    assert months == {dt.date(2026, 2, 1), dt.date(2026, 3, 1)}, months
    # the situations compared did happen: every day complete in the end, some final, one
    # GA4-thresholded day, some orders late
    kpi_days = _one_row(
        full,
        "select count(*), count(*) filter (where is_final), "
        "count(*) filter (where sessions_thresholded), sum(unshipped_over_48h) "
        "from marts.mart_kpi_daily",
    )
    assert kpi_days[:3] == (DAYS, 2, 1) and kpi_days[3] > 0, kpi_days
    # the campaign renamed, and the campaign that appeared last with orders of earlier days
    campaign_days = {(row[0], row[2], row[3]) for row in got["marts.mart_campaign_daily"]}
    assert {name for _, cid, name in campaign_days if cid == RENAMED[0]} == {RENAMED[1]}
    # the order that became its customer's first without landing again
    assert _one_row(
        incremental,
        "select list(customer_order_number order by ordered_at), "
        "list(is_first_order order by ordered_at) from marts.fct_orders "
        f"where customer_id = '{RESEQUENCED_CUSTOMER}' and not is_cancelled",
    ) == ([1], [True])
    late_days = {day for day, cid, _ in campaign_days if cid == LATE_CAMPAIGN[0]}
    assert days[0] in late_days, late_days
    for name in sorted(want):
        assert got[name] == want[name], f"{name} differs between day-by-day runs and a full refresh"


def test_generated_landing_has_late_updates(tmp_path: Path) -> None:
    """The equivalence above is only meaningful if orders and tickets really land again later."""
    write_landing(tmp_path, START, DAYS)
    con = duckdb.connect()
    glob = str(tmp_path / "landing" / "{}" / "*" / "*.parquet")
    relanded_orders = con.execute(
        f"select count(*) from (select order_id from read_parquet('{glob.format('shop/orders')}') "
        "group by order_id having count(distinct _partition_date) > 1)"
    ).fetchone()[0]
    late_refunds = con.execute(
        f"select count(*) from read_parquet('{glob.format('shop/refund_lines')}') as r "
        f"join read_parquet('{glob.format('shop/orders')}') as o using (order_id, _partition_date) "
        "where o._partition_date > cast(timezone('Europe/Paris', o.created_at) as date)"
    ).fetchone()[0]
    relanded_tickets = con.execute(
        "select count(*) from (select ticket_id from "
        f"read_parquet('{glob.format('zendesk/tickets')}') "
        "group by ticket_id having count(distinct _partition_date) > 1)"
    ).fetchone()[0]
    assert relanded_orders > 5 and late_refunds > 0 and relanded_tickets > 0
