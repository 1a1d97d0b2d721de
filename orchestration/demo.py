"""`make demo`: materialise every asset over recent days, then say what landed.

Runs the `dagster` CLI next to this interpreter (what a user would type). The code location's
executor is the in-process one (orchestration/jobs.py): one process means one in-process
simulator for the whole run (one consistent "now"). Usage:

    python -m orchestration.demo [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--days N]

Defaults: the last `DEMO_DAYS` (14) full days ending yesterday in the shop's time zone;
`DEMO_START` / `DEMO_END` override from the environment.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq

from orchestration.instance import prepare_dagster_home
from orchestration.lib import duckdb_settings
from orchestration.lib.config import DEFAULT_SHOP_TIMEZONE, source_mode
from orchestration.lib.landing_schemas import LANDING_DATASETS, REJECTS_DATASET


def default_range(today: date, days: int) -> tuple[date, date]:
    """The `days` full days ending yesterday."""
    end = today - timedelta(days=1)
    return end - timedelta(days=days - 1), end


def parse_args(argv: Sequence[str], env: dict[str, str]) -> tuple[date, date]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=date.fromisoformat, default=env.get("DEMO_START"))
    parser.add_argument("--end", type=date.fromisoformat, default=env.get("DEMO_END"))
    parser.add_argument("--days", type=int, default=int(env.get("DEMO_DAYS", "14")))
    args = parser.parse_args(argv)
    today = datetime.now(ZoneInfo(env.get("SHOP_TIMEZONE") or DEFAULT_SHOP_TIMEZONE)).date()
    end = args.end or default_range(today, args.days)[1]
    return args.start or end - timedelta(days=args.days - 1), end


def landed_rows(warehouse: Path, start: date, end: date) -> dict[str, tuple[int, int]]:
    """`source/dataset` -> (rows, rejects) over the range, read from the Parquet footers."""

    def count(folder: Path) -> int:
        total = 0
        for path in folder.glob("date=*/data.parquet"):
            if start <= date.fromisoformat(path.parent.name.removeprefix("date=")) <= end:
                total += pq.ParquetFile(path).metadata.num_rows
        return total

    landing = warehouse / "landing"
    return {
        f"{source}/{dataset}": (
            count(landing / source / dataset),
            count(landing / source / REJECTS_DATASET / dataset),
        )
        for source, datasets in LANDING_DATASETS.items()
        for dataset in datasets
    }


def print_publication(warehouse: Path) -> None:
    """What BI now reads: the published marts and their row counts, the report, the sheets."""
    published = warehouse / "published" / "marts.duckdb"
    if not published.exists():
        print("\nnothing published (see the run's failed checks in the log above)")
        return
    with duckdb_settings.connect(published, read_only=True) as con:
        marts = con.execute(
            "select table_name, estimated_size from duckdb_tables() "
            "where schema_name = 'main' and not starts_with(table_name, '_') order by table_name"
        ).fetchall()
    print(f"\npublished to {published} (BI reads this file, read-only):")
    for name, rows in marts:
        print(f"  {name:<36}{rows:>10,} rows")
    for path in (
        warehouse / "published" / "reports" / "latest.html",
        *sorted((warehouse / "published" / "picking").glob("*/index.html"))[-1:],
    ):
        if path.exists():
            print(f"open {path}")


def main(argv: Sequence[str] | None = None) -> int:
    env = dict(os.environ)
    start, end = parse_args(sys.argv[1:] if argv is None else argv, env)
    mode = source_mode(env)  # a mixed environment fails here, before anything runs
    warehouse = Path(env.get("WAREHOUSE_DIR") or "./warehouse").resolve()
    env["WAREHOUSE_DIR"] = str(warehouse)
    env["DAGSTER_HOME"] = str(prepare_dagster_home(warehouse))
    # The repo root on the path, so `simulator` imports without an editable install.
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    command = [
        str(Path(sys.executable).with_name("dagster")),
        *("asset", "materialize", "-m", "orchestration.definitions", "--select", "*"),
        *("--partition-range", f"{start}...{end}"),
    ]
    print(f"demo: {mode} sources, days {start}...{end}, warehouse {warehouse}", flush=True)
    started = time.monotonic()
    result = subprocess.run(command, env=env, check=False)
    elapsed = time.monotonic() - started
    print(f"\ndagster run {'succeeded' if result.returncode == 0 else 'FAILED'} in {elapsed:.0f}s")
    print(f"{'dataset':<32}{'rows':>10}{'rejects':>10}")
    for name, (rows, rejects) in landed_rows(warehouse, start, end).items():
        print(f"{name:<32}{rows:>10,}{rejects:>10,}")
    print_publication(warehouse)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
