"""Rate budget: what share of each vendor's documented limit an extraction uses, and how often
it was throttled, against the simulator enforcing those limits (large profile).

- Shopify: the standard plan's cost bucket, 2,000 points restoring 100 a second. Budget over a
  run = 2,000 + 100 x seconds; used = the `actualQueryCost` of every answer.
- Zendesk: the incremental export's 10 calls a minute (429 with Retry-After past it). Budget =
  10 x minutes of the run; used = export calls answered.
- Google Ads and Meta: their limits are quotas per day (Google Ads Basic access: 15,000
  operations a day, a paged search counting once) or per hour and account (Meta's ads_insights
  business use case), far above what a daily extraction asks: the calls are counted and set
  against those quotas, the simulator does not throttle them.

    python bench/rate_budget.py                       # 1 day of Shopify orders, 60 of the rest
    python bench/rate_budget.py --shop-days 1 --days 7
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orchestration.lib.config import resolve_config  # noqa: E402
from orchestration.lib.extract import ExtractRun  # noqa: E402
from orchestration.lib.http import HttpSettings  # noqa: E402
from orchestration.sources.google_ads import extract as google_ads  # noqa: E402
from orchestration.sources.meta_ads import extract as meta_ads  # noqa: E402
from orchestration.sources.shop import catalog as catalog_src  # noqa: E402
from orchestration.sources.shop import orders as orders_src  # noqa: E402
from orchestration.sources.zendesk import extract as zendesk  # noqa: E402
from simulator import SimulatorConfig, SimulatorServer  # noqa: E402

SHOP_BUCKET, SHOP_RESTORE = 2000.0, 100.0
ZENDESK_PER_MINUTE = 10
GOOGLE_ADS_BASIC_OPERATIONS_A_DAY = 15_000


def run_extract(source: str, extract, days: list[date], env: dict[str, str]) -> tuple:
    """(run, seconds) of one extract with a long call budget: pacing is waiting, not failing."""
    config = resolve_config(env)
    http = dataclasses.replace(HttpSettings(), budget_seconds=600.0, retry_after_max=120)
    run = ExtractRun(source, config, http)
    started = time.monotonic()
    extract(run, days)
    return run, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shop-days", type=int, default=1)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument(
        "--sources",
        default="shop_orders,zendesk,shop_catalog,google_ads,meta_ads",
        help="what to measure (Google Ads maps offer ids through the catalog: keep it before)",
    )
    args = parser.parse_args()
    sources = args.sources.split(",")
    end = date.today() - timedelta(days=2)
    now = datetime.combine(end + timedelta(days=2), datetime.min.time(), UTC).replace(hour=6)
    config = SimulatorConfig(
        scale="large",
        now=now,
        shop_bucket_size=SHOP_BUCKET,
        shop_restore_rate=SHOP_RESTORE,
        zendesk_export_limit=(ZENDESK_PER_MINUTE, 60.0),
    )
    shop_days = [end - timedelta(days=i) for i in range(args.shop_days)][::-1]
    days = [end - timedelta(days=i) for i in range(args.days)][::-1]
    with SimulatorServer(config) as sim, TemporaryDirectory(prefix="bench-rate-") as warehouse:
        env = {**sim.env(), "WAREHOUSE_DIR": warehouse, "SHOPIFY_BULK_MIN_DAYS": "10000"}
        print(f"simulator: large profile, clock {now:%Y-%m-%d %H:%M} UTC")

        for name, extract in (
            ("shop_orders", orders_src.extract_orders),
            ("shop_catalog", catalog_src.extract_catalog),
        ):
            if name not in sources:
                continue
            landed = shop_days if name == "shop_orders" else days[-1:]
            run, seconds = run_extract("shop", extract, landed, env)
            m = run.metadata()
            budget = SHOP_BUCKET + SHOP_RESTORE * seconds
            print(
                f"shopify {name}, {len(landed)} day(s) paged: {m['rows_total']:,} rows, "
                f"{m['requests']} calls in {seconds:.0f} s; points {m['query_cost_points']:,.0f} "
                f"of {budget:,.0f} available = {m['query_cost_points'] / budget:.1%}; "
                f"throttled {m['throttled']}; paced {m['throttle_wait_seconds']:.0f} s"
            )

        if "zendesk" in sources:
            run, seconds = run_extract("zendesk", zendesk.extract_tickets, days, env)
            m = run.metadata()
            answered = m["requests"] - m["throttled"]
            budget = ZENDESK_PER_MINUTE * seconds / 60
            print(
                f"zendesk export, {len(days)} days: {m['rows']['tickets']:,} tickets, {answered} "
                f"calls answered in {seconds:.0f} s = {answered / budget:.1%} of {budget:.1f} "
                f"allowed; throttled {m['throttled']}; waited {m['throttle_wait_seconds']:.0f} s"
            )

        for source, extract in (
            ("google_ads", google_ads.extract_google_ads),
            ("meta_ads", meta_ads.extract_meta_ads),
        ):
            if source not in sources:
                continue
            run, seconds = run_extract(source, extract, days, env)
            m = run.metadata()
            per_day = m["requests"] / len(days)
            quota = (
                f" = {per_day / GOOGLE_ADS_BASIC_OPERATIONS_A_DAY:.2%} of Basic access's "
                f"{GOOGLE_ADS_BASIC_OPERATIONS_A_DAY:,} operations a day"
                if source == "google_ads"
                else ""
            )
            print(
                f"{source}, {len(days)} days: {m['requests']} calls in {seconds:.0f} s, "
                f"{per_day:.1f} per landed day{quota}; throttled {m['throttled']}"
            )


if __name__ == "__main__":
    main()
