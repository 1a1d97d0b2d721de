"""One way to open an in-process DuckDB connection, with bounded memory.

DuckDB's default memory limit is 80 % of the machine's RAM and it starts one thread per core, so
an in-process connection of the Dagster process (quality frames, publication, reports, mirror)
could take most of the machine before it spills. Every `duckdb.connect` of `orchestration/` goes
through `connect()` here, which applies:

- `memory_limit`: `DUCKDB_MEMORY_LIMIT` (any DuckDB size, e.g. `512MB`), the same variable the
  dbt profile reads; unset, the budget of the run (`run_budget`). It bounds DuckDB's buffer
  manager (hash tables, sorts, caches), not the Python objects built from a result (pandas
  frames, Arrow tables);
- `threads`: `DUCKDB_THREADS` (default 2);
- `temp_directory`: `{WAREHOUSE_DIR}/build/tmp`, where DuckDB spills what exceeds the limit (it
  names its files by process and instance, so connections and processes can share the folder);
- `preserve_insertion_order = false` only when the caller says the row order of its results does
  not matter (`ordered=False`): DuckDB then needs less memory to write and copy tables. Queries
  with an `order by` keep their order either way.

Each connection is its own DuckDB instance: the limit is per connection, not per process.

The default budget depends on how many days the run covers. A daily run (up to
`DAILY_RUN_MAX_DAYS`) reads one day plus the lookback and fits in small budgets: the pipeline's
sessions `512MB`, dbt's `256MB` with one dbt thread, so the whole run stays under 1 GiB (dbt's
process runs beside the run process). A longer run (a backfill) gets `1GB` for the pipeline's
sessions and `2GB` with two dbt threads for dbt: it spills less and builds faster, and its
machine is sized for it. Not less for dbt: its two threads build the shop's two largest staging
models side by side, and at 2 years of the large profile they ran out of a shared `1GB` (each
alone fits in 500MB; bench/README.md, tenth round). The steps that open DuckDB
say how many days their run covers with `run_covering(days)`; explicit environment variables
win over either budget.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from orchestration.lib.paths import warehouse_layout
from orchestration.lib.settings import load_settings

DBT_MEMORY_LIMIT_ENV = "DBT_DUCKDB_MEMORY_LIMIT"
DBT_THREADS_ENV = "DBT_THREADS"
DAILY_RUN_MAX_DAYS = 3


@dataclass(frozen=True)
class RunBudget:
    """DuckDB budgets of one run: the pipeline's own sessions, dbt's session and dbt's threads."""

    memory_limit: str
    dbt_memory_limit: str
    dbt_threads: int

    def dbt_env(self) -> dict[str, str]:
        """The variables dbt's profile reads (dbt_project/profiles.yml), for dbt's process."""
        return {DBT_MEMORY_LIMIT_ENV: self.dbt_memory_limit, DBT_THREADS_ENV: str(self.dbt_threads)}


DAILY_BUDGET = RunBudget(memory_limit="512MB", dbt_memory_limit="256MB", dbt_threads=1)
BACKFILL_BUDGET = RunBudget(memory_limit="1GB", dbt_memory_limit="2GB", dbt_threads=2)

_run_days: ContextVar[int | None] = ContextVar("duckdb_run_days", default=None)


def run_budget(days: int | None, env: Mapping[str, str] | None = None) -> RunBudget:
    """The budgets of a run covering `days` days (None: unknown or unpartitioned, which may read
    the whole history: the backfill budget). Each variable set in the environment wins; dbt's
    memory falls back to DUCKDB_MEMORY_LIMIT, as dbt's profile does."""
    daily = days is not None and days <= DAILY_RUN_MAX_DAYS
    default = DAILY_BUDGET if daily else BACKFILL_BUDGET
    chosen = load_settings(env).duckdb
    return RunBudget(
        memory_limit=chosen.memory_limit or default.memory_limit,
        dbt_memory_limit=chosen.dbt_memory_limit or chosen.memory_limit or default.dbt_memory_limit,
        dbt_threads=chosen.dbt_threads or default.dbt_threads,
    )


def days_in(start: date | None, end: date | None) -> int | None:
    """How many days the inclusive range start..end covers; None when it is open."""
    return None if start is None or end is None else (end - start).days + 1


@contextmanager
def run_covering(days: int | None) -> Iterator[None]:
    """Inside the block, connections get the budget of a run covering `days` days."""
    token = _run_days.set(days)
    try:
        yield
    finally:
        _run_days.reset(token)


def temp_directory(env: Mapping[str, str] | None = None) -> Path:
    """Where in-process DuckDB spills: `{WAREHOUSE_DIR}/build/tmp`."""
    return warehouse_layout(env).build_tmp


def settings(ordered: bool = True, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The DuckDB configuration `connect()` applies, from the environment (read when called) and
    the days of the enclosing `run_covering` block (none: the backfill budget)."""
    config: dict[str, Any] = {
        "memory_limit": run_budget(_run_days.get(), env).memory_limit,
        "threads": load_settings(env).duckdb.threads,
        "temp_directory": str(temp_directory(env)),
    }
    if not ordered:
        config["preserve_insertion_order"] = False
    return config


def connect(
    path: str | Path | None = None, read_only: bool = False, ordered: bool = True
) -> duckdb.DuckDBPyConnection:
    """`duckdb.connect` with the bounded settings above; `path=None` is an in-memory database.

    `ordered=False` lets DuckDB return and write rows in any order when no `order by` says
    otherwise (less memory for `create table as` and `copy`).
    """
    config = settings(ordered)
    # DuckDB creates the spill folder on first spill but not its parents (a fresh warehouse).
    Path(config["temp_directory"]).mkdir(parents=True, exist_ok=True)
    database = ":memory:" if path is None else str(path)
    return duckdb.connect(database, read_only=read_only, config=config)
