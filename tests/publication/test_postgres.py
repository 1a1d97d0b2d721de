"""Publication to a real PostgreSQL server (started by scripts/postgres_for_tests.sh).

Skipped only on a developer machine without the server; in CI (CI=true) a missing server fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import duckdb
import psycopg
import pytest

from orchestration.publication import PostgresTarget, publish_marts
from orchestration.publication import postgres_target as pg_target
from tests.publication.build_data import (
    FACT,
    MARTS,
    read_published,
    stamp,
    write_build_fact,
    write_build_marts,
)

DSN_ENV = "TEST_POSTGRES_DSN"


@pytest.fixture
def target() -> Iterator[PostgresTarget]:
    dsn = os.environ.get(DSN_ENV)
    if not dsn:
        message = f"{DSN_ENV} is not set: run scripts/postgres_for_tests.sh start DIR first"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    schema = f"marts_{uuid.uuid4().hex[:8]}"
    yield PostgresTarget(dsn=dsn, schema=schema)
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f'drop schema if exists "{schema}" cascade')


def _state(target: PostgresTarget) -> dict[str, object]:
    with psycopg.connect(target.dsn) as con:
        s = target.schema
        return {
            "orders": con.execute(f'select sum(orders) from "{s}".mart_kpi_daily').fetchone()[0],
            "stores": con.execute(f'select count(*) from "{s}".dim_stores').fetchone()[0],
            "run_ids": con.execute(f'select distinct _run_id from "{s}".dim_stores').fetchall(),
            "log": con.execute(
                f'select run_id, row_counts from "{s}".publication_log order by published_at'
            ).fetchall(),
        }


def test_publishes_marts_and_log_to_postgres(tmp_path: Path, target: PostgresTarget) -> None:
    write_build_marts(tmp_path, version=1)
    publish_marts(tmp_path, MARTS, stamp("run-1"), target)
    with psycopg.connect(target.dsn) as con:  # a BI user's view on a published mart
        con.execute(
            f'create view "{target.schema}".big_days as select * from '
            f'"{target.schema}".mart_kpi_daily where orders > 100'
        )
    write_build_marts(tmp_path, version=2)
    publish_marts(tmp_path, MARTS, stamp("run-2"), target)

    with psycopg.connect(target.dsn) as con:  # the view survived and sees the new data
        assert con.execute(f'select count(*) from "{target.schema}".big_days').fetchone() == (10,)
    state = _state(target)
    assert state["orders"] == 2090
    assert state["stores"] == 6
    assert state["run_ids"] == [("run-2",)]
    assert [run for run, _ in state["log"]] == ["run-1", "run-2"]
    assert state["log"][-1][1] == {"dim_stores": 6, "mart_kpi_daily": 10}
    with psycopg.connect(target.dsn) as con:
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = %s and table_name = 'mart_kpi_daily'",
                (target.schema,),
            ).fetchall()
        )
    assert types["net_revenue"] == "numeric"
    assert types["date"] == "date"
    assert types["_published_at"] == "timestamp with time zone"
    assert types["tags"] == "text"  # a DuckDB list travels as its text form


def test_a_failure_mid_publication_leaves_the_previous_tables(
    tmp_path: Path, target: PostgresTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_build_marts(tmp_path, version=1)
    publish_marts(tmp_path, MARTS, stamp("run-1"), target)
    before = _state(target)

    copied = []
    real_copy_rows = pg_target.copy_rows

    def copy_then_fail(cur, source, schema, mart, columns) -> None:
        real_copy_rows(cur, source, schema, mart, columns)
        copied.append(mart)
        if len(copied) == 2:  # the first mart is already truncated and refilled
            raise RuntimeError("connection lost in the middle of the publication")

    monkeypatch.setattr(pg_target, "copy_rows", copy_then_fail)
    write_build_marts(tmp_path, version=2)
    with pytest.raises(RuntimeError, match="connection lost"):
        publish_marts(tmp_path, MARTS, stamp("run-2"), target)

    assert copied == MARTS
    assert _state(target) == before
    # PostgreSQL failed before any local file was replaced: the files still say run-1
    assert read_published(tmp_path / "published" / "marts.duckdb")["run_ids"] == {"run-1"}
    assert not [p for p in (tmp_path / "published").iterdir() if p.name.startswith(".")]


def test_the_build_only_loaded_at_does_not_reach_postgres(
    tmp_path: Path, target: PostgresTarget
) -> None:
    write_build_marts(tmp_path, version=1)
    write_build_fact(tmp_path, loaded_at="2025-04-01 06:00:00")
    publish_marts(tmp_path, [*MARTS, FACT], stamp("run-1"), target)

    with psycopg.connect(target.dsn) as con:
        columns = con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = %s and table_name = %s order by ordinal_position",
            (target.schema, FACT),
        ).fetchall()
        rows = con.execute(f'select count(*) from "{target.schema}".{FACT}').fetchone()
    assert [name for (name,) in columns] == [
        "order_id",
        "order_date",
        "net_revenue",
        "channel",
        "_published_at",
        "_run_id",
        "_source_mode",
    ]
    assert rows == (90,)


def test_a_publication_from_the_spare_reaches_postgres(
    tmp_path: Path, target: PostgresTarget
) -> None:
    """The third publication starts from the spare (the first one's file, caught up): PostgreSQL
    is written from that file and gets every row and the whole log."""
    write_build_marts(tmp_path, version=1)
    write_build_fact(tmp_path, loaded_at="2025-04-01 06:00:00")
    publish_marts(tmp_path, [*MARTS, FACT], stamp("run-1"), target)
    write_build_fact(tmp_path, changed_month="2025-02", loaded_at="2025-04-02 06:00:00")
    publish_marts(tmp_path, [*MARTS, FACT], stamp("run-2"), target)
    write_build_marts(tmp_path, version=2)
    third = publish_marts(tmp_path, [*MARTS, FACT], stamp("run-3"), target)

    assert third.duckdb_start == "spare"
    state = _state(target)
    assert state["orders"] == 2090
    assert [run for run, _ in state["log"]] == ["run-1", "run-2", "run-3"]
    query = f"select order_id, net_revenue::float, _run_id from {FACT} order by order_id"
    with psycopg.connect(target.dsn) as con:
        in_postgres = con.execute(query.replace(FACT, f'"{target.schema}".{FACT}')).fetchall()
    with duckdb.connect(str(third.duckdb_path), read_only=True) as con:
        in_duckdb = con.execute(query).fetchall()
    assert len(in_postgres) == 90
    assert in_postgres == in_duckdb
    # run-2 rewrote the month it changed; the spare (run-1's file) got it from run-2's file
    assert {(order[:7], run) for order, _, run in in_postgres} == {
        ("2025-01", "run-1"),
        ("2025-02", "run-2"),
        ("2025-03", "run-1"),
    }
    assert third.caught_up_months == {FACT: ["2025-02"]}


def test_a_postgres_log_of_before_the_day_columns_gets_them(
    tmp_path: Path, target: PostgresTarget
) -> None:
    with psycopg.connect(target.dsn) as con:  # the log as publications made before them left it
        con.execute(f'create schema "{target.schema}"')
        con.execute(
            f'create table "{target.schema}".publication_log (published_at timestamptz not null, '
            "run_id text not null, source_mode text not null, partition_start date, "
            "partition_end date, row_counts jsonb not null, checks jsonb not null)"
        )
    write_build_marts(tmp_path, version=1)
    held = [{"day": "2025-03-12", "reason": "blocked"}]

    publish_marts(tmp_path, MARTS, replace(stamp("run-1"), days_held=held), target)

    with psycopg.connect(target.dsn) as con:
        log = con.execute(
            f'select run_id, days_held from "{target.schema}".publication_log'
        ).fetchall()
    assert log == [("run-1", held)]
