"""Shopify orders backfill, paged vs bulk operation: wall time and query-cost points spent.

The simulator runs in its own process (`python -m simulator serve`), each extraction in another
one, over the same range: first page by page (`orders(first: 50)` and the follow-ups of long
connections), then with one bulk operation (`bulkOperationRunQuery`, polls, the JSONL download,
the refunds' lines 40 orders a call). Points are the `actualQueryCost` of every answer, as the
extractor sees them in `extensions.cost`. Both runs land in their own warehouse; the script
checks that the two landings are byte-identical.

    python bench/shop_bulk_benchmark.py                          # 90 days, scale large
    python bench/shop_bulk_benchmark.py --days 10 --scale demo   # a quick check
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.extract_benchmark import start_simulator  # noqa: E402

#: What Shopify's standard plan restores a second: the time the points would cost a real shop.
STANDARD_RESTORE_RATE = 100.0


def extract(start: date, end: date, mode: str) -> dict[str, object]:
    """Child process: land the orders of [start, end] paged or in bulk; counts, time, peak RSS."""
    import dataclasses

    from orchestration.lib.config import resolve_config
    from orchestration.lib.extract import ExtractRun
    from orchestration.lib.http import HttpSettings
    from orchestration.lib.partitions import partition_days
    from orchestration.sources.shop import orders as orders_src

    days = partition_days(start.isoformat(), end.isoformat())
    config = resolve_config(os.environ)
    min_days = 1 if mode == "bulk" else len(days) + 1
    extracted_at = datetime.combine(end + timedelta(days=2), datetime.min.time(), UTC)
    run = ExtractRun(
        "shop",
        dataclasses.replace(config, shopify_bulk_min_days=min_days),
        HttpSettings(),
        extracted_at=extracted_at,
    )
    started = time.monotonic()
    read_with = orders_src.extract_orders(run, days)["orders_read_with"]
    seconds = time.monotonic() - started
    metadata = run.metadata()
    return {
        "mode": read_with,
        "days": len(days),
        "seconds": round(seconds, 1),
        "orders": run.totals.rows["orders"],
        "rows": sum(run.totals.rows.values()),
        "requests": metadata["requests"],
        "query_cost_points": metadata["query_cost_points"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def digest(warehouse: Path) -> dict[str, str]:
    root = warehouse / "landing" / "shop"
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.parquet"))
    }


def measure(start: date, end: date, mode: str, env: dict[str, str], warehouse: Path) -> dict:
    command = [sys.executable, __file__, "--child", f"{start}...{end}", "--mode", mode]
    child_env = {**os.environ, **env, "WAREHOUSE_DIR": str(warehouse), "PYTHONPATH": str(ROOT)}
    output = subprocess.run(command, env=child_env, check=True, capture_output=True, text=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--scale", default="large")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=("paged", "bulk"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        start, end = (date.fromisoformat(d) for d in args.child.split("..."))
        print(json.dumps(extract(start, end, args.mode)))
        return
    end = date.today() - timedelta(days=2)  # complete days in every time zone
    start = end - timedelta(days=args.days - 1)
    # A fixed clock: both runs must see the same orders to land the same bytes.
    now = f"{end + timedelta(days=2)}T06:00:00Z"
    simulator, env = start_simulator(args.scale, "--now", now)
    try:
        print(f"{args.days} days {start}..{end}, scale {args.scale}, simulator pid {simulator.pid}")
        with tempfile.TemporaryDirectory(prefix="bench-bulk-") as folder:
            results, digests = [], []
            for mode in ("paged", "bulk"):
                warehouse = Path(folder) / mode
                results.append(measure(start, end, mode, env, warehouse))
                digests.append(digest(warehouse))
        print(
            f"{'mode':<6}{'orders':>10}{'rows':>11}{'seconds':>9}{'requests':>10}"
            f"{'points':>12}{'at 100/s':>10}{'peak RSS':>10}"
        )
        for r in results:
            restore = r["query_cost_points"] / STANDARD_RESTORE_RATE
            print(
                f"{r['mode']:<6}{r['orders']:>10,}{r['rows']:>11,}{r['seconds']:>9.1f}"
                f"{r['requests']:>10,}{r['query_cost_points']:>12,.0f}{restore:>9,.0f}s"
                f"{r['peak_rss_mb']:>8.0f}MB"
            )
        same = digests[0] == digests[1]
        print(f"landed files: {len(digests[0])}, byte-identical paged vs bulk: {same}")
    finally:
        simulator.terminate()
        simulator.wait()


if __name__ == "__main__":
    main()
