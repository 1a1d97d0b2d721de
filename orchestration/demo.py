"""`make demo`: the whole pipeline on the bundled simulator over recent days, told to a person.

Runs `dg launch` next to this interpreter (what a user would type) with the full Dagster log
written to a file under the warehouse, and prints one line per stage (extract, checks, dbt,
publish, report) as the run's event log shows it ending, then what to open next. On a failure it
says which step or check failed and why, in one paragraph, and where the log is. The code
location's executor is the in-process one (orchestration/jobs.py): one process means one
in-process simulator for the whole run (one consistent "now"). Usage:

    python -m orchestration.demo [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--days N]

Defaults: yesterday (shop time zone) and the three whole calendar months before it, so that the
monthly marts, the scorecard and returning customers have history; `--days N` (or `DEMO_DAYS`)
takes the last N days instead, `DEMO_START` / `DEMO_END` override from the environment.

Before the run, runs of the instance whose process died are marked failed and their concurrency
slots freed (orchestration/recovery.py), so a demo killed earlier never blocks this one. The
launcher runs in its own process group, which this process stops as a whole (dbt, the
quality-check processes) when it is interrupted or terminated: nothing outlives it.

Demo mode itself lives here too: the code location's definitions use `DemoPipelineResource`, so
a run with no source URL set reads the simulator this module starts. The rest of the package
never imports `simulator`.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console

from orchestration.instance import PLANNED_EVENTS_ENV, open_instance, prepare_dagster_home
from orchestration.lib.config import DemoStarter, PipelineResource, source_mode
from orchestration.lib.paths import WarehouseLayout
from orchestration.lib.settings import (
    Settings,
    child_environment,
    load_settings,
    process_environment,
)

#: Whole months of history before yesterday in the default demo.
DEMO_MONTHS = 3
ROOT = Path(__file__).resolve().parent.parent
#: Seconds the launcher may take to create the run (it imports the code location first).
RUN_CREATION_TIMEOUT = 600.0
#: The demo store is on Shopify Plus (cost bucket 20,000 points, restoring 1,000/s): the standard
#: plan's 100/s would spend most of a two-week demo pacing the order queries.
DEMO_SHOP_BUCKET = (20_000.0, 1_000.0)

_demo_lock = threading.Lock()
_demo_server: Any = None


def start_demo_simulator() -> tuple[str, Mapping[str, str]]:
    """The process-wide simulator on 127.0.0.1 (free port), started on first use.

    One per process, so every asset of an in-process run reads the same simulated retailer.
    """
    global _demo_server
    from simulator import DEMO_CREDENTIALS, SimulatorConfig, SimulatorServer

    with _demo_lock:
        if _demo_server is None:
            bucket_size, restore_rate = DEMO_SHOP_BUCKET
            config = SimulatorConfig(shop_bucket_size=bucket_size, shop_restore_rate=restore_rate)
            server = SimulatorServer(config)
            server.__enter__()
            atexit.register(server.__exit__, None, None, None)
            _demo_server = server
        return _demo_server.url, DEMO_CREDENTIALS


class DemoPipelineResource(PipelineResource):
    """The extracts' resource of the code location: live when every source URL is set, the
    bundled simulator when none is (and an error naming what is missing in between)."""

    def demo_starter(self) -> DemoStarter | None:
        return start_demo_simulator


def default_range(today: date, months: int = DEMO_MONTHS) -> tuple[date, date]:
    """Yesterday, and before it `months` whole calendar months: enough history for monthly
    trends, returning customers and the scorecard to mean something."""
    end = today - timedelta(days=1)
    first_of_month = end.replace(day=1)
    month_index = first_of_month.year * 12 + first_of_month.month - 1 - months
    return date(month_index // 12, month_index % 12 + 1, 1), end


def parse_args(argv: Sequence[str], env: Mapping[str, str] | None = None) -> tuple[date, date]:
    settings = load_settings(env)
    defaults = settings.demo_range()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=date.fromisoformat, default=defaults.get("start"))
    parser.add_argument("--end", type=date.fromisoformat, default=defaults.get("end"))
    parser.add_argument("--days", type=int, default=defaults.get("days"), help="instead of months")
    args = parser.parse_args(argv)
    today = datetime.now(ZoneInfo(settings.shop_timezone)).date()
    end = args.end or default_range(today)[1]
    if args.start:
        return args.start, end
    if args.days:
        return end - timedelta(days=int(args.days) - 1), end
    return default_range(end + timedelta(days=1))[0], end


def launch_command(start: date, end: date) -> list[str]:
    """The command a user would type for this range (one run, one dbt build)."""
    return [
        str(Path(sys.executable).with_name("dg")),
        *("launch", "--assets", "*", "--partition-range", f"{start}...{end}"),
    ]


def child_env(env: dict[str, str], warehouse: Path) -> dict[str, str]:
    """The run's environment: this warehouse, its Dagster home, the repository importable, and
    one planned event per asset for the whole range (instance.PLANNED_EVENTS_ENV)."""
    child = {**PLANNED_EVENTS_ENV, **env}
    child["WAREHOUSE_DIR"] = str(warehouse)
    child["DAGSTER_HOME"] = str(prepare_dagster_home(warehouse))
    child["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return child


def start_run(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """The launcher in its own process group, its output in the log file.

    Its own group, so that stopping the demo stops dbt and every other grandchild with it.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        return subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,  # `dg` finds the project by its pyproject.toml
            start_new_session=True,
        )


def stop_group(process: subprocess.Popen, grace_seconds: float = 20.0) -> None:
    """SIGTERM the launcher's whole process group, then SIGKILL what is left."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace_seconds)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def event_log_kept_open(instance: Any, run_id: str) -> Iterator[list[Path]]:
    """Hold an idle connection to the SQLite files the run's events go to, until the run ends.

    Dagster's SQLite event log opens and closes a connection for every event, two files per
    materialisation (the run's file and the asset index). The last connection to close a WAL
    database checkpoints it into the main file and deletes the log, with their disk syncs:
    thousands of times in a range run. With this connection open, Dagster's are never the last,
    and SQLite checkpoints as it fills the log instead. The connection reads once, to join the
    log, then holds no transaction and no lock that stops a writer. Only for the instance's
    default SQLite event log; opens only files that exist (mode=rw), never creates one.
    """
    shard_path = getattr(instance.event_log_storage, "path_for_shard", None)
    connections: list[sqlite3.Connection] = []
    opened: list[Path] = []
    for shard in ("index", run_id) if shard_path else ():
        path = Path(shard_path(shard))
        with contextlib.suppress(sqlite3.Error):
            connection = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True)
            connections.append(connection)
            # One read joins the write-ahead log (its shared memory file); it ends at once.
            connection.execute("select count(*) from sqlite_master").fetchone()
            opened.append(path)
    try:
        yield opened
    finally:
        for connection in connections:
            connection.close()


def failure_paragraph(stages: Sequence, log_path: Path, returncode: int) -> str:
    """Why the run failed, in words: the failed checks (else the failed steps), whether anything
    was published, and the log."""
    reasons = [reason for stage in stages for reason in stage.checks_failed]
    reasons = reasons or [reason for stage in stages for reason in stage.failures]
    if not reasons:
        reasons = [f"the run stopped with exit code {returncode} before any step failed"]
    text = "The run failed: " + "; ".join(" ".join(r.split())[:600] for r in reasons) + "."
    publish = [stage for stage in stages if stage.name == "publish"]
    if publish and not publish[0].succeeded:
        text += " Nothing was published: BI keeps the last publication."
    return textwrap.fill(f"{text} Full log: {log_path}", width=100)


def next_steps(warehouse: WarehouseLayout) -> list[str]:
    """What to open once the marts are published."""
    marts = warehouse.published_marts
    lines = ["Open next:"]
    report = warehouse.reports / "latest.html"
    if report.exists():
        lines.append(f"  KPI report       {report}")
    sheets = sorted(warehouse.picking_sheets.glob("*/index.html"))
    if sheets:
        lines.append(f"  picking sheets   {sheets[-1]}")
    docs = warehouse.published_docs_index
    if docs.exists():
        lines.append(f"  marts docs       {docs}")
    if marts.exists():
        query = (
            "select date, orders, net_revenue, conversion_rate from mart_kpi_daily "
            "order by date desc limit 7"
        )
        lines += [
            f"  BI database      {marts} (open it read-only), e.g.:",
            f'    {Path(sys.executable)} -c "import duckdb; '
            f"duckdb.connect('{marts}', read_only=True).sql('{query}').show()\"",
        ]
    lines.append("  Dagster UI       make dev  (http://127.0.0.1:3000: lineage, checks, runs)")
    return lines


def run_demo(start: date, end: date, settings: Settings, console: Console) -> int:
    from orchestration.dbt.project import prepare_if_dev
    from orchestration.recovery import recover_dead_runs
    from orchestration.run_progress import RunFollower, find_run, follow

    mode = source_mode(settings)  # a mixed environment fails here, before anything runs
    warehouse = WarehouseLayout(settings.warehouse_dir)
    run_env = child_env(child_environment({}), warehouse.root)
    log_path = warehouse.logs / f"demo-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
    sources = "the bundled simulator" if mode == "demo" else "live sources"
    console.print(f"demo: {sources}, days {start}...{end}, warehouse {warehouse.root}")
    console.print(f"full Dagster log: {log_path}")
    stages: list = []
    # The definitions read the dbt manifest when imported; parse it once here, not per process.
    prepare_if_dev()
    # The instance (SQLite storages) is created here, before the launcher starts, under a lock
    # shared with any other demo started at the same time.
    home = {"DAGSTER_HOME": run_env["DAGSTER_HOME"]}
    with process_environment(home), open_instance(Path(run_env["DAGSTER_HOME"])) as instance:
        for run_id in recover_dead_runs(instance, lambda _: None):
            console.print(f"an earlier run ({run_id}) had died: marked failed, its slots freed")
        launched = time.time()
        process = start_run(launch_command(start, end), run_env, log_path)
        try:
            alive = lambda: process.poll() is None  # noqa: E731
            run = find_run(instance, launched, RUN_CREATION_TIMEOUT, alive)
            if run is not None:
                follower = RunFollower(instance, run)
                stages = follower.stages
                with event_log_kept_open(instance, run.run_id):
                    for _ in follow(follower, console, alive):
                        pass
            returncode = process.wait()
        except KeyboardInterrupt:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut it short
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            console.print("interrupted: stopping the run and its processes")
            stop_group(process)
            console.print(f"stopped; the partial log is {log_path}")
            return 130
    elapsed = time.time() - launched
    if returncode != 0:
        console.print(failure_paragraph(stages, log_path, returncode))
        return returncode
    console.print(f"done in {elapsed // 60:.0f} min {elapsed % 60:02.0f} s.")
    for warning in (w for stage in stages for w in stage.checks_warned):
        console.print(f"warning (published anyway): {' '.join(warning.split())[:300]}")
    for line in next_steps(warehouse):
        console.print(line)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    settings = load_settings()
    start, end = parse_args(sys.argv[1:] if argv is None else argv, settings.env)
    console = Console(highlight=False, soft_wrap=True)
    # SIGTERM (a CI timeout, `kill`) ends the demo like Ctrl-C: the run's process group goes too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    return run_demo(start, end, settings, console)


if __name__ == "__main__":
    sys.exit(main())
