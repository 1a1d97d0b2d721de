"""Pipeline benchmark (issue #6): timed Dagster runs of the whole pipeline, phase by phase.

`daily` and `noop` launch the `daily_pipeline` job as the 06:00 schedule does (its executor, the
instance's run launcher, a code server: `launch_like_schedule`); `--launch materialize` and
`backfill` run `dagster asset materialize -m orchestration.definitions` with the in-process
executor. Both run against the simulator in its own process (live mode over loopback, as
`extract_benchmark.py` does), then read the run's step timings from the Dagster event log and
dbt's own timings from its run_results.json. A thread samples the RSS of the run's process tree
(dbt's subprocess included; the simulator is not: it stands in for remote APIs) every 0.2 s, so
each phase gets a peak. Each command prints one JSON document and appends it to
bench/results/pipeline.jsonl with the machine and the git commit.

    python bench/pipeline_benchmark.py snapshot                       # freeze dbt_project/ first
    python bench/pipeline_benchmark.py backfill --warehouse W --start A --end B
    python bench/pipeline_benchmark.py daily    --warehouse W --day D [--copy-to W2]
    python bench/pipeline_benchmark.py noop     --warehouse W --day D   # fixed overhead
    python bench/pipeline_benchmark.py noop     --warehouse W --day D --launch materialize
    python bench/pipeline_benchmark.py subset   --source W --warehouse W2 --start A --end B
    python bench/pipeline_benchmark.py land     --warehouse W --start A --end B --simulator-now T

`subset` copies the landing partitions A..B of one warehouse into a new one (no extraction), so a
shorter history over the very same landed data costs no second extraction; `backfill --no-extract`
then builds it. Phases: extract, checks (landing and mart suites), dbt, publication, reports;
`overhead` is the run's wall time outside every step (process start, definitions, Dagster).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import queue
import resource
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_SNAPSHOT = Path("/tmp/bench-dbt-project")
sys.path.insert(0, str(ROOT))


# --------------------------------------------------------------------------- machine, results


def machine_info() -> dict[str, Any]:
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break

    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip()

    import dagster
    import duckdb

    return {
        "host": platform.node(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dagster": dagster.__version__,
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain")),
    }


def record(kind: str, result: dict[str, Any]) -> dict[str, Any]:
    doc = {
        "kind": kind,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "dagster_storage": os.environ.get("BENCH_DAGSTER_HOME_ROOT") or "sqlite in the warehouse",
        "duckdb_memory_limit": os.environ.get(
            "DUCKDB_MEMORY_LIMIT", "(unset: the default of the code measured)"
        ),
        "dbt_duckdb_memory_limit": os.environ.get(
            "DBT_DUCKDB_MEMORY_LIMIT", "(DUCKDB_MEMORY_LIMIT)"
        ),
        "dbt_threads": os.environ.get("DBT_THREADS", "(unset: the default of the code measured)"),
        "code_root": str(ROOT),  # the checkout measured (a copy of another commit: no git)
        **result,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    with (RESULTS / "pipeline.jsonl").open("a") as out:
        out.write(json.dumps(doc, default=str) + "\n")
    print(json.dumps(doc, indent=2, default=str))
    return doc


# --------------------------------------------------------------------------- RSS sampling


class TreeSampler(threading.Thread):
    """Samples a process tree every `interval` seconds: summed RSS, and CPU seconds used so far
    (user + system of the live processes, plus what exited children left to their parents).

    CPU seconds are the contention-proof figure on a shared machine: wall time stretches when
    another job takes the cores, CPU time much less. Each sample also keeps the RSS of every
    process by role (`dagster` for the run's own process, `dagster_step` for a step process of
    the multiprocess executor, else the child's program name, e.g. `dbt`), so that a peak says
    which process holds the memory.

    `code_server`: the root is a code server that outlives runs (as the daemon's does); its
    children are run workers. Its RSS is kept under its role but left out of the summed RSS
    (it is not the run's); its CPU is counted (it serves the launch).
    """

    def __init__(self, pid: int, interval: float = 0.2, code_server: bool = False) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.interval = interval
        self.code_server = code_server
        # (epoch seconds, bytes, cpu seconds, bytes by role)
        self.samples: list[tuple[float, int, float, dict[str, int]]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            rss, cpu, by_role = 0, 0.0, {}
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for proc in procs:
                try:
                    used = proc.memory_info().rss
                    times = proc.cpu_times()
                    role = self._role(proc)
                except psutil.Error:
                    continue
                rss += 0 if role == "code_server" else used
                cpu += times.user + times.system + times.children_user + times.children_system
                by_role[role] = by_role.get(role, 0) + used
            self.samples.append((time.time(), rss, cpu, by_role))
            self._halt.wait(self.interval)

    def _role(self, proc: psutil.Process) -> str:
        if proc.pid == self.root.pid:
            return "code_server" if self.code_server else "dagster"
        command = " ".join(proc.cmdline())
        if "multiprocessing.resource_tracker" in command:
            return "resource_tracker"
        if self.code_server and proc.ppid() == self.root.pid:
            return "dagster"  # the run worker
        if "multiprocessing" in command:
            return "dagster_step"
        return _role(proc)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def _peak_sample(self, start: float, end: float) -> tuple[float, int, float, dict[str, int]]:
        inside = [s for s in self.samples if start <= s[0] <= end]
        return max(inside, key=lambda s: s[1]) if inside else (0.0, 0, 0.0, {})

    def peak(self, start: float = 0.0, end: float = float("inf")) -> float:
        return round(self._peak_sample(start, end)[1] / 2**20, 1)

    def peak_by_role(self, start: float = 0.0, end: float = float("inf")) -> dict[str, float]:
        """The RSS of each process role at the peak sample, in MB."""
        by_role = self._peak_sample(start, end)[3]
        return {role: round(used / 2**20, 1) for role, used in sorted(by_role.items())}

    def role_peak(self, role: str) -> float:
        """The highest RSS one role reached over the run, in MB (whenever it was)."""
        return round(max((s[3].get(role, 0) for s in self.samples), default=0) / 2**20, 1)

    def cpu(self, start: float = 0.0, end: float = float("inf")) -> float:
        """CPU seconds used between the last sample before `start` and the last before `end`."""
        before = [s[2] for s in self.samples if s[0] <= start] or [0.0]
        until = [s[2] for s in self.samples if s[0] <= end] or [0.0]
        return round(max(0.0, max(until) - max(before)), 1)


def _role(proc: psutil.Process) -> str:
    """A child's program name: `dbt` for dbt's CLI (a Python script), else the executable's."""
    command = proc.cmdline()
    for part in command[:2]:
        name = Path(part).name
        if name not in ("python", "python3", "python3.11") and not name.startswith("-"):
            return name
    return proc.name()


# --------------------------------------------------------------------------- simulator


def start_simulator(scale: str, now: str | None) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """The simulator in its own process; `now`: its fixed clock (None: the wall clock)."""
    from bench.extract_benchmark import start_simulator as start

    return start(scale, *(["--now", now] if now else []))


# --------------------------------------------------------------------------- one dagster run


def phase_of(step_key: str) -> str:
    if "_ge_" in step_key or step_key.startswith("ge_"):
        return "checks"
    if step_key.startswith("landing__"):
        return "extract"
    if step_key == "dbt_models":
        return "dbt"
    if step_key == "published_marts":
        return "publication"
    return "reports"


def step_timings(dagster_home: Path) -> tuple[str, dict[str, Any], dict[str, float]]:
    """The latest run's id, status and run start/end, and each step's (start, end)."""
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(dagster_home))
    run = instance.get_runs(limit=1)[0]
    steps: dict[str, dict[str, float]] = {}
    marks: dict[str, float] = {}
    for entry in instance.all_logs(run.run_id):
        event = entry.dagster_event
        if event is None:
            continue
        name = event.event_type_value.replace("PIPELINE_", "RUN_")
        if name in ("RUN_START", "RUN_SUCCESS", "RUN_FAILURE"):
            marks[name] = entry.timestamp
        elif entry.step_key and name == "STEP_START":
            steps.setdefault(entry.step_key, {})["start"] = entry.timestamp
        elif entry.step_key and name in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            steps.setdefault(entry.step_key, {})["end"] = entry.timestamp
            steps[entry.step_key]["status"] = name
    instance.dispose()
    return run.run_id, {"status": run.status.value, **marks}, steps


def dbt_breakdown(warehouse: Path, run_id: str) -> dict[str, Any] | None:
    """dbt's own view of its build: elapsed time after parsing, and the slowest nodes."""
    path = warehouse / "build" / "dbt_runs" / run_id / "run_results.json"
    if not path.exists():
        return None
    results = json.loads(path.read_text())
    nodes = sorted(results["results"], key=lambda r: -r["execution_time"])
    by_type: dict[str, float] = {}
    for node in results["results"]:
        kind = node["unique_id"].split(".")[0]
        by_type[kind] = by_type.get(kind, 0.0) + node["execution_time"]
    return {
        "elapsed_s": round(results["elapsed_time"], 2),
        "nodes": len(nodes),
        "node_seconds_by_type": {k: round(v, 2) for k, v in sorted(by_type.items())},
        "slowest": [
            {"node": n["unique_id"].split(".")[-1], "s": round(n["execution_time"], 2)}
            for n in nodes[:12]
        ],
    }


def landed_rows(warehouse: Path) -> dict[str, int]:
    import pyarrow.parquet as pq

    totals: dict[str, int] = {}
    landing = warehouse / "landing"
    for path in landing.glob("*/*/date=*/data.parquet"):
        key = f"{path.parts[-4]}/{path.parts[-3]}"
        totals[key] = totals.get(key, 0) + pq.ParquetFile(path).metadata.num_rows
    return dict(sorted(totals.items()))


def dagster_home_for(warehouse: Path) -> Path:
    """The run's DAGSTER_HOME, prepared as `make dev` and the demo do (the repository's
    dagster.yaml: pools, run queue). BENCH_DAGSTER_HOME_ROOT (e.g. /dev/shm) puts Dagster's
    SQLite storage off the disk, standing in for the PostgreSQL storage of a production
    deployment (see bench/README.md)."""
    from orchestration.instance import DAGSTER_YAML

    home_root = os.environ.get("BENCH_DAGSTER_HOME_ROOT")
    home = Path(home_root) / warehouse.name if home_root else warehouse / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DAGSTER_YAML, home / "dagster.yaml")
    return home


def launch_like_schedule(env: dict[str, str], day: str) -> tuple[int, float, float, TreeSampler]:
    """Run the `daily_pipeline` job for `day` the way the 06:00 schedule does; returns the run's
    exit status (0: success), its launch time, the time its worker exited, and the sampler.

    The code location is loaded from workspace.yaml into a gRPC code server (as `dagster dev`
    and the daemon load it), the run is created for the job with the partition tag a schedule
    tick gives it, and `instance.launch_run` hands it to the instance's run launcher: the call
    the daemon's run queue makes when it dequeues a run. The run launcher asks the code server
    to start a run worker process, which executes the job with the job's own executor. Only the
    wait in the queue is left out. The sampler follows the code server's process tree; the
    run worker is its child, the worker's step processes, dbt and the suites the worker's.
    """
    import dagster as dg
    from dagster._cli.job import _create_run  # what `dagster job launch` calls
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget

    os.environ.update(env)  # the code server and the run worker inherit this environment
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with (
        dg.DagsterInstance.get() as instance,
        WorkspaceProcessContext(
            instance, WorkspaceFileTarget(paths=[str(ROOT / "workspace.yaml")])
        ) as process_context,
    ):
        workspace = process_context.create_request_context()
        (location_name,) = workspace.get_code_location_entries()
        location = workspace.get_code_location(location_name)
        (repo,) = location.get_repositories().values()
        job = repo.get_full_job("daily_pipeline")
        server = next(p for p in psutil.Process().children() if p.pid not in before)
        sampler = TreeSampler(server.pid, code_server=True)
        sampler.start()
        time.sleep(0.5)  # a first sample: the code server's CPU before the launch
        run = _create_run(
            instance=instance,
            code_location=location,
            remote_repo=repo,
            remote_job=job,
            run_config={},
            tags={"dagster/partition": day},
            op_selection=None,
            run_id=None,
        )
        launched = time.time()
        instance.launch_run(run.run_id, workspace)
        while not instance.get_run_by_id(run.run_id).is_finished:
            time.sleep(0.5)
        # the run worker writes its last event, then exits; the server reaps it
        deadline = time.time() + 60
        while time.time() < deadline and any(_live_run_worker(p) for p in server.children()):
            time.sleep(0.1)
        ended = time.time()
        time.sleep(0.5)  # a last sample with the worker's CPU counted by the server
        sampler.stop()
        status = instance.get_run_by_id(run.run_id).status
    return (0 if status == dg.DagsterRunStatus.SUCCESS else 1), launched, ended, sampler


def _live_run_worker(proc: psutil.Process) -> bool:
    """A run worker still running (not multiprocessing's resource tracker, not a zombie)."""
    try:
        return proc.status() != psutil.STATUS_ZOMBIE and "spawn_main" in " ".join(proc.cmdline())
    except psutil.Error:
        return False


def run_pipeline(
    warehouse: Path,
    partition_args: list[str],
    select: str,
    sim_env: dict[str, str],
    dbt_project: Path,
    like_schedule: bool = False,
) -> dict[str, Any]:
    """One run; its wall time, CPU, phases, peaks and dbt breakdown.

    `like_schedule`: the `daily_pipeline` job launched as the schedule launches it (see
    `launch_like_schedule`; `partition_args` is `["--partition", day]`); else `dagster asset
    materialize` with the code location's executor (in process), as `make demo` runs it.
    """
    warehouse.mkdir(parents=True, exist_ok=True)
    home = dagster_home_for(warehouse)
    env = {
        **os.environ,
        **sim_env,
        "WAREHOUSE_DIR": str(warehouse),
        "DAGSTER_HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "RETAIL_DBT_PROJECT_DIR": str(dbt_project),
        "DBT_KEEP_RUN_TARGETS": "1",
        "DAGSTER_DISABLE_TELEMETRY": "1",
    }
    command = [
        str(Path(sys.executable).with_name("dagster")),
        *("asset", "materialize", "-m", "orchestration.definitions", "--select", select),
        *partition_args,
    ]
    log = warehouse / f"run-{int(time.time())}.log"
    load_before = os.getloadavg()[0]
    if like_schedule:
        returncode, started, ended, sampler = launch_like_schedule(env, partition_args[1])
        # the code server's tree, run worker included; the last sample counts the reaped worker
        cpu_total = sampler.cpu(started, sampler.samples[-1][0])
    else:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.time()
        with log.open("w") as out:
            process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)
            sampler = TreeSampler(process.pid)
            sampler.start()
            returncode = process.wait()
            sampler.stop()
        ended = time.time()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_total = children.ru_utime + children.ru_stime - before.ru_utime - before.ru_stime
    run_id, run, steps = step_timings(home)
    # the RSS timeline beside the run's log: which process grew when
    timeline = [
        {
            "t": round(t - started, 2),
            "mb": round(b / 2**20, 1),
            **{k: round(v / 2**20, 1) for k, v in roles.items()},
        }
        for t, b, _, roles in sampler.samples
    ]
    spans = {
        key: [round(step[mark] - started, 2) for mark in ("start", "end") if mark in step]
        for key, step in steps.items()
    }
    log.with_suffix(".rss.json").write_text(json.dumps({"steps": spans, "samples": timeline}))
    phases: dict[str, dict[str, Any]] = {}
    for key, step in steps.items():
        if "start" not in step or "end" not in step:
            continue
        phase = phases.setdefault(
            phase_of(key), {"s": 0.0, "cpu_s": 0.0, "steps": 0, "peak_rss_mb": 0.0}
        )
        phase["s"] += step["end"] - step["start"]
        phase["cpu_s"] += sampler.cpu(step["start"], step["end"])
        phase["steps"] += 1
        step_peak = sampler.peak(step["start"], step["end"])
        if step_peak > phase["peak_rss_mb"]:
            phase["peak_rss_mb"] = step_peak
            phase["peak_rss_by_process_mb"] = sampler.peak_by_role(step["start"], step["end"])
    in_steps = sum(p["s"] for p in phases.values())
    for phase in phases.values():
        phase["s"] = round(phase["s"], 2)
        phase["cpu_s"] = round(phase["cpu_s"], 1)
    run_end = run.get("RUN_SUCCESS") or run.get("RUN_FAILURE") or ended
    return {
        "launched_as": "schedule (daily_pipeline job, its executor, the instance's run launcher)"
        if like_schedule
        else "dagster asset materialize (the code location's executor)",
        "returncode": returncode,
        "run_id": run_id,
        "run_status": run["status"],
        "wall_s": round(ended - started, 2),
        "cpu_s": round(cpu_total, 1),  # the dagster process tree, dbt included
        "load_avg_1m_before": round(load_before, 2),
        "load_avg_1m_after": round(os.getloadavg()[0], 2),
        "peak_rss_mb": sampler.peak(started),
        "peak_rss_by_process_mb": sampler.peak_by_role(started),
        "dagster_process_peak_rss_mb": sampler.role_peak("dagster"),
        "phases": phases,
        "overhead": {
            "total_s": round(ended - started - in_steps, 2),
            "before_run_start_s": round(run.get("RUN_START", started) - started, 2),
            "inside_run_between_steps_s": round(
                run_end - run.get("RUN_START", started) - in_steps, 2
            ),
            "after_run_end_s": round(ended - run_end, 2),
        },
        "steps_s": {
            k: round(v["end"] - v["start"], 2)
            for k, v in steps.items()
            if "end" in v and "start" in v
        },
        "dbt": dbt_breakdown(warehouse, run_id),
        "dbt_project": snapshot_info(dbt_project),
        "log": str(log),
    }


# --------------------------------------------------------------------------- commands


_SNAPSHOT_IGNORED = ("target", "logs", ".user.yml")


def project_fingerprint(project: Path) -> str:
    """A hash of a dbt project's files (what a snapshot froze), to tell a stale snapshot."""
    digest = hashlib.sha256()
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if path.is_file() and not set(relative.parts) & set(_SNAPSHOT_IGNORED):
            digest.update(str(relative).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def snapshot(target: Path) -> Path:
    """Copy dbt_project/ (without target/ and logs/) so that runs use a frozen project."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(ROOT / "dbt_project", target, ignore=shutil.ignore_patterns(*_SNAPSHOT_IGNORED))
    # Parse it now: otherwise the first run after a snapshot parses the manifest when it imports
    # the definitions (measured: 5-6 s more before its run starts than the runs after it).
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from orchestration.dbt.project import prepare_if_dev; prepare_if_dev()",
        ],
        env={**os.environ, "RETAIL_DBT_PROJECT_DIR": str(target)},
        cwd=ROOT,
        check=True,
    )
    return target


def snapshot_info(dbt_project: Path) -> dict[str, Any]:
    """Recorded with every run: whether the frozen project is the working tree's (a run on a
    stale snapshot measures old models: the harness says so on stderr, and in the result)."""
    frozen = project_fingerprint(dbt_project)
    current = project_fingerprint(ROOT / "dbt_project")
    if frozen != current:
        print(
            f"warning: {dbt_project} differs from dbt_project/ (snapshot it again to measure "
            "the working tree)",
            file=sys.stderr,
        )
    return {
        "path": str(dbt_project),
        "fingerprint": frozen,
        "matches_working_tree": frozen == current,
    }


def with_simulator(args: argparse.Namespace, body: Any) -> dict[str, Any]:
    simulator, sim_env = start_simulator(args.scale, args.simulator_now)
    try:
        return {**body(sim_env), "simulator_now": args.simulator_now}
    finally:
        simulator.terminate()
        simulator.wait()


def cmd_backfill(args: argparse.Namespace) -> None:
    warehouse = Path(args.warehouse)
    if warehouse.exists() and not args.no_extract:
        sys.exit(f"{warehouse} exists: a backfill starts from an empty warehouse")
    select = 'not key:"landing/*"' if args.no_extract else "*"
    partition = ["--partition-range", f"{args.start}...{args.end}"]
    result = with_simulator(
        args,
        lambda env: run_pipeline(warehouse, partition, select, env, Path(args.dbt_project)),
    )
    result["landed_rows"] = landed_rows(warehouse)
    days = (date.fromisoformat(args.end) - date.fromisoformat(args.start)).days + 1
    record(
        "backfill",
        {
            "scale": args.scale,
            "start": args.start,
            "end": args.end,
            "days": days,
            "extract": not args.no_extract,
            **result,
        },
    )


def history_days(warehouse: Path) -> int:
    return len(list((warehouse / "landing" / "shop" / "orders").glob("date=*")))


def _link_landing_else_copy(source: str, destination: str) -> None:
    """Landing files are hard-linked (never rewritten in place: new files are renamed in), the
    rest (build and published databases) copied: a 2-year warehouse is copied in seconds."""
    if "/landing/" in source:
        os.link(source, destination)
    else:
        shutil.copy2(source, destination)


def cmd_daily(args: argparse.Namespace, kind: str = "daily") -> None:
    warehouse = Path(args.warehouse)
    if args.copy_to:
        copy = Path(args.copy_to)
        if copy.exists():
            shutil.rmtree(copy)
        shutil.copytree(warehouse, copy, copy_function=_link_landing_else_copy)
        # The copy leaves gigabytes of dirty pages (11 GB at 2 years): flush them before the
        # measured run, so that their write-back does not overlap it (setup, not the run).
        os.sync()
        warehouse = copy
    history = history_days(warehouse)
    result = with_simulator(
        args,
        lambda env: run_pipeline(
            warehouse,
            ["--partition", args.day],
            "*",
            env,
            Path(args.dbt_project),
            like_schedule=args.launch == "schedule",
        ),
    )
    record(kind, {"scale": args.scale, "day": args.day, "history_days": history, **result})


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
    return round(time.monotonic() - started, 2)


def cmd_noop(args: argparse.Namespace) -> None:
    """A daily run with (almost) nothing new, plus its fixed costs measured one by one."""
    warehouse = Path(args.warehouse)
    dbt_project = Path(args.dbt_project)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RETAIL_DBT_PROJECT_DIR": str(dbt_project),
        "WAREHOUSE_DIR": str(warehouse),
    }
    python, dbt = sys.executable, str(Path(sys.executable).with_name("dbt"))
    parse = [dbt, "parse", "--quiet", "--project-dir", str(dbt_project)]
    parse += ["--profiles-dir", str(dbt_project), "--target-path"]
    scratch = warehouse / "parse-bench"
    shutil.rmtree(scratch, ignore_errors=True)
    vars_a = ["--vars", '{"partition_start": "2026-01-01", "partition_end": "2026-01-01"}']
    vars_b = ["--vars", '{"partition_start": "2026-01-02", "partition_end": "2026-01-02"}']
    fixed = (
        {}
        if args.skip_fixed
        else {
            "python_start_s": timed([python, "-c", "pass"], env),
            "import_dagster_s": timed([python, "-c", "import dagster"], env),
            "import_definitions_s": timed([python, "-c", "import orchestration.definitions"], env),
            "dbt_version_s": timed([dbt, "--version"], env),
            "dbt_parse_cold_s": timed([*parse, str(scratch), "--no-partial-parse", *vars_a], env),
            "dbt_parse_partial_same_vars_s": timed([*parse, str(scratch), *vars_a], env),
            "dbt_parse_partial_new_vars_s": timed([*parse, str(scratch), *vars_b], env),
            # what the pipeline does: the window in env vars (orchestration/dbt/vars.py); the first
            # parse without --vars re-parses (the vars changed), the second has a new window
            "dbt_parse_env_window_after_vars_s": timed(
                [*parse, str(scratch)], {**env, "DBT_PARTITION_START": "2026-01-03"}
            ),
            "dbt_parse_partial_new_env_window_s": timed(
                [*parse, str(scratch)], {**env, "DBT_PARTITION_START": "2026-01-04"}
            ),
        }
    )
    shutil.rmtree(scratch, ignore_errors=True)
    history = history_days(warehouse)
    result = with_simulator(
        args,
        lambda sim_env: run_pipeline(
            warehouse,
            ["--partition", args.day],
            "*",
            sim_env,
            dbt_project,
            like_schedule=args.launch == "schedule",
        ),
    )
    record(
        "noop",
        {"scale": args.scale, "day": args.day, "history_days": history, "fixed": fixed, **result},
    )


def cmd_subset(args: argparse.Namespace) -> None:
    """Copy the landing partitions start..end of `source` into a new warehouse."""
    source, target = Path(args.source) / "landing", Path(args.warehouse) / "landing"
    if target.exists():
        sys.exit(f"{target} exists")
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    copied = 0
    for folder in source.rglob("date=*"):
        day = date.fromisoformat(folder.name.removeprefix("date="))
        if start <= day <= end:
            shutil.copytree(folder, target / folder.relative_to(source))
            copied += 1
    print(json.dumps({"partitions_copied": copied, "warehouse": str(args.warehouse)}))


def land_chunks(start: date, end: date, chunk_days: int) -> list[tuple[date, date]]:
    """start..end in consecutive ranges of at most `chunk_days` days."""
    chunks = []
    while start <= end:
        chunks.append((start, min(start + timedelta(days=chunk_days - 1), end)))
        start += timedelta(days=chunk_days)
    return chunks


def cmd_land(args: argparse.Namespace) -> None:
    """Land start..end into the warehouse's landing zone with the extracts' own code over loopback
    HTTP (`extract_benchmark.extract_in_child`: every source, the catalog first), in chunks of
    `--chunk-days` that `--streams` threads take in turn, each with a simulator of its own on the
    fixed clock `--simulator-now`. How the long histories of the daily pairs are landed (two years
    at the large scale) without a Dagster backfill planning 730 partitions."""
    warehouse = Path(args.warehouse).resolve()
    pending: queue.SimpleQueue[tuple[date, date]] = queue.SimpleQueue()
    for chunk in land_chunks(
        date.fromisoformat(args.start), date.fromisoformat(args.end), args.chunk_days
    ):
        pending.put(chunk)
    started = time.monotonic()

    def stream() -> list[dict[str, Any]]:
        from bench.extract_benchmark import extract_in_child

        simulator, sim_env = start_simulator(args.scale, args.simulator_now)
        landed = []
        try:
            while True:
                try:
                    first, last = pending.get_nowait()
                except queue.Empty:
                    break
                begun = time.monotonic()
                child = extract_in_child(first, last, sim_env, str(warehouse))
                landed.append({"start": str(first), "end": str(last), **child})
                seconds = time.monotonic() - begun
                print(f"landed {first}..{last} in {seconds:.0f} s", file=sys.stderr, flush=True)
        finally:
            simulator.terminate()
            simulator.wait()
        return landed

    with ThreadPoolExecutor(args.streams) as pool:
        streams = [pool.submit(stream) for _ in range(args.streams)]
        chunks = sorted((c for s in streams for c in s.result()), key=lambda c: c["start"])
    records: dict[str, int] = {}
    for chunk in chunks:
        for name, extract in chunk["extracts"].items():
            records[name] = records.get(name, 0) + extract["records"]
    summary = {
        "warehouse": str(warehouse),
        "chunks": len(chunks),
        "seconds": round(time.monotonic() - started, 1),
        "records": records,
        "simulator_now": args.simulator_now,
    }
    print(json.dumps(summary, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot", help="freeze dbt_project/ into --dbt-project")
    for p in (snap,):
        p.add_argument("--dbt-project", default=str(DEFAULT_SNAPSHOT))
    back = sub.add_parser("backfill", help="a backfill of start..end from an empty warehouse")
    back.add_argument("--start", required=True)
    back.add_argument("--end", required=True)
    back.add_argument("--no-extract", action="store_true", help="landing already there")
    daily = sub.add_parser("daily", help="one day's run on a warehouse with history")
    noop = sub.add_parser("noop", help="a run with nothing new: the fixed overhead")
    for p in (daily, noop):
        p.add_argument("--day", required=True)
        p.add_argument(
            "--launch",
            choices=("schedule", "materialize"),
            default="schedule",
            help="schedule: the daily_pipeline job as the schedule launches it (default); "
            "materialize: `dagster asset materialize` with the in-process executor",
        )
    noop.add_argument("--skip-fixed", action="store_true", help="only the run, no start-up costs")
    daily.add_argument("--copy-to", help="run on a copy of the warehouse (repeatable runs)")
    for p in (back, daily, noop):
        p.add_argument("--warehouse", required=True)
        p.add_argument("--scale", default="large")
        p.add_argument("--dbt-project", default=str(DEFAULT_SNAPSHOT))
        p.add_argument(
            "--simulator-now",
            help="the simulator's fixed clock (e.g. 2026-12-02T06:00:00Z): a run repeated later "
            "reads the same source data (default: the wall clock)",
        )
    land = sub.add_parser("land", help="extract start..end into a warehouse's landing zone")
    land.add_argument("--warehouse", required=True)
    land.add_argument("--start", required=True)
    land.add_argument("--end", required=True)
    land.add_argument("--scale", default="large")
    land.add_argument("--streams", type=int, default=2, help="chunks extracted at once")
    land.add_argument("--chunk-days", type=int, default=30)
    land.add_argument(
        "--simulator-now", required=True, help="the simulators' fixed clock (same data each time)"
    )
    subset = sub.add_parser("subset", help="copy landing partitions into a new warehouse")
    subset.add_argument("--source", required=True)
    subset.add_argument("--warehouse", required=True)
    subset.add_argument("--start", required=True)
    subset.add_argument("--end", required=True)
    args = parser.parse_args()
    if args.command == "snapshot":
        print(json.dumps({"dbt_project": str(snapshot(Path(args.dbt_project)))}))
    elif args.command == "backfill":
        cmd_backfill(args)
    elif args.command == "daily":
        cmd_daily(args)
    elif args.command == "noop":
        cmd_noop(args)
    elif args.command == "land":
        cmd_land(args)
    else:
        cmd_subset(args)


if __name__ == "__main__":
    main()
