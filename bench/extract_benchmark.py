"""Extraction benchmark: the six extracts against the large simulated retailer over loopback.

The simulator runs in its own process (`python -m simulator serve --scale large`) and each
measured extraction in another, so the numbers are the extractor's own: records per second per
source, and the extractor process's peak RSS (`ru_maxrss`). Running a quarter of the range and
then the whole range shows whether memory stays flat as the range grows (it should: pages are
streamed to Parquet row groups, never held).

    python bench/extract_benchmark.py             # 170 days: >= 1,000,000 orders at scale large
    python bench/extract_benchmark.py --days 20   # a quicker run
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: (source of the config, extract function, the dataset that counts as "the records")
EXTRACTS = (
    ("shop", "shop.catalog:extract_catalog", "product_variants"),
    ("shop", "shop.orders:extract_orders", "orders"),
    ("google_ads", "google_ads.extract:extract_google_ads", "campaign_stats"),
    ("meta_ads", "meta_ads.extract:extract_meta_ads", "campaign_insights"),
    ("rfid", "rfid.extract:extract_rfid_counts", "events"),
    ("zendesk", "zendesk.extract:extract_tickets", "tickets"),
    ("ga4", "ga4.extract:extract_sessions", "sessions"),
)


def start_simulator(scale: str, *options: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """The simulator in its own process on a free loopback port; returns it and its env."""
    command = [sys.executable, "-m", "simulator", "serve", "--scale", scale, "--port", "0"]
    command += options
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    env: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:
        if match := re.match(r"export (\w+)=(.*)", line.strip()):
            env[match.group(1)] = match.group(2).strip("'")
        if "GA4_ACCESS_TOKEN" in env:
            return process, env
    raise RuntimeError("the simulator exited before printing its environment")


def extract(start: date, end: date) -> dict[str, object]:
    """Child process: run every extract over [start, end]; report counts, times, peak RSS."""
    import importlib

    from orchestration.lib.config import resolve_config
    from orchestration.lib.extract import ExtractRun
    from orchestration.lib.http import HttpSettings
    from orchestration.lib.partitions import partition_days

    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # interpreter + imports
    config = resolve_config(os.environ)
    days = partition_days(start.isoformat(), end.isoformat())
    results = {}
    for source, target, dataset in EXTRACTS:
        module, function = target.split(":")
        run = ExtractRun(source, config, HttpSettings())
        started = time.monotonic()
        getattr(importlib.import_module(f"orchestration.sources.{module}"), function)(run, days)
        seconds = time.monotonic() - started
        results[function] = {
            "records": run.totals.rows[dataset],
            "rows": sum(run.totals.rows.values()),
            "seconds": round(seconds, 2),
            "requests": run.metadata()["requests"],
        }
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "days": len(days),
        "extracts": results,
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "baseline_rss_mb": round(baseline_kb / 1024, 1),
    }


def extract_in_child(start: date, end: date, env: dict[str, str], warehouse: str) -> dict:
    """`extract(start, end)` in a child process landing into `warehouse`, with the simulator's
    `env`; its report, or an error carrying the end of its stderr."""
    command = [sys.executable, __file__, "--child", f"{start}...{end}"]
    child_env = {**os.environ, **env, "WAREHOUSE_DIR": warehouse, "PYTHONPATH": str(ROOT)}
    ran = subprocess.run(command, env=child_env, capture_output=True, text=True)
    if ran.returncode != 0:
        raise RuntimeError(f"extracting {start}..{end} failed:\n{ran.stderr[-3000:]}")
    return json.loads(ran.stdout.strip().splitlines()[-1])


def measure(start: date, end: date, env: dict[str, str]) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-warehouse-") as warehouse:
        return extract_in_child(start, end, env, warehouse)


def report(label: str, result: dict) -> None:
    print(
        f"\n{label}: {result['days']} days, extractor peak RSS {result['peak_rss_mb']} MB "
        f"(of which {result['baseline_rss_mb']} MB after imports, before extracting)"
    )
    print(
        f"{'extract':<24}{'records':>11}{'rows':>11}{'seconds':>9}{'records/s':>11}{'rows/s':>10}"
    )
    for name, r in result["extracts"].items():
        per_second = r["records"] / r["seconds"] if r["seconds"] else 0
        rows_per_second = r["rows"] / r["seconds"] if r["seconds"] else 0
        print(
            f"{name:<24}{r['records']:>11,}{r['rows']:>11,}{r['seconds']:>9.1f}"
            f"{per_second:>11,.0f}{rows_per_second:>10,.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=170, help="days in the full range")
    parser.add_argument("--scale", default="large")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        start, end = (date.fromisoformat(d) for d in args.child.split("..."))
        print(json.dumps(extract(start, end)))
        return
    end = date.today() - timedelta(days=2)  # complete days in every time zone
    quarter_start = end - timedelta(days=max(1, args.days // 4) - 1)
    full_start = end - timedelta(days=args.days - 1)
    simulator, env = start_simulator(args.scale)
    try:
        print(f"simulator pid {simulator.pid} ({args.scale}); extractor in a child process")
        report("quarter range", measure(quarter_start, end, env))
        report("full range", measure(full_start, end, env))
    finally:
        simulator.terminate()
        simulator.wait()


if __name__ == "__main__":
    main()
