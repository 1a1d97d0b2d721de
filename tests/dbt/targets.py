"""Run the dbt project on one of its targets (duckdb, postgres, spark) and read what it built.

Used by the fixture tests to assert the same hand-computed values on every engine:

- duckdb: the build database file, read-only;
- postgres: a fresh database per build on the server of TEST_POSTGRES_DSN (scripts/
  postgres_for_tests.sh), the landing loaded by `orchestration.lib.landing_loader`, read with
  psycopg;
- spark: pyspark local mode (needs `java`); after dbt exits (one Derby metastore = one process),
  the Parquet files of the Spark warehouse are read with DuckDB, one view per table
  (`orchestration.dbt.mirror.spark_warehouse_as_duckdb`, the code the pipeline's mirror uses).

A target whose engine is missing is skipped locally and FAILS in CI (env CI=true).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt.mirror import spark_warehouse_as_duckdb
from tests.dbt_runner import run_dbt

TARGETS = ("duckdb", "postgres", "spark")

#: dbt unit tests check model logic on given rows, engine-independent: they run on DuckDB. On the
#: other engines dbt's diff compares numbers as text (`150` vs `150.0000` of an unconstrained
#: Postgres numeric), so they are left out there (DECISIONLOG "Engines").
EXTRA_BUILD_ARGS = {
    "duckdb": [],
    "postgres": ["--exclude", "resource_type:unit_test"],
    "spark": ["--exclude", "resource_type:unit_test"],
}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing_engine(target: str) -> str | None:
    """Why `target` cannot run on this machine, or None."""
    if target == "postgres" and not os.environ.get("TEST_POSTGRES_DSN"):
        return "TEST_POSTGRES_DSN is not set (scripts/postgres_for_tests.sh start DIR)"
    if target == "spark":
        if shutil.which("java") is None:
            return "no `java` on PATH (apt-get install -y openjdk-17-jre-headless)"
        try:
            import pyspark  # noqa: F401
        except ImportError:
            return "pyspark is not installed (pip install 'dbt-spark[session]')"
    return None


def require_engine(target: str) -> None:
    reason = missing_engine(target)
    if reason:
        message = f"dbt target {target}: {reason}"
        if in_ci():
            pytest.fail(message + " (CI=true: a missing engine fails)")
        pytest.skip(message)


def postgres_env(database: str) -> dict[str, str]:
    """DBT_POSTGRES_* variables (profiles.yml) for `database` on the TEST_POSTGRES_DSN server."""
    from psycopg.conninfo import conninfo_to_dict

    info = conninfo_to_dict(os.environ["TEST_POSTGRES_DSN"])
    env = {
        "DBT_POSTGRES_HOST": str(info.get("host") or "127.0.0.1"),
        "DBT_POSTGRES_PORT": str(info.get("port") or 5432),
        "DBT_POSTGRES_USER": str(info.get("user") or "postgres"),
        "DBT_POSTGRES_DBNAME": database,
        "DBT_POSTGRES_SCHEMA": "public",
    }
    if info.get("password"):
        env["DBT_POSTGRES_PASSWORD"] = str(info["password"])
    return env


def postgres_dsn(database: str) -> str:
    from psycopg.conninfo import make_conninfo

    return make_conninfo(os.environ["TEST_POSTGRES_DSN"], dbname=database)


def create_postgres_database(prefix: str) -> str:
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(os.environ["TEST_POSTGRES_DSN"], autocommit=True) as connection:
        connection.execute(f'create database "{name}"')
    return name


def drop_postgres_database(name: str) -> None:
    import psycopg

    with psycopg.connect(os.environ["TEST_POSTGRES_DSN"], autocommit=True) as connection:
        connection.execute(f'drop database if exists "{name}" with (force)')


class TargetBuild:
    """A warehouse built by dbt on one target."""

    def __init__(self, target: str, warehouse: Path) -> None:
        self.target = target
        self.warehouse = warehouse
        self.env: dict[str, str] = {"DBT_TARGET": target}
        self.database: str | None = None
        (warehouse / "build").mkdir(parents=True, exist_ok=True)

    @classmethod
    def restore(cls, target: str, warehouse: Path, database: str | None) -> TargetBuild:
        """A build made earlier (by another pytest-xdist worker) in `warehouse`."""
        build = cls(target, warehouse)
        if database:
            build.database = database
            build.env.update(postgres_env(database))
        return build

    def prepare(self) -> None:
        """Make the landing zone readable by the target (Postgres: load it into the server)."""
        if self.target == "postgres":
            from orchestration.lib.landing_loader import load_landing
            from orchestration.sources import LANDING_DATASETS

            self.database = create_postgres_database("dbt_fixture")
            self.env.update(postgres_env(self.database))
            load_landing(postgres_dsn(self.database), self.warehouse, LANDING_DATASETS)

    def dbt(self, args: list[str], dbt_vars: dict | None = None, check: bool = True):
        extra = EXTRA_BUILD_ARGS[self.target] if args and args[0] == "build" else []
        return run_dbt([*args, *extra], self.warehouse, dbt_vars, check=check, env=self.env)

    def connect(self) -> Reader:
        if self.target == "duckdb":
            db = self.warehouse / "build" / "warehouse.duckdb"
            if not db.exists():
                pytest.fail("no build database")
            con = duckdb.connect(str(db), read_only=True)
            con.execute("set TimeZone = 'UTC'")
            return Reader(con, "?")
        if self.target == "postgres":
            import psycopg

            con = psycopg.connect(postgres_dsn(self.database), autocommit=True)
            con.execute("set timezone = 'UTC'")
            return Reader(con, "%s")
        return Reader(spark_warehouse_as_duckdb(self.warehouse / "build" / "spark-warehouse"), "?")

    def cleanup(self) -> None:
        if self.database:
            drop_postgres_database(self.database)


class Reader:
    """`execute(sql, params)` with `?` placeholders over a DuckDB or psycopg connection."""

    def __init__(self, connection, placeholder: str) -> None:
        self.connection = connection
        self.placeholder = placeholder

    def execute(self, query: str, params=None):
        if self.placeholder != "?":
            query = query.replace("?", self.placeholder)
        return self.connection.execute(query, params) if params else self.connection.execute(query)

    def close(self) -> None:
        self.connection.close()


def java_version() -> str | None:
    try:
        out = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return None
    match = re.search(r'version "([^"]+)"', out.stderr)
    return match.group(1) if match else None
