"""The transform phase against two references on the same landed data (issue #6).

Both run on a warehouse that a `pipeline_benchmark.py backfill` built (its landing files, its
build database and the kept dbt target folder of that run), and both are checked against the dbt
marts of that build before their times mean anything.

- `sql`: one DuckDB SQL script computing every model of the project, i.e. all 16 marts (written
  to <warehouse>/reference/all_models.sql). It is dbt's own compiled SQL of that build, ordered by
  the DAG and wrapped in `create view` / `create table` statements, run in one DuckDB connection
  with no dbt, no tests, no Dagster: the same queries with every orchestration cost removed, i.e.
  the practical limit of DuckDB for this logic (a rewrite could still merge passes; see README).
  Check: every mart equals the dbt mart, all columns (row counts, and `except all` both ways).
- `pandas`: mart_kpi_daily and mart_store_picking_candidates from the landing Parquet files
  with pandas, written the straightforward way (read everything, dedupe versions, merge, group).
  Check: row counts and key columns against the dbt marts.

    python bench/transform_reference.py sql    --warehouse W
    python bench/transform_reference.py pandas --warehouse W
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline_benchmark import record

SHOP_TZ = "Europe/Paris"


def latest_backfill_target(warehouse: Path) -> Path:
    """The kept dbt target folder of the warehouse's first (full) dbt build."""
    runs = sorted(
        (p for p in (warehouse / "build" / "dbt_runs").iterdir() if (p / "manifest.json").exists()),
        key=lambda p: p.stat().st_mtime,
    )
    if not runs:
        sys.exit(f"no kept dbt target under {warehouse}/build/dbt_runs (DBT_KEEP_RUN_TARGETS=1)")
    return runs[0]


# --------------------------------------------------------------------------- SQL reference


def build_script(target: Path) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """(model, statement) in DAG order, the seed relations, and the mart relations."""
    manifest = json.loads((target / "manifest.json").read_text())
    nodes = {k: v for k, v in manifest["nodes"].items() if v["resource_type"] == "model"}
    seeds = [v["relation_name"] for v in manifest["nodes"].values() if v["resource_type"] == "seed"]
    order: list[str] = []
    seen: set[str] = set()

    def visit(key: str) -> None:
        if key in seen or key not in nodes:
            return
        seen.add(key)
        for parent in nodes[key]["depends_on"]["nodes"]:
            visit(parent)
        order.append(key)

    for key in sorted(nodes):
        visit(key)
    statements = []
    marts = []
    for key in order:
        node = nodes[key]
        compiled = target / "compiled" / node["package_name"] / node["original_file_path"]
        sql = compiled.read_text().strip().rstrip(";")
        kind = "view" if node["config"]["materialized"] == "view" else "table"
        statements.append(
            (node["name"], f"create or replace {kind} {node['relation_name']} as (\n{sql}\n);")
        )
        if node["fqn"][1] == "marts":
            marts.append(node["relation_name"])
    return statements, seeds, marts


def cmd_sql(args: argparse.Namespace) -> None:
    warehouse = Path(args.warehouse).resolve()
    target = latest_backfill_target(warehouse)
    statements, seeds, marts = build_script(target)
    folder = warehouse / "reference"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "all_models.sql").write_text("\n\n".join(s for _, s in statements) + "\n")
    # Same database name as the build ("warehouse"), so the compiled relation names resolve.
    database = folder / "warehouse.duckdb"
    build = warehouse / "build" / "warehouse.duckdb"
    os.environ["WAREHOUSE_DIR"] = str(warehouse)
    con = duckdb.connect(str(database))
    # as the dbt profile's settings, memory limit included (same budget as the dbt build)
    memory_limit = os.environ.get("DUCKDB_MEMORY_LIMIT", "1GB")
    con.execute(f"load icu; set TimeZone = 'UTC'; set memory_limit = '{memory_limit}'")
    con.execute("set preserve_insertion_order = false")
    con.execute(f"attach '{build}' as build_db (read_only)")
    schemas = {r.split(".")[1] for r in [*seeds, *marts]} | {
        s.split(".")[1] for _, s in ((n, st.split(" as (")[0].split()[-1]) for n, st in statements)
    }
    for schema in schemas:
        con.execute(f"create schema if not exists {schema}")
    for seed in seeds:  # seeds are CSV loads: copied, not timed
        _, schema, name = seed.split(".")
        con.execute(f"create table {seed} as select * from build_db.{schema}.{name}")
    process = psutil.Process()
    per_model: dict[str, float] = {}
    peak = process.memory_info().rss
    started = time.monotonic()
    for name, statement in statements:
        t0 = time.monotonic()
        con.execute(statement)
        per_model[name] = round(time.monotonic() - t0, 2)
        peak = max(peak, process.memory_info().rss)
    seconds = time.monotonic() - started
    checks = {}
    for mart in marts:
        _, schema, name = (part.strip('"') for part in mart.split("."))
        ours = f"build_db.{schema}.{name}"
        rows_ref = con.execute(f"select count(*) from {mart}").fetchone()[0]
        rows_dbt = con.execute(f"select count(*) from {ours}").fetchone()[0]
        only_ref = con.execute(
            f"select count(*) from (select * from {mart} except all select * from {ours})"
        ).fetchone()[0]
        only_dbt = con.execute(
            f"select count(*) from (select * from {ours} except all select * from {mart})"
        ).fetchone()[0]
        checks[name] = {
            "rows": rows_ref,
            "rows_dbt": rows_dbt,
            "equal": rows_ref == rows_dbt and only_ref == 0 and only_dbt == 0,
            "rows_only_in_reference": only_ref,
            "rows_only_in_dbt": only_dbt,
        }
    con.close()
    record(
        "reference_sql",
        {
            "warehouse": str(warehouse),
            "dbt_target": str(target),
            "models": len(statements),
            "marts": sorted(checks),
            "seconds": round(seconds, 2),
            "peak_rss_mb_process": round(peak / 2**20, 1),
            "slowest_models": dict(sorted(per_model.items(), key=lambda kv: -kv[1])[:10]),
            "all_marts_equal": all(c["equal"] for c in checks.values()),
            "checks": checks,
        },
    )


# --------------------------------------------------------------------------- pandas reference


def read(warehouse: Path, source: str, dataset: str, columns: list[str]) -> pd.DataFrame:
    folder = warehouse / "landing" / source / dataset
    frames = [pd.read_parquet(p, columns=columns) for p in sorted(folder.glob("date=*/*.parquet"))]
    return pd.concat(frames, ignore_index=True)


def latest(frame: pd.DataFrame, key: list[str], order: list[str]) -> pd.DataFrame:
    """Keep the latest version of each key (sort descending, first wins)."""
    ordered = frame.sort_values(order, ascending=False, kind="stable")
    return ordered.drop_duplicates(key, keep="first")


def shop_date(series: pd.Series) -> pd.Series:
    ts = pd.to_datetime(series, utc=True)
    return ts.dt.tz_convert(SHOP_TZ).dt.date


def pandas_orders(warehouse: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(orders: latest non-test version, lines of that version with net amounts)."""
    orders = read(
        warehouse,
        "shop",
        "orders",
        [
            "order_id",
            "created_at",
            "updated_at",
            "cancelled_at",
            "is_test",
            "taxes_included",
            "source_name",
            "_partition_date",
            "_extracted_at",
        ],
    )
    for column in ("created_at", "updated_at", "cancelled_at", "_extracted_at"):
        orders[column] = pd.to_datetime(orders[column], utc=True)
    orders = latest(orders, ["order_id"], ["updated_at", "_partition_date", "_extracted_at"])
    orders["is_test"] = orders["is_test"].fillna(False).astype(bool)
    orders["taxes_included"] = orders["taxes_included"].fillna(False).astype(bool)
    orders["order_date"] = shop_date(orders["created_at"])
    orders["is_counted"] = ~orders["is_test"] & orders["cancelled_at"].isna()
    lines = read(
        warehouse,
        "shop",
        "order_lines",
        [
            "order_id",
            "order_updated_at",
            "line_id",
            "sku",
            "quantity",
            "original_unit_price",
            "discount_amount",
            "tax_amount",
            "_partition_date",
            "_extracted_at",
        ],
    )
    lines["order_updated_at"] = pd.to_datetime(lines["order_updated_at"], utc=True)
    lines["_extracted_at"] = pd.to_datetime(lines["_extracted_at"], utc=True)
    lines = lines.merge(
        orders[
            [
                "order_id",
                "updated_at",
                "_partition_date",
                "_extracted_at",
                "taxes_included",
                "order_date",
                "is_counted",
                "is_test",
                "source_name",
            ]
        ],
        left_on=["order_id", "order_updated_at", "_partition_date", "_extracted_at"],
        right_on=["order_id", "updated_at", "_partition_date", "_extracted_at"],
    ).drop_duplicates("line_id")
    price = lines["original_unit_price"].astype(float)
    gross = (price * lines["quantity"]).round(4)
    tax = lines["tax_amount"].astype(float).fillna(0.0)
    lines["net_amount"] = (
        gross
        - lines["discount_amount"].astype(float).fillna(0.0)
        - np.where(lines["taxes_included"], tax, 0.0)
    )
    orders = orders[~orders["is_test"]]
    lines = lines[~lines["is_test"]]
    return orders, lines


def pandas_kpi_daily(
    warehouse: Path, orders: pd.DataFrame, lines: pd.DataFrame, partition_end: Any
) -> pd.DataFrame:
    counted_lines = lines[lines["is_counted"]]
    order_days = orders[orders["is_counted"]].groupby("order_date").size().rename("orders")
    revenue = counted_lines.groupby("order_date").agg(
        net_revenue=("net_amount", "sum"), units=("quantity", "sum")
    )
    sessions = read(
        warehouse,
        "ga4",
        "sessions",
        [
            "date",
            "session_source",
            "session_medium",
            "session_campaign_name",
            "sessions",
            "_partition_date",
            "_extracted_at",
        ],
    )
    sessions = latest(
        sessions,
        ["date", "session_source", "session_medium", "session_campaign_name"],
        ["_partition_date", "_extracted_at"],
    )
    session_days = sessions.groupby("date")["sessions"].sum()
    google = read(
        warehouse,
        "google_ads",
        "campaign_stats",
        ["date", "campaign_id", "cost_micros", "_partition_date", "_extracted_at"],
    )
    google = latest(google, ["date", "campaign_id"], ["_partition_date", "_extracted_at"])
    google["spend"] = (google["cost_micros"] / 1_000_000).round(4)
    meta = read(
        warehouse,
        "meta_ads",
        "campaign_insights",
        ["date", "campaign_id", "spend", "_partition_date", "_extracted_at"],
    )
    meta = latest(meta, ["date", "campaign_id"], ["_partition_date", "_extracted_at"])
    meta["spend"] = meta["spend"].astype(float).round(4)
    spend_days = (
        pd.concat([google[["date", "spend"]], meta[["date", "spend"]]])
        .groupby("date")["spend"]
        .sum()
    )
    tickets = read(
        warehouse,
        "zendesk",
        "tickets",
        ["ticket_id", "created_at", "updated_at", "_partition_date", "_extracted_at"],
    )
    for column in ("created_at", "updated_at", "_extracted_at"):
        tickets[column] = pd.to_datetime(tickets[column], utc=True)
    tickets = latest(tickets, ["ticket_id"], ["updated_at", "_partition_date", "_extracted_at"])
    ticket_days = shop_date(tickets["created_at"]).value_counts()
    parts = {
        "orders": order_days,
        "net_revenue": revenue["net_revenue"],
        "units": revenue["units"],
        "sessions": session_days,
        "ad_spend": spend_days,
        "tickets": ticket_days,
    }
    for name, part in parts.items():
        part.index = pd.to_datetime(part.index)
        parts[name] = part
    days = [d for part in parts.values() for d in part.index]
    spine = pd.date_range(min(days), max(max(days), pd.Timestamp(partition_end)), freq="D")
    kpi = pd.DataFrame(index=spine)
    for name, part in parts.items():
        kpi[name] = part.groupby(level=0).sum().reindex(spine).fillna(0)
    kpi.index.name = "date"
    return kpi.reset_index()


def pandas_picking(warehouse: Path, lines: pd.DataFrame, as_of: Any) -> pd.DataFrame:
    events = read(
        warehouse,
        "rfid",
        "events",
        [
            "event_id",
            "event_time",
            "biz_step",
            "store_gln",
            "read_point",
            "_partition_date",
            "_extracted_at",
        ],
    )
    events["_extracted_at"] = pd.to_datetime(events["_extracted_at"], utc=True)
    events = latest(events, ["event_id"], ["_partition_date", "_extracted_at"])
    events["event_time"] = pd.to_datetime(events["event_time"], utc=True)
    step = events["biz_step"].str.replace("urn:epcglobal:cbv:bizstep:", "").str.lower()
    cycle = events[step == "cycle_counting"].copy()
    cycle["count_date"] = shop_date(cycle["event_time"])
    obs = read(
        warehouse,
        "rfid",
        "observations",
        ["event_id", "gtin14", "serial", "quantity", "_partition_date", "_extracted_at"],
    )
    obs["_extracted_at"] = pd.to_datetime(obs["_extracted_at"], utc=True)
    obs = obs[obs["quantity"] >= 0].merge(
        cycle[
            [
                "event_id",
                "_partition_date",
                "_extracted_at",
                "store_gln",
                "read_point",
                "event_time",
                "count_date",
            ]
        ],
        on=["event_id", "_partition_date", "_extracted_at"],
    )
    keys = ["store_gln", "count_date", "gtin14"]
    serial = obs[obs["serial"].notna()].groupby(keys)["serial"].nunique().rename("qty")
    classes = obs[obs["serial"].isna()]
    last_time = classes.groupby([*keys, "read_point"])["event_time"].transform("max")
    class_qty = classes[classes["event_time"] == last_time].groupby(keys)["quantity"].sum()
    observed = pd.concat([serial, class_qty.rename("qty")]).groupby(level=[0, 1, 2]).sum()
    observed = observed.rename("on_hand_qty").reset_index()
    count_days = cycle[["store_gln", "count_date"]].drop_duplicates()
    known = observed.groupby(["store_gln", "gtin14"])["count_date"].min().rename("first")
    dense = count_days.merge(known.reset_index(), on="store_gln")
    dense = dense[dense["count_date"] >= dense["first"]]
    dense = dense.merge(observed, on=keys, how="left").fillna({"on_hand_qty": 0})
    dense = dense.sort_values(["store_gln", "gtin14", "count_date"])
    dense["prev_qty"] = dense.groupby(["store_gln", "gtin14"])["on_hand_qty"].shift()
    dense["depletion_qty"] = (dense["prev_qty"] - dense["on_hand_qty"]).clip(lower=0).fillna(0)
    variants = read(warehouse, "shop", "product_variants", ["sku", "gtin14", "barcode"])
    variants["gtin14"] = variants["gtin14"].where(
        variants["gtin14"].fillna("").str.strip() != "", variants["barcode"].str.zfill(14)
    )
    products = variants.dropna(subset=["sku", "gtin14"]).sort_values("sku")
    products = products.drop_duplicates("gtin14")[["gtin14", "sku"]]
    stores = pd.read_csv(
        Path(os.environ["RETAIL_DBT_PROJECT_DIR"]) / "seeds" / "stores.csv", dtype={"gln": str}
    )
    stock = dense.merge(products, on="gtin14").merge(
        stores[["gln", "store_id", "display_min_qty"]],
        left_on="store_gln",
        right_on="gln",
        how="left",
    )
    stock["store_id"] = stock["store_id"].fillna(stock["store_gln"])
    as_of = pd.Timestamp(as_of).date()
    stock = stock[stock["count_date"] <= as_of]
    window_start = as_of - pd.Timedelta(days=28)
    stock = stock.sort_values("count_date")
    stock["recent_depletion"] = np.where(
        stock["count_date"] > window_start, stock["depletion_qty"], 0
    )
    pairs = (
        stock.groupby(["store_id", "sku"])
        .agg(
            on_hand_qty=("on_hand_qty", "last"),
            last_count_date=("count_date", "max"),
            first_count_date=("count_date", "min"),
            depletion_28d=("recent_depletion", "sum"),
            display_min_qty=("display_min_qty", "first"),
        )
        .reset_index()
    )
    in_store = set(lines.loc[lines["source_name"] == "pos", "order_id"])
    sold = lines[lines["is_counted"] & ~lines["order_id"].isin(in_store)]
    sold = sold[(sold["order_date"] > window_start) & (sold["order_date"] <= as_of)]
    online = sold.groupby("sku")["quantity"].sum().rename("online_units_sold_28d")
    pairs = pairs.merge(online.reset_index(), on="sku", how="left").fillna(
        {"online_units_sold_28d": 0}
    )
    daily = pairs["depletion_28d"] / 28
    pairs["days_of_cover"] = (pairs["on_hand_qty"] / daily.where(daily != 0)).astype(float)
    pairs["transferable_qty"] = pairs["on_hand_qty"] - pairs["display_min_qty"].fillna(1)
    slow = (pairs["days_of_cover"] >= 90) | (
        pairs["days_of_cover"].isna() & (pairs["first_count_date"] <= as_of - pd.Timedelta(days=28))
    )
    chosen = pairs[
        (pairs["last_count_date"] > as_of - pd.Timedelta(days=7))
        & (pairs["transferable_qty"] >= 1)
        & slow
        & (pairs["online_units_sold_28d"] >= 1)
    ]
    return chosen.reset_index(drop=True)


def compare(
    ours: pd.DataFrame, theirs: pd.DataFrame, keys: list[str], columns: list[str]
) -> dict[str, Any]:
    merged = ours.merge(theirs, on=keys, how="outer", suffixes=("_pandas", "_dbt"), indicator=True)
    result: dict[str, Any] = {
        "rows_pandas": len(ours),
        "rows_dbt": len(theirs),
        "keys_only_in_pandas": int((merged["_merge"] == "left_only").sum()),
        "keys_only_in_dbt": int((merged["_merge"] == "right_only").sum()),
    }
    both = merged[merged["_merge"] == "both"]
    mismatches = {}
    for column in columns:
        a = both[f"{column}_pandas"].astype(float)
        b = both[f"{column}_dbt"].astype(float)
        mismatches[column] = int((~np.isclose(a, b, rtol=1e-9, atol=1e-3, equal_nan=True)).sum())
    result["value_mismatches"] = mismatches
    result["equal"] = (
        result["rows_pandas"] == result["rows_dbt"]
        and result["keys_only_in_pandas"] == 0
        and result["keys_only_in_dbt"] == 0
        and not any(mismatches.values())
    )
    return result


def cmd_pandas(args: argparse.Namespace) -> None:
    warehouse = Path(args.warehouse).resolve()
    os.environ.setdefault("RETAIL_DBT_PROJECT_DIR", args.dbt_project)
    with duckdb.connect(str(warehouse / "build" / "warehouse.duckdb"), read_only=True) as con:
        kpi_dbt = con.execute("select * from marts.mart_kpi_daily").df()
        picking_dbt = con.execute("select * from marts.mart_store_picking_candidates").df()
    as_of = picking_dbt["as_of_date"].max() if len(picking_dbt) else kpi_dbt["date"].max()
    process = psutil.Process()
    started = time.monotonic()
    orders, lines = pandas_orders(warehouse)
    kpi = pandas_kpi_daily(warehouse, orders, lines, kpi_dbt["date"].max())
    kpi_s = time.monotonic() - started
    picking = pandas_picking(warehouse, lines, as_of)
    seconds = time.monotonic() - started
    peak_mb = round(process.memory_info().rss / 2**20, 1)
    kpi_dbt["date"] = pd.to_datetime(kpi_dbt["date"])
    for frame in (picking, picking_dbt):
        frame["store_id"] = frame["store_id"].astype(str)
    record(
        "reference_pandas",
        {
            "warehouse": str(warehouse),
            "marts": ["mart_kpi_daily", "mart_store_picking_candidates"],
            "seconds": round(seconds, 2),
            "seconds_to_kpi_daily": round(kpi_s, 2),
            "rss_mb_at_end": peak_mb,
            "checks": {
                "mart_kpi_daily": compare(
                    kpi,
                    kpi_dbt,
                    ["date"],
                    ["orders", "net_revenue", "sessions", "ad_spend", "tickets"],
                ),
                "mart_store_picking_candidates": compare(
                    picking,
                    picking_dbt,
                    ["store_id", "sku"],
                    ["on_hand_qty", "depletion_28d", "online_units_sold_28d", "transferable_qty"],
                ),
            },
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("sql", "pandas"):
        p = sub.add_parser(name)
        p.add_argument("--warehouse", required=True)
        p.add_argument("--dbt-project", default="/tmp/bench-dbt-project")
    args = parser.parse_args()
    cmd_sql(args) if args.command == "sql" else cmd_pandas(args)


if __name__ == "__main__":
    main()
