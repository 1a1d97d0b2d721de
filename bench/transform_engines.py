"""Transform-phase benchmark: the same dbt project built on duckdb, postgres and spark (local).

For each data size, one landing zone is generated, then for each engine a fresh build runs on it:
- duckdb: `dbt build` (sources read the Parquet files);
- postgres: the landing loader (Parquet -> COPY into `landing.*`), then `dbt build`, in a fresh
  database of the server given by --postgres-dsn / TEST_POSTGRES_DSN;
- spark: `dbt build` with pyspark in local mode (JVM and Derby metastore start included).
`dbt build` = seeds + models + data tests (+ the 11 dbt unit tests on duckdb only, as in the tests).

Sizes: `fixture` (the hand-made fixture of tests/dbt, 36 days, 8 orders) and `generated`
(tests/dbt/test_incremental_equivalence.write_landing: --days days x --orders-per-day orders,
with late refunds, fulfilments and ticket updates).

Prints one JSON object per (size, engine) and appends them to bench/results/transform_engines.jsonl.

    .venv/bin/python bench/transform_engines.py                       # all engines, both sizes
    .venv/bin/python bench/transform_engines.py --engines duckdb postgres --sizes generated
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.dbt.fixture_landing import DBT_VARS as FIXTURE_VARS  # noqa: E402
from tests.dbt.fixture_landing import build_landing  # noqa: E402
from tests.dbt.targets import (  # noqa: E402
    EXTRA_BUILD_ARGS,
    create_postgres_database,
    drop_postgres_database,
    java_version,
    postgres_dsn,
    postgres_env,
)
from tests.dbt_runner import run_dbt  # noqa: E402

RESULTS = REPO_ROOT / "bench" / "results" / "transform_engines.jsonl"


def generate(size: str, root: Path, days: int, orders_per_day: int) -> tuple[Path, dict, dict]:
    """Write the landing zone of `size` under root/landing; return (root, dbt vars, facts)."""
    if size == "fixture":
        build_landing(root)
        return root, dict(FIXTURE_VARS), {"days": 36, "orders_per_day": "fixture"}
    from tests.dbt.test_incremental_equivalence import write_landing

    start = dt.date(2026, 1, 1)
    write_landing(root, start, days, orders_per_day=orders_per_day)
    end = start + dt.timedelta(days=days - 1)
    return (
        root,
        {"partition_end": end.isoformat()},
        {"days": days, "orders_per_day": orders_per_day},
    )


def landing_stats(landing: Path) -> dict:
    import pyarrow.parquet as pq

    files = list(landing.rglob("*.parquet"))
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    size = sum(f.stat().st_size for f in files)
    return {"landing_files": len(files), "landing_rows": rows, "landing_mb": round(size / 1e6, 2)}


def run_engine(engine: str, source_root: Path, dbt_vars: dict, work: Path) -> dict:
    warehouse = work / engine / "warehouse"
    (warehouse / "build").mkdir(parents=True)
    (warehouse / "landing").symlink_to(source_root / "landing")
    env = {"DBT_TARGET": engine}
    result: dict = {"engine": engine}
    database = None
    try:
        if engine == "postgres":
            from orchestration.lib.landing_loader import load_landing

            database = create_postgres_database("bench_transform")
            env.update(postgres_env(database))
            started = time.perf_counter()
            load_landing(postgres_dsn(database), warehouse)
            result["load_seconds"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        build = run_dbt(
            ["build", *EXTRA_BUILD_ARGS[engine]], warehouse, dbt_vars, check=False, env=env
        )
        result["dbt_build_seconds"] = round(time.perf_counter() - started, 2)
        result["ok"] = build.returncode == 0
        tail = [line for line in build.stdout.splitlines() if "Done. PASS=" in line]
        result["dbt_summary"] = tail[-1].split("Done. ")[-1].strip() if tail else None
        result["total_seconds"] = round(
            result["dbt_build_seconds"] + result.get("load_seconds", 0.0), 2
        )
    finally:
        if database:
            drop_postgres_database(database)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", nargs="+", default=["duckdb", "postgres", "spark"])
    parser.add_argument("--sizes", nargs="+", default=["fixture", "generated"])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--orders-per-day", type=int, default=100)
    parser.add_argument("--postgres-dsn", default=os.environ.get("TEST_POSTGRES_DSN"))
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    if "postgres" in args.engines:
        if not args.postgres_dsn:
            parser.error("postgres needs --postgres-dsn or TEST_POSTGRES_DSN")
        os.environ["TEST_POSTGRES_DSN"] = args.postgres_dsn

    machine = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "java": java_version(),
        "platform": platform.platform(),
    }
    with tempfile.TemporaryDirectory(prefix="bench-transform-") as tmp:
        for size in args.sizes:
            root, dbt_vars, facts = generate(
                size, Path(tmp) / size / "source", args.days, args.orders_per_day
            )
            stats = landing_stats(root / "landing")
            for engine in args.engines:
                record = {
                    "benchmark": "transform_engines",
                    "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "size": size,
                    **facts,
                    **stats,
                    **run_engine(engine, root, dbt_vars, Path(tmp) / size),
                    "machine": machine,
                }
                print(json.dumps(record), flush=True)
                if not args.no_save:
                    RESULTS.parent.mkdir(parents=True, exist_ok=True)
                    with RESULTS.open("a") as out:
                        out.write(json.dumps(record) + "\n")
            shutil.rmtree(Path(tmp) / size, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
