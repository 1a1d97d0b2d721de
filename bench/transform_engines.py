"""Transform-phase benchmark: the same dbt project built on duckdb, postgres and spark (local).

For each data size, one landing zone is generated, then for each engine a fresh build runs on it:
- duckdb: `dbt build` (sources read the Parquet files);
- postgres: the landing loader (Parquet -> COPY into `landing.*`), then `dbt build`, in a fresh
  database of the server given by --postgres-dsn / TEST_POSTGRES_DSN;
- spark: `dbt build` with pyspark in local mode (JVM and Derby metastore start included).
`dbt build` = seeds + models + data tests (+ the 11 dbt unit tests on duckdb only, as in the tests).

Sizes: `fixture` (the hand-made fixture of tests/dbt, 36 days, 8 orders) and `generated`
(tests/dbt/test_incremental_equivalence.write_landing: --days days x --orders-per-day orders,
with late refunds, fulfilments and ticket updates). Or `--landing DIR --days N`: the last N day
partitions of an existing landing zone (e.g. one the pipeline extracted with the `large` profile),
copied once (never written to DIR) and read by every engine; `--label` names that size.

`--project-dir` (default: env RETAIL_DBT_PROJECT_DIR, else dbt_project/) builds another copy of
the dbt project, e.g. a frozen `git archive HEAD dbt_project` while dbt_project/ is being edited.
Each record also has the peak memory of the dbt process tree (dbt + the JVM for spark; RSS summed,
sampled every 0.5 s), of the landing load (this process), of the Postgres server when
--postgres-data-dir is given (PSS, so shared buffers count once) and the load average around it.

Prints one JSON object per (size, engine) and appends them to bench/results/transform_engines.jsonl.

    .venv/bin/python bench/transform_engines.py                       # all engines, both sizes
    .venv/bin/python bench/transform_engines.py --engines duckdb postgres --sizes generated
    .venv/bin/python bench/transform_engines.py --landing /tmp/L90/landing --days 14 \
        --label large --project-dir /tmp/frozen/dbt_project
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from unittest import mock

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import tests.dbt_runner as dbt_runner  # noqa: E402
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


def copy_landing(source: Path, root: Path, days: int) -> tuple[Path, dict, dict]:
    """Copy the last `days` day partitions (over all datasets) of the landing zone `source` to
    root/landing, skipping `_rejects`; return (root, dbt vars, facts). `source` is only read."""
    datasets = sorted(
        d
        for d in source.glob("*/*")
        if d.is_dir() and not d.name.startswith("_") and not d.parent.name.startswith("_")
    )
    dates = sorted({p.name for d in datasets for p in d.glob("date=*") if p.is_dir()})
    if not dates:
        raise SystemExit(f"no date=YYYY-MM-DD partitions under {source}/<source>/<dataset>/")
    kept = dates[-days:]
    for dataset in datasets:
        for name in kept:
            if (dataset / name).is_dir():
                shutil.copytree(
                    dataset / name, root / "landing" / dataset.relative_to(source) / name
                )
    first, last = kept[0].removeprefix("date="), kept[-1].removeprefix("date=")
    return (
        root,
        {"partition_end": last},
        {"days": len(kept), "first_day": first, "last_day": last, "landing_source": str(source)},
    )


def landing_stats(landing: Path) -> dict:
    import pyarrow.parquet as pq

    files = sorted(landing.rglob("*.parquet"))
    by_dataset: dict[str, int] = {}
    for f in files:
        key = "/".join(f.relative_to(landing).parts[:2])
        by_dataset[key] = by_dataset.get(key, 0) + pq.ParquetFile(f).metadata.num_rows
    size = sum(f.stat().st_size for f in files)
    return {
        "landing_files": len(files),
        "landing_rows": sum(by_dataset.values()),
        "landing_mb": round(size / 1e6, 2),
        "landing_rows_by_dataset": by_dataset,
    }


class PeakMemory:
    """Peak memory (MB) of a process tree, sampled every `interval` s in a thread.

    `rss` sums the RSS of the tree (children only, or with the root too); `pss` sums PSS instead
    (shared pages counted once: a Postgres server's shared buffers)."""

    def __init__(self, pid: int, include_root: bool, pss: bool = False, interval: float = 0.5):
        import psutil

        self.root = psutil.Process(pid)
        self.include_root = include_root
        self.pss = pss
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        import psutil

        procs = self.root.children(recursive=True)
        if self.include_root:
            procs.append(self.root)
        total = 0
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                total += proc.memory_full_info().pss if self.pss else proc.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())

    @property
    def mb(self) -> float:
        return round(self.peak / 1e6, 1)


def postgres_server_memory(data_dir: Path | None):
    """A PeakMemory over the postmaster of data_dir (its first postmaster.pid line), or a no-op."""
    if data_dir is None:
        return contextlib.nullcontext(None)
    pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
    return PeakMemory(pid, include_root=True, pss=True)


class _TimeLimitedSubprocess:
    """`subprocess` as tests.dbt_runner sees it, with a time limit on run() (dbt is killed)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def __getattr__(self, name: str):
        return getattr(subprocess, name)

    def run(self, *args, **kwargs):
        return subprocess.run(*args, timeout=self.timeout, **kwargs)


def run_dbt_build(engine: str, warehouse: Path, dbt_vars: dict, env: dict, timeout: float | None):
    """`dbt build` as the tests run it; (completed process, timed out). On timeout the output so
    far is kept and the return code is -9."""
    args = ["build", *EXTRA_BUILD_ARGS[engine]]
    if not timeout:
        return run_dbt(args, warehouse, dbt_vars, check=False, env=env), False
    with mock.patch.object(dbt_runner, "subprocess", _TimeLimitedSubprocess(timeout)):
        try:
            return run_dbt(args, warehouse, dbt_vars, check=False, env=env), False
        except subprocess.TimeoutExpired as expired:
            out, err = (
                x.decode(errors="replace") if isinstance(x, bytes) else (x or "")
                for x in (expired.stdout, expired.stderr)
            )
            return subprocess.CompletedProcess(expired.cmd, -9, out, err), True


def run_engine(
    engine: str,
    source_root: Path,
    dbt_vars: dict,
    work: Path,
    pg_data: Path | None = None,
    timeout: float | None = None,
    postgres_options: str | None = None,
) -> dict:
    warehouse = work / engine / "warehouse"
    (warehouse / "build").mkdir(parents=True)
    (warehouse / "landing").symlink_to(source_root / "landing")
    env = {"DBT_TARGET": engine}
    result: dict = {"engine": engine, "loadavg_before": [round(x, 2) for x in os.getloadavg()]}
    database = None
    server = postgres_server_memory(pg_data if engine == "postgres" else None)
    try:
        with server as server_memory:
            if engine == "postgres":
                from orchestration.lib.landing_loader import load_landing
                from orchestration.sources import LANDING_DATASETS

                database = create_postgres_database("bench_transform")
                env.update(postgres_env(database))
                if postgres_options:  # libpq: session settings of dbt's connections
                    env["PGOPTIONS"] = postgres_options
                    result["postgres_options"] = postgres_options
                started = time.perf_counter()
                with PeakMemory(os.getpid(), include_root=True) as load_memory:
                    load_landing(postgres_dsn(database), warehouse, LANDING_DATASETS)
                result["load_seconds"] = round(time.perf_counter() - started, 2)
                result["load_peak_rss_mb"] = load_memory.mb
            started = time.perf_counter()
            with PeakMemory(os.getpid(), include_root=False) as build_memory:
                build, timed_out = run_dbt_build(engine, warehouse, dbt_vars, env, timeout)
            result["dbt_build_seconds"] = round(time.perf_counter() - started, 2)
            if timed_out:
                done = re.findall(r" (\d+) of \d+ (?:OK|PASS|WARN|FAIL|ERROR)", build.stdout)
                result["timed_out_after_seconds"] = timeout
                result["nodes_done_before_timeout"] = len(done)
            result["dbt_peak_rss_mb"] = build_memory.mb
        if server_memory is not None:
            result["postgres_server_peak_pss_mb"] = server_memory.mb
        result["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
        result["ok"] = build.returncode == 0
        tail = [line for line in build.stdout.splitlines() if "Done. PASS=" in line]
        result["dbt_summary"] = tail[-1].split("Done. ")[-1].strip() if tail else None
        if not result["ok"]:
            (work / f"{engine}-dbt-build.log").write_text(build.stdout + build.stderr)
            failed = [
                line for line in build.stdout.splitlines() if " ERROR " in line or "FAIL " in line
            ]
            result["dbt_failures"] = failed[-20:]
            result["dbt_log"] = str(work / f"{engine}-dbt-build.log")
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
    parser.add_argument(
        "--landing", type=Path, help="an existing landing zone: its last --days days, read-only"
    )
    parser.add_argument("--label", default="landing", help="the size name of --landing")
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=Path(os.environ.get("RETAIL_DBT_PROJECT_DIR") or dbt_runner.DBT_PROJECT_DIR),
    )
    parser.add_argument("--postgres-dsn", default=os.environ.get("TEST_POSTGRES_DSN"))
    parser.add_argument(
        "--postgres-data-dir", type=Path, help="the server's data dir: measure its memory"
    )
    parser.add_argument(
        "--work-dir", type=Path, help="keep the copies, builds and logs here (default: a temp dir)"
    )
    parser.add_argument(
        "--postgres-options", help="PGOPTIONS for dbt on postgres, e.g. '-c enable_nestloop=off'"
    )
    parser.add_argument(
        "--timeout", type=float, help="seconds: a dbt build still running then is killed (ok=false)"
    )
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    project_dir = args.project_dir.resolve()
    if not (project_dir / "dbt_project.yml").is_file():
        parser.error(f"no dbt_project.yml in {project_dir}")
    dbt_runner.DBT_PROJECT_DIR = project_dir  # run_dbt reads it at each call
    os.environ["RETAIL_DBT_PROJECT_DIR"] = str(project_dir)
    sizes = [args.label] if args.landing else args.sizes
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
    if args.work_dir:
        args.work_dir.mkdir(parents=True, exist_ok=True)
        workspace = contextlib.nullcontext(
            tempfile.mkdtemp(prefix="bench-transform-", dir=args.work_dir)
        )
    else:
        workspace = tempfile.TemporaryDirectory(prefix="bench-transform-")
    with workspace as tmp:
        for size in sizes:
            source = Path(tmp) / size / "source"
            if args.landing:
                root, dbt_vars, facts = copy_landing(args.landing.resolve(), source, args.days)
            else:
                root, dbt_vars, facts = generate(size, source, args.days, args.orders_per_day)
            stats = landing_stats(root / "landing")
            for engine in args.engines:
                record = {
                    "benchmark": "transform_engines",
                    "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "size": size,
                    **facts,
                    **stats,
                    **run_engine(
                        engine,
                        root,
                        dbt_vars,
                        Path(tmp) / size,
                        args.postgres_data_dir,
                        args.timeout,
                        args.postgres_options,
                    ),
                    "project_dir": str(project_dir),
                    "machine": machine,
                }
                print(json.dumps(record), flush=True)
                if not args.no_save:
                    RESULTS.parent.mkdir(parents=True, exist_ok=True)
                    with RESULTS.open("a") as out:
                        out.write(json.dumps(record) + "\n")
            if not args.work_dir:
                shutil.rmtree(Path(tmp) / size, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
