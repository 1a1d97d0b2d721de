"""One way to open an in-process DuckDB connection, with bounded memory (issue #6).

DuckDB's default memory limit is 80 % of the machine's RAM and it starts one thread per core, so
an in-process connection of the Dagster process (quality frames, publication, reports, mirror)
could take most of the machine before it spills. Every `duckdb.connect` of `orchestration/` goes
through `connect()` here, which applies:

- `memory_limit`: `DUCKDB_MEMORY_LIMIT` (default `1GB`; any DuckDB size, e.g. `512MB`), the same
  variable the dbt profile reads. It bounds DuckDB's buffer manager (hash tables, sorts, caches),
  not the Python objects built from a result (pandas frames, Arrow tables);
- `threads`: `DUCKDB_THREADS` (default 2);
- `temp_directory`: `{WAREHOUSE_DIR}/build/tmp`, where DuckDB spills what exceeds the limit (it
  names its files by process and instance, so connections and processes can share the folder);
- `preserve_insertion_order = false` only when the caller says the row order of its results does
  not matter (`ordered=False`): DuckDB then needs less memory to write and copy tables. Queries
  with an `order by` keep their order either way.

Each connection is its own DuckDB instance: the limit is per connection, not per process.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from orchestration.lib.paths import warehouse_dir

MEMORY_LIMIT_ENV = "DUCKDB_MEMORY_LIMIT"
THREADS_ENV = "DUCKDB_THREADS"
DEFAULT_MEMORY_LIMIT = "1GB"
DEFAULT_THREADS = 2


def temp_directory(env: Mapping[str, str] | None = None) -> Path:
    """Where in-process DuckDB spills: `{WAREHOUSE_DIR}/build/tmp`."""
    return warehouse_dir(env) / "build" / "tmp"


def settings(ordered: bool = True, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The DuckDB configuration `connect()` applies, from the environment (read when called)."""
    env = os.environ if env is None else env
    threads = (env.get(THREADS_ENV) or "").strip() or str(DEFAULT_THREADS)
    if not threads.isdigit() or int(threads) < 1:
        raise ValueError(f"{THREADS_ENV}={threads!r}: expected a positive number of threads")
    config: dict[str, Any] = {
        "memory_limit": (env.get(MEMORY_LIMIT_ENV) or "").strip() or DEFAULT_MEMORY_LIMIT,
        "threads": int(threads),
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
