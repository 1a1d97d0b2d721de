"""Month fingerprints from `_loaded_at`: the publication reads two columns of a fact,
not a hash of every row, to find its unchanged months; `_loaded_at` itself is never published.

dbt writes `_loaded_at` (its run's start) on every row it inserts; it changes a fact only by
delete+insert of whole keys (`dbt_reinsert`) or a rebuild (`write_build_fact`).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from orchestration.publication import postgres_target, publish_marts
from orchestration.publication.contract import (
    FINGERPRINT_TABLE,
    PUBLICATION_COLUMNS,
    month_filter,
    month_key,
)
from orchestration.publication.publish import PublicationResult
from tests.publication.build_data import (
    ALL,
    FACT,
    T0,
    T1,
    T2,
    T3,
    dbt_reinsert,
    run_ids_per_month,
    stamp,
    write_build_fact,
    write_build_marts,
)

FACT_COLUMNS = ["order_id", "order_date", "net_revenue", "channel", *PUBLICATION_COLUMNS]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _publish(warehouse: Path, run_id: str) -> PublicationResult:
    return publish_marts(warehouse, ALL, stamp(run_id))


def _published_db(warehouse: Path) -> Path:
    return warehouse / "published" / "marts.duckdb"


def _published_rows(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(_published_db(warehouse)), read_only=True) as con:
        return con.execute(
            f"select order_id, order_date, net_revenue, channel from {FACT} order by order_id"
        ).fetchall()


def _build_rows(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse / "build" / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(
            f"select order_id, order_date, net_revenue, channel from marts.{FACT} order by order_id"
        ).fetchall()


def _fingerprints(warehouse: Path) -> list[tuple]:
    """(month, rows, max(_loaded_at), run that wrote the month, has a hash) of the fact."""
    with duckdb.connect(str(_published_db(warehouse)), read_only=True) as con:
        return con.execute(
            f"select month, row_count, max_loaded_at, run_id, row_hash is not null "
            f"from {FINGERPRINT_TABLE} where mart = ? order by month",
            [FACT],
        ).fetchall()


def _month_files(warehouse: Path) -> dict[str, tuple[bytes, int]]:
    """month -> (bytes, mtime_ns) of the fact's Parquet files."""
    return {
        path.parent.name.removeprefix("month="): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in (warehouse / "published" / "parquet" / FACT).glob("month=*/data.parquet")
    }


def _first_publication(warehouse: Path, loaded_at: str | None = T0) -> None:
    write_build_marts(warehouse, version=1)
    write_build_fact(warehouse, loaded_at=loaded_at)
    first = _publish(warehouse, "run-1")
    assert first.rewritten_months == {FACT: ["2025-01", "2025-02", "2025-03"]}


def test_a_month_that_only_lost_rows_is_rewritten(tmp_path: Path) -> None:
    _first_publication(tmp_path)
    dbt_reinsert(tmp_path, "order_id in ('2025-02-3', '2025-02-4')", T1, delete_only=True)

    second = _publish(tmp_path, "run-2")

    assert second.rewritten_months == {FACT: ["2025-02"]}
    assert second.row_counts[FACT] == 88
    assert _published_rows(tmp_path) == _build_rows(tmp_path)
    assert run_ids_per_month(tmp_path) == {
        "2025-01": {"run-1"},
        "2025-02": {"run-2"},
        "2025-03": {"run-1"},
    }
    # its newest row is as old as before: only the count tells
    assert _fingerprints(tmp_path) == [
        ("2025-01", 30, _at(T0), "run-1", True),
        ("2025-02", 28, _at(T0), "run-2", False),  # no hash: the count told
        ("2025-03", 30, _at(T0), "run-1", True),
    ]


def test_a_month_reinserted_with_other_values_is_rewritten(tmp_path: Path) -> None:
    _first_publication(tmp_path)
    before = _month_files(tmp_path)
    dbt_reinsert(tmp_path, "order_id = '2025-03-7'", T1, "net_revenue + 1 as net_revenue")

    second = _publish(tmp_path, "run-2")

    assert second.rewritten_months == {FACT: ["2025-03"]}
    assert ("2025-03-7", date(2025, 3, 8), 71, "shop") in _published_rows(tmp_path)
    assert _published_rows(tmp_path) == _build_rows(tmp_path)
    assert run_ids_per_month(tmp_path) == {
        "2025-01": {"run-1"},
        "2025-02": {"run-1"},
        "2025-03": {"run-2"},
    }
    after = _month_files(tmp_path)
    assert after["2025-01"] == before["2025-01"]
    assert after["2025-02"] == before["2025-02"]
    assert after["2025-03"][0] != before["2025-03"][0]
    assert _fingerprints(tmp_path)[2] == ("2025-03", 30, _at(T1), "run-2", True)


def test_a_month_reinserted_unchanged_keeps_its_rows_and_stamp(tmp_path: Path) -> None:
    """dbt re-inserts rows it did not change (fct_orders: every order of the day's customers):
    the month's hash says so, and nothing of it is written again."""
    _first_publication(tmp_path)
    before = _month_files(tmp_path)
    dbt_reinsert(tmp_path, "order_id in ('2025-01-5', '2025-03-9')", T1)

    second = _publish(tmp_path, "run-2")

    assert second.rewritten_months == {FACT: []}
    assert run_ids_per_month(tmp_path) == {m: {"run-1"} for m in ("2025-01", "2025-02", "2025-03")}
    assert _month_files(tmp_path) == before  # same bytes, same mtime
    assert _fingerprints(tmp_path) == [
        ("2025-01", 30, _at(T1), "run-1", True),
        ("2025-02", 30, _at(T0), "run-1", True),
        ("2025-03", 30, _at(T1), "run-1", True),
    ]
    months = second.parquet_paths[FACT].parent / "_manifest.json"
    assert '"max_loaded_at": "2025-04-02T06:00:00"' in months.read_text()


def test_a_month_with_the_same_rows_and_loaded_at_is_not_read_again(tmp_path: Path) -> None:
    """The count and max(_loaded_at) are trusted (what spares the hash): a change made behind
    dbt's back is not seen until dbt writes that month again."""
    _first_publication(tmp_path)
    with duckdb.connect(str(tmp_path / "build" / "warehouse.duckdb")) as con:
        con.execute(f"update marts.{FACT} set net_revenue = 0 where order_id = '2025-02-1'")

    assert _publish(tmp_path, "run-2").rewritten_months == {FACT: []}
    assert ("2025-02-1", date(2025, 2, 2), 10, "shop") in _published_rows(tmp_path)

    dbt_reinsert(tmp_path, "order_id = '2025-02-2'", T1)
    assert _publish(tmp_path, "run-3").rewritten_months == {FACT: ["2025-02"]}
    assert ("2025-02-1", date(2025, 2, 2), 0, "shop") in _published_rows(tmp_path)
    assert _published_rows(tmp_path) == _build_rows(tmp_path)


def test_a_month_that_changed_its_count_is_hashed_when_next_reinserted(tmp_path: Path) -> None:
    """A month rewritten because its count changed is not hashed (the hash could not spare that
    rewrite); the next time dbt re-inserts it with the same count, it is rewritten once and
    hashed, and from then on an unchanged re-insert is recognised."""
    _first_publication(tmp_path)
    with duckdb.connect(str(tmp_path / "build" / "warehouse.duckdb")) as con:
        con.execute(
            f"insert into marts.{FACT} values "
            f"('2025-03-30', date '2025-03-05', 999, 'web', timestamp '{T1}')"
        )
    assert _publish(tmp_path, "run-2").rewritten_months == {FACT: ["2025-03"]}
    assert _fingerprints(tmp_path)[2] == ("2025-03", 31, _at(T1), "run-2", False)

    dbt_reinsert(tmp_path, "order_id = '2025-03-30'", T2)
    assert _publish(tmp_path, "run-3").rewritten_months == {FACT: ["2025-03"]}
    assert _fingerprints(tmp_path)[2] == ("2025-03", 31, _at(T2), "run-3", True)

    dbt_reinsert(tmp_path, "order_id = '2025-03-30'", T3)
    assert _publish(tmp_path, "run-4").rewritten_months == {FACT: []}
    assert _fingerprints(tmp_path)[2] == ("2025-03", 31, _at(T3), "run-3", True)
    assert _published_rows(tmp_path) == _build_rows(tmp_path)


def test_loaded_at_is_never_published(tmp_path: Path) -> None:
    write_build_marts(tmp_path, version=1)
    write_build_fact(tmp_path, loaded_at=T0)
    build_db = tmp_path / "build" / "warehouse.duckdb"
    with duckdb.connect(str(build_db)) as con:  # on a small mart too, it stays in the build
        con.execute(f"alter table marts.dim_stores add column _loaded_at timestamp default '{T0}'")
    _publish(tmp_path, "run-1")
    dbt_reinsert(tmp_path, "order_id = '2025-02-1'", T1, "net_revenue + 1 as net_revenue")
    second = _publish(tmp_path, "run-2")  # the month is inserted into the copied fact
    assert second.rewritten_months == {FACT: ["2025-02"]}

    stores_columns = ["store_id", "store_name", "gln", "loaded_at", *PUBLICATION_COLUMNS]
    with duckdb.connect(str(second.duckdb_path), read_only=True) as con:
        assert [row[0] for row in con.execute(f"describe {FACT}").fetchall()] == FACT_COLUMNS
        assert [row[0] for row in con.execute("describe dim_stores").fetchall()] == stores_columns
        assert (
            con.execute(
                "select table_name from duckdb_columns() where column_name = '_loaded_at'"
            ).fetchall()
            == []
        )
        # what PostgreSQL is given: the columns of the published DuckDB file
        postgres_columns = {
            mart: [name for name, _, _ in postgres_target._columns(con, mart)] for mart in ALL
        }
    assert postgres_columns[FACT] == FACT_COLUMNS
    assert postgres_columns["dim_stores"] == stores_columns
    assert all("_loaded_at" not in columns for columns in postgres_columns.values())

    parquet = tmp_path / "published" / "parquet"
    month_files = sorted((parquet / FACT).glob("month=*/data.parquet"))
    assert len(month_files) == 3
    for path in month_files:
        assert pq.read_schema(path).names == FACT_COLUMNS
    assert pq.read_schema(parquet / "dim_stores.parquet").names == stores_columns
    assert pq.read_schema(parquet / "mart_kpi_daily.parquet").names == [
        "date",
        "orders",
        "net_revenue",
        "conversion_rate",
        "tags",
        *PUBLICATION_COLUMNS,
    ]


# `_publication_fingerprints` as the publication wrote it before `_loaded_at`, and its formula
_OLD_FINGERPRINT_DDL = f"""
create table {FINGERPRINT_TABLE} (
    mart varchar not null,
    month varchar not null,
    row_count bigint not null,
    row_hash hugeint not null,
    run_id varchar not null,
    published_at timestamptz not null,
    source_mode varchar not null
)
"""
_OLD_FINGERPRINTS = f"""
select coalesce(strftime(order_date, '%Y-%m'), 'none') as month, count(*),
    sum(hash(order_id, order_date, net_revenue, channel))
from build.marts.{FACT} group by all
"""


def test_a_fingerprint_table_of_before_loaded_at_is_upgraded(tmp_path: Path) -> None:
    _first_publication(tmp_path, loaded_at=None)  # a build and publication of before
    published = _published_db(tmp_path)
    with duckdb.connect(str(published)) as con:
        con.execute(f"attach '{tmp_path / 'build' / 'warehouse.duckdb'}' as build (read_only)")
        old = con.execute(_OLD_FINGERPRINTS).fetchall()
        con.execute(f"drop table {FINGERPRINT_TABLE}")
        con.execute(_OLD_FINGERPRINT_DDL)
        con.executemany(
            f"insert into {FINGERPRINT_TABLE} values (?, ?, ?, ?, 'run-1', now(), 'demo')",
            [(FACT, *row) for row in old],
        )
    before = _month_files(tmp_path)
    # dbt now writes `_loaded_at`: a rebuild (every row new), one month with other values
    write_build_fact(tmp_path, changed_month="2025-02", loaded_at=T1)

    second = _publish(tmp_path, "run-2")

    # the old hashes still say which months changed: no full rewrite
    assert second.rewritten_months == {FACT: ["2025-02"]}
    assert run_ids_per_month(tmp_path) == {
        "2025-01": {"run-1"},
        "2025-02": {"run-2"},
        "2025-03": {"run-1"},
    }
    after = _month_files(tmp_path)
    assert after["2025-01"] == before["2025-01"]
    assert after["2025-03"] == before["2025-03"]
    assert _published_rows(tmp_path) == _build_rows(tmp_path)
    assert _fingerprints(tmp_path) == [
        ("2025-01", 30, _at(T1), "run-1", True),
        ("2025-02", 30, _at(T1), "run-2", True),
        ("2025-03", 30, _at(T1), "run-1", True),
    ]
    with duckdb.connect(str(published), read_only=True) as con:
        columns = con.execute(f"describe {FINGERPRINT_TABLE}").fetchall()
    assert [(name, kind, null) for name, kind, null, *_ in columns] == [
        ("mart", "VARCHAR", "NO"),
        ("month", "VARCHAR", "NO"),
        ("row_count", "BIGINT", "NO"),
        ("row_hash", "HUGEINT", "YES"),
        ("run_id", "VARCHAR", "NO"),
        ("published_at", "TIMESTAMP WITH TIME ZONE", "NO"),
        ("source_mode", "VARCHAR", "NO"),
        ("max_loaded_at", "TIMESTAMP", "YES"),
    ]

    dbt_reinsert(tmp_path, "order_id = '2025-01-1'", T2, delete_only=True)
    third = _publish(tmp_path, "run-3")
    assert third.rewritten_months == {FACT: ["2025-01"]}
    assert third.row_counts[FACT] == 89


def test_a_build_without_loaded_at_is_compared_by_hash(tmp_path: Path) -> None:
    _first_publication(tmp_path, loaded_at=None)
    assert _fingerprints(tmp_path) == [
        ("2025-01", 30, None, "run-1", True),
        ("2025-02", 30, None, "run-1", True),
        ("2025-03", 30, None, "run-1", True),
    ]
    write_build_fact(tmp_path, changed_month="2025-03")  # same rows count, other values
    assert _publish(tmp_path, "run-2").rewritten_months == {FACT: ["2025-03"]}
    write_build_fact(tmp_path, changed_month="2025-03")  # rebuilt, identical
    assert _publish(tmp_path, "run-3").rewritten_months == {FACT: []}
    assert _published_rows(tmp_path) == _build_rows(tmp_path)

    # dbt starts writing `_loaded_at` (a rebuild with the same values): nothing is rewritten
    write_build_fact(tmp_path, changed_month="2025-03", loaded_at=T1)
    assert _publish(tmp_path, "run-4").rewritten_months == {FACT: []}
    assert _fingerprints(tmp_path) == [
        ("2025-01", 30, _at(T1), "run-1", True),
        ("2025-02", 30, _at(T1), "run-1", True),
        ("2025-03", 30, _at(T1), "run-2", True),
    ]


def test_rows_without_a_partition_date_have_their_own_month(tmp_path: Path) -> None:
    write_build_marts(tmp_path, version=1)
    write_build_fact(tmp_path, loaded_at=T0)
    with duckdb.connect(str(tmp_path / "build" / "warehouse.duckdb")) as con:
        con.execute(f"insert into marts.{FACT} values ('x-1', null, 5, 'web', timestamp '{T0}')")
    first = _publish(tmp_path, "run-1")
    assert first.rewritten_months == {FACT: ["2025-01", "2025-02", "2025-03", "none"]}
    assert _fingerprints(tmp_path)[3] == ("none", 1, _at(T0), "run-1", True)

    dbt_reinsert(tmp_path, "order_id = 'x-1'", T1, "6 as net_revenue")
    assert _publish(tmp_path, "run-2").rewritten_months == {FACT: ["none"]}
    assert ("x-1", None, 6, "web") in _published_rows(tmp_path)

    dbt_reinsert(tmp_path, "order_id = 'x-1'", T2, delete_only=True)
    third = _publish(tmp_path, "run-3")
    assert third.rewritten_months == {FACT: ["none"]}
    assert third.row_counts[FACT] == 90
    assert [row[0] for row in _fingerprints(tmp_path)] == ["2025-01", "2025-02", "2025-03"]


def test_month_keys_and_filters() -> None:
    assert month_key(date(2026, 1, 31)) == "2026-01"
    assert month_key(datetime(2025, 12, 1, 23, 59)) == "2025-12"
    assert month_key(None) == "none"
    # consecutive months are one range; NULL partition values are the month `none`
    assert month_filter("d", ["2026-03", "2025-12", "none", "2026-01"]) == (
        """("d" is null or ("d" >= date '2025-12-01' and "d" < date '2026-02-01') """
        """or ("d" >= date '2026-03-01' and "d" < date '2026-04-01'))"""
    )
    assert month_filter("d", []) == "(false)"
