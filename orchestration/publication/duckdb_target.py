"""Write the published DuckDB file: the marts plus publication columns, and the publication log.

The file is always written under a NEW name next to `published/marts.duckdb` and swapped in by
the caller with `os.replace`: DuckDB lets one process write a file and even a read-only holder
blocks writers, so writing into the file BI reads would fail (or block) as soon as a dashboard is
open.

Incremental publication (issue #6: a daily run must cost about the same in year three as in
week one). The new file starts as a byte copy of the current publication (`shutil.copyfile`;
without a previous publication it starts empty). Then:

- small marts (dimensions, `mart_*`) are copied in full (`create or replace table`);
- the big facts of `PARTITIONED_MARTS` are compared month by month (month of their partition
  column) with the build: a month's fingerprint is `count(*)` and `sum(hash(<every contract
  column>))` on the build table. Months whose fingerprint (or the run's `source_mode`) differs
  from the one stored by the previous publication in `_publication_fingerprints` are deleted and
  re-inserted from the build; months that left the build are deleted; the other months keep the
  rows the copy brought along. A fact whose columns differ from the build's (or that is new) is
  copied in full. After a publication each published month equals the build's month (up to a
  64-bit hash collision of a changed month); the total row count is checked against the build.

Publication columns: `_published_at`, `_run_id` and `_source_mode` say which publication last
WROTE the row. Small marts are rewritten every time, so they carry the latest publication. In the
partitioned facts, rows of unchanged months keep the stamp of the publication that wrote them
(`_publication_fingerprints` lists, per fact and month, that run); `_source_mode` is uniform
anyway, since a change of source mode rewrites every month. The latest publication is the last row
of `publication_log`.

Row order within a fact is not meaningful: unchanged months stay where they were, rewritten
months are appended.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from orchestration.lib import duckdb_settings

# dbt builds the published models into this schema of build/warehouse.duckdb (generate_schema_name).
BUILD_SCHEMA = "marts"
PUBLICATION_COLUMNS = ("_published_at", "_run_id", "_source_mode")
_PUBLICATION_TYPES = ("TIMESTAMP WITH TIME ZONE", "VARCHAR", "VARCHAR")
LOG_TABLE = "publication_log"
_LOG_DDL = f"""
create table if not exists {LOG_TABLE} (
    published_at timestamptz not null,
    run_id varchar not null,
    source_mode varchar not null,
    partition_start date,
    partition_end date,
    row_counts json not null,
    checks json not null
)
"""

#: The big facts, published month by month: mart -> the date column that says its month (the
#: column dbt's incremental models replace by; see dbt_project/models/marts/core/).
PARTITIONED_MARTS: dict[str, str] = {
    "fct_store_stock_daily": "count_date",
    "fct_order_lines": "order_date",
    "fct_orders": "order_date",
    "fct_support_tickets": "created_date",
}
#: The month key of rows whose partition column is NULL (the dbt tests forbid them).
NULL_MONTH = "none"
_MONTH_KEY = re.compile(r"\d{4}-\d{2}")
FINGERPRINT_TABLE = "_publication_fingerprints"
_FINGERPRINT_DDL = f"""
create table if not exists {FINGERPRINT_TABLE} (
    mart varchar not null,
    month varchar not null,
    row_count bigint not null,
    row_hash hugeint not null,
    run_id varchar not null,
    published_at timestamptz not null,
    source_mode varchar not null
)
"""


@dataclass(frozen=True)
class Stamp:
    """What every published row and the log say about the publication."""

    published_at: datetime  # UTC
    run_id: str
    source_mode: str  # demo or live
    partition_start: date | None
    partition_end: date | None
    checks: dict[str, str]  # "asset_key:check_name" -> passed / warn / failed

    def log_row(self, row_counts: dict[str, int]) -> tuple[object, ...]:
        return (
            self.published_at,
            self.run_id,
            self.source_mode,
            self.partition_start,
            self.partition_end,
            json.dumps(row_counts, sort_keys=True),
            json.dumps(self.checks, sort_keys=True),
        )


@dataclass(frozen=True)
class MonthPrint:
    """One published month of a partitioned fact: its build fingerprint and who wrote it."""

    rows: int
    row_hash: int
    run_id: str

    def as_json(self) -> dict[str, object]:
        return {"rows": self.rows, "row_hash": str(self.row_hash), "run_id": self.run_id}


@dataclass(frozen=True)
class DuckdbPublication:
    """What `build_published_duckdb` wrote."""

    row_counts: dict[str, int]
    #: partitioned mart -> month (YYYY-MM) -> fingerprint, as published now
    months: dict[str, dict[str, MonthPrint]]
    #: partitioned mart -> the months this publication (re)wrote or deleted
    rewritten: dict[str, list[str]]


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def month_expr(column: str) -> str:
    """SQL: the month key (YYYY-MM, or NULL_MONTH) of a row, from its partition column."""
    return f"coalesce(strftime({_ident(column)}, '%Y-%m'), '{NULL_MONTH}')"


def month_filter(column: str, months: list[str]) -> str:
    """SQL: the rows whose month key is in `months`, as date ranges (so zone maps can skip the
    row groups of other months: a rewritten month's rows are appended together)."""
    ranges = []
    for month in months:
        if month == NULL_MONTH:
            ranges.append(f"{_ident(column)} is null")
            continue
        if not _MONTH_KEY.fullmatch(month):
            raise ValueError(f"not a month key: {month!r}")
        start = f"date '{month}-01'"
        ranges.append(
            f"({_ident(column)} >= {start} and {_ident(column)} < {start} + interval 1 month)"
        )
    return "(" + (" or ".join(ranges) or "false") + ")"


def _stamp_params(stamp: Stamp) -> dict[str, object]:
    return {
        "published_at": stamp.published_at,
        "run_id": stamp.run_id,
        "source_mode": stamp.source_mode,
    }


def _build_columns(con: duckdb.DuckDBPyConnection, mart: str) -> list[tuple[str, str]]:
    """(name, type) of the mart's contract columns in the build (publication columns left out)."""
    columns = con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = 'build' and schema_name = ? and table_name = ? "
        "order by column_index",
        [BUILD_SCHEMA, mart],
    ).fetchall()
    if not columns:
        raise LookupError(f"mart {mart!r} is not in the build database ({BUILD_SCHEMA}.{mart})")
    return [(name, kind) for name, kind in columns if name not in PUBLICATION_COLUMNS]


def _published_columns(con: duckdb.DuckDBPyConnection, mart: str) -> list[tuple[str, str]]:
    """(name, type) of the mart in the new file so far (the copy of the previous publication)."""
    rows = con.execute(
        "select column_name, data_type from duckdb_columns() where database_name = "
        "current_database() and schema_name = 'main' and table_name = ? order by column_index",
        [mart],
    ).fetchall()
    return [(name, kind) for name, kind in rows]


def _stamped_select(columns: list[tuple[str, str]], mart: str, where: str = "") -> str:
    kept = ", ".join(_ident(name) for name, _ in columns)
    return (
        f"select {kept}, $published_at::timestamptz as _published_at, $run_id::varchar as "
        f"_run_id, $source_mode::varchar as _source_mode "
        f"from build.{BUILD_SCHEMA}.{_ident(mart)} {where}"
    )


def _count(con: duckdb.DuckDBPyConnection, mart: str) -> int:
    return con.execute(f"select count(*) from main.{_ident(mart)}").fetchone()[0]


def _copy_mart(con: duckdb.DuckDBPyConnection, mart: str, stamp: Stamp) -> int:
    columns = _build_columns(con, mart)
    con.execute(
        f"create or replace table main.{_ident(mart)} as {_stamped_select(columns, mart)}",
        _stamp_params(stamp),
    )
    return _count(con, mart)


def _publish_partitioned(
    con: duckdb.DuckDBPyConnection, mart: str, column: str, stamp: Stamp
) -> tuple[int, dict[str, MonthPrint], list[str]]:
    """Bring one partitioned fact in line with the build, month by month (see the docstring)."""
    columns = _build_columns(con, mart)
    month = month_expr(column)
    row_hash = "hash(" + ", ".join(_ident(name) for name, _ in columns) + ")"
    build_prints = {
        key: (rows, total)
        for key, rows, total in con.execute(
            f"select {month} as month, count(*), sum({row_hash}) "
            f"from build.{BUILD_SCHEMA}.{_ident(mart)} group by all"
        ).fetchall()
    }
    expected = columns + list(zip(PUBLICATION_COLUMNS, _PUBLICATION_TYPES, strict=True))
    previous = {}
    if _published_columns(con, mart) == expected:
        previous = {
            key: (rows, total, mode)
            for key, rows, total, mode in con.execute(
                f"select month, row_count, row_hash, source_mode from {FINGERPRINT_TABLE} "
                "where mart = ?",
                [mart],
            ).fetchall()
        }
    changed = sorted(
        key
        for key, (rows, total) in build_prints.items()
        if previous.get(key) != (rows, total, stamp.source_mode)
    )
    gone = sorted(set(previous) - set(build_prints))
    # No fingerprints: a new fact, other columns, or a publication from before them.
    if not previous:
        con.execute(
            f"create or replace table main.{_ident(mart)} as {_stamped_select(columns, mart)}",
            _stamp_params(stamp),
        )
        con.execute(f"delete from {FINGERPRINT_TABLE} where mart = ?", [mart])
    elif changed or gone:
        con.execute(f"delete from main.{_ident(mart)} where {month_filter(column, changed + gone)}")
        if changed:
            con.execute(
                f"insert into main.{_ident(mart)} "
                + _stamped_select(columns, mart, f"where {month_filter(column, changed)}"),
                _stamp_params(stamp),
            )
        con.execute(
            f"delete from {FINGERPRINT_TABLE} where mart = $mart and list_contains($months, month)",
            {"mart": mart, "months": changed + gone},
        )
    if changed:
        con.executemany(
            f"insert into {FINGERPRINT_TABLE} values (?, ?, ?, ?, ?, ?, ?)",
            [
                (mart, key, *build_prints[key], stamp.run_id, stamp.published_at, stamp.source_mode)
                for key in changed
            ],
        )
    published = {
        key: MonthPrint(rows=rows, row_hash=int(total), run_id=run_id)
        for key, rows, total, run_id in con.execute(
            f"select month, row_count, row_hash, run_id from {FINGERPRINT_TABLE} where mart = ?",
            [mart],
        ).fetchall()
    }
    # Cheap consistency checks (the fingerprints themselves are not recomputed on the copy).
    total = _count(con, mart)
    expected_total = sum(count for count, _ in build_prints.values())
    if total != expected_total or published.keys() != build_prints.keys():
        raise RuntimeError(
            f"published {mart} has {total} rows in months {sorted(published)}, the build "
            f"{expected_total} in {sorted(build_prints)}: not publishing an inconsistent copy"
        )
    return total, published, sorted(changed + gone)


def _drop_other_tables(con: duckdb.DuckDBPyConnection, marts: list[str]) -> None:
    """Drop what the copy brought along that is no longer published (a mart left the list)."""
    keep = {*marts, LOG_TABLE, FINGERPRINT_TABLE}
    for (table,) in con.execute(
        "select table_name from duckdb_tables() "
        "where database_name = current_database() and schema_name = 'main'"
    ).fetchall():
        if table not in keep:
            con.execute(f"drop table main.{_ident(table)}")
    con.execute(
        f"delete from {FINGERPRINT_TABLE} where not list_contains($marts, mart)",
        {"marts": [m for m in marts if m in PARTITIONED_MARTS]},
    )


def build_published_duckdb(
    build_db: Path,
    new_file: Path,
    previous_file: Path,
    marts: list[str],
    stamp: Stamp,
) -> DuckdbPublication:
    """Write `new_file` from a copy of `previous_file` (when it exists) and the build."""
    new_file.unlink(missing_ok=True)
    if previous_file.exists():
        # The previous publication is complete and checkpointed (it was renamed into place after
        # its connection closed): its bytes are a valid database, log and fingerprints included.
        shutil.copyfile(previous_file, new_file)
    # Copied tables keep the build's row order (measured: `ordered=False` saved no memory here);
    # the memory limit is what bounds the copy (issue #6).
    con = duckdb_settings.connect(new_file)
    try:
        con.execute(_LOG_DDL)
        con.execute(_FINGERPRINT_DDL)
        _drop_other_tables(con, marts)
        con.execute(f"attach {_quote(build_db)} as build (read_only)")
        row_counts: dict[str, int] = {}
        months: dict[str, dict[str, MonthPrint]] = {}
        rewritten: dict[str, list[str]] = {}
        for mart in marts:
            if mart in PARTITIONED_MARTS:
                row_counts[mart], months[mart], rewritten[mart] = _publish_partitioned(
                    con, mart, PARTITIONED_MARTS[mart], stamp
                )
            else:
                row_counts[mart] = _copy_mart(con, mart, stamp)
        con.execute("detach build")
        log_row = stamp.log_row(row_counts)
        con.execute(f"insert into {LOG_TABLE} values (?, ?, ?, ?, ?, ?, ?)", log_row)
        con.execute("checkpoint")
    finally:
        con.close()
    return DuckdbPublication(row_counts=row_counts, months=months, rewritten=rewritten)
