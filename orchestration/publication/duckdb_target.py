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
  column) with the build, against the fingerprints the previous publication stored in
  `_publication_fingerprints` (per fact and month: row count, max(`_loaded_at`), `row_hash`, the
  run that wrote the month, its source mode). Months that changed are deleted and re-inserted
  from the build; months that left the build are deleted; the other months keep the rows the copy
  brought along. A fact whose columns differ from the build's (or that is new, or has no
  fingerprints) is copied in full.

How a month is found unchanged, cheapest test first:

1. `_loaded_at` (build only, never published: `BUILD_ONLY_COLUMNS`) is the start of the dbt run
   that wrote the row. dbt changes a fact only by delete+insert of whole keys or by a rebuild, so
   a month with the same row count and the same max(`_loaded_at`) as at the previous publication
   is unchanged: a month that gained or re-inserted rows has a newer max, a month that only lost
   rows has fewer rows. This reads two columns (partition column, `_loaded_at`), grouped by the
   partition column and rolled up to months in Python: no per-row month expression, no hash.
2. A month with the same row count but a newer max(`_loaded_at`) is hashed (in the build, that
   month only): `sum(hash(<every contract column>))`. When the hash equals the stored one, dbt
   re-inserted identical rows (fct_order_lines re-inserts every line of an updated order; a
   model that re-inserts widely, as fct_orders once did with every order of the day's customers,
   would otherwise have most months rewritten daily); the month is kept with its stamp, and its
   stored max(`_loaded_at`) moves on. Otherwise it is rewritten.
3. A month whose row count changed is rewritten, unhashed (a hash could not spare it; its
   stored `row_hash` is NULL, so the next same-count re-insert of it is rewritten once, hashed).

So the daily cost is one narrow scan plus the months dbt touched. Every month is hashed (the
fingerprint of before `_loaded_at`) when the build fact has no `_loaded_at` column (an older
build, a target that lacks it), or when the fact is copied in full (so that the next run can
recognise any re-insert); so are months whose `_loaded_at` is all NULL. A fingerprint table of
before `_loaded_at` gets a `max_loaded_at` column, NULL: the first publication after the upgrade
hashes every month once and rewrites only those whose hash changed. The run's `source_mode` must
match too: a change of source mode rewrites every month. After a publication each published
month equals the build's month, provided dbt alone changes the facts (a row updated behind its
back, `_loaded_at` unchanged, is published when dbt next writes that month) and up to a 64-bit
hash collision; the total row count and the months are checked against the build
(`count(*)` of a table is metadata in DuckDB: free).

The month-filtered reads (hash, insert) skip the row groups of other months through zone maps
only where the build fact is stored in date order: daily runs append in date order, but a
backfill or full rebuild interleaves every date in every row group, and then a filtered read of
one month costs nearly a full scan of the columns it reads.

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
#: The start of the dbt run that wrote the row (dbt_project/macros/run_loaded_at.sql), on the
#: partitioned facts of the build.
LOADED_AT = "_loaded_at"
#: Columns of the build marts that are never published. Everything published is selected from
#: `_build_columns`, which leaves them out; Parquet and PostgreSQL are written from the published
#: DuckDB file, so they never see them either.
BUILD_ONLY_COLUMNS = (LOADED_AT,)
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
#: `max_loaded_at` came with `_loaded_at` (it is the last column so that a table of before gets
#: it with `add column`); NULL: not known, the month is compared by its hash.
_FINGERPRINT_DDL = f"""
create table if not exists {FINGERPRINT_TABLE} (
    mart varchar not null,
    month varchar not null,
    row_count bigint not null,
    row_hash hugeint,
    run_id varchar not null,
    published_at timestamptz not null,
    source_mode varchar not null,
    max_loaded_at timestamp
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
    row_hash: int | None  # None: not computed (see the docstring)
    run_id: str
    max_loaded_at: datetime | None = None  # None: the build month had no `_loaded_at`

    def as_json(self) -> dict[str, object]:
        loaded_at = None if self.max_loaded_at is None else self.max_loaded_at.isoformat()
        return {
            "rows": self.rows,
            "row_hash": None if self.row_hash is None else str(self.row_hash),
            "max_loaded_at": loaded_at,
            "run_id": self.run_id,
        }


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


def month_key(day: date | datetime | None) -> str:
    """The month key (YYYY-MM, or NULL_MONTH) of a value of a partition column."""
    return NULL_MONTH if day is None else f"{day.year:04d}-{day.month:02d}"


def month_filter(column: str, months: list[str]) -> str:
    """SQL: the rows whose month key is in `months`, as date ranges, consecutive months merged
    into one range (so zone maps can skip the row groups of other months: a rewritten month's
    rows are appended together; and a long list of months costs one comparison per row)."""
    ranges = []
    numbers = []
    for month in months:
        if month == NULL_MONTH:
            ranges.append(f"{_ident(column)} is null")
        elif _MONTH_KEY.fullmatch(month):
            numbers.append(int(month[:4]) * 12 + int(month[5:]) - 1)
        else:
            raise ValueError(f"not a month key: {month!r}")
    spans: list[list[int]] = []
    for number in sorted(set(numbers)):
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    for first, last in spans:
        start = f"date '{first // 12:04d}-{first % 12 + 1:02d}-01'"
        end = f"date '{(last + 1) // 12:04d}-{(last + 1) % 12 + 1:02d}-01'"
        ranges.append(f"({_ident(column)} >= {start} and {_ident(column)} < {end})")
    return "(" + (" or ".join(ranges) or "false") + ")"


def _stamp_params(stamp: Stamp) -> dict[str, object]:
    return {
        "published_at": stamp.published_at,
        "run_id": stamp.run_id,
        "source_mode": stamp.source_mode,
    }


def _build_table_columns(con: duckdb.DuckDBPyConnection, mart: str) -> list[tuple[str, str]]:
    """(name, type) of every column of the mart in the build, build-only ones included."""
    columns = con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = 'build' and schema_name = ? and table_name = ? "
        "order by column_index",
        [BUILD_SCHEMA, mart],
    ).fetchall()
    if not columns:
        raise LookupError(f"mart {mart!r} is not in the build database ({BUILD_SCHEMA}.{mart})")
    return [(name, kind) for name, kind in columns]


def _contract_columns(build_columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The build columns that are published: the one place that leaves out the build-only ones
    (and publication columns, which the publication adds itself)."""
    left_out = {*PUBLICATION_COLUMNS, *BUILD_ONLY_COLUMNS}
    return [(name, kind) for name, kind in build_columns if name not in left_out]


def _build_columns(con: duckdb.DuckDBPyConnection, mart: str) -> list[tuple[str, str]]:
    """(name, type) of the mart's contract columns in the build (what is published of it)."""
    return _contract_columns(_build_table_columns(con, mart))


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


@dataclass(frozen=True)
class _Stored:
    """A month's fingerprint as the previous publication stored it."""

    rows: int
    row_hash: int | None
    max_loaded_at: datetime | None
    source_mode: str


def _group_key(column: str, kind: str) -> str:
    """SQL to group a fact by, finer than its month: the partition column itself when it is a
    DATE (a few hundred values; grouping by a column is cheaper than computing a month per row),
    else its month."""
    return _ident(column) if kind == "DATE" else f"date_trunc('month', {_ident(column)})"


def _month_stats(
    con: duckdb.DuckDBPyConnection, mart: str, group: str, has_loaded_at: bool
) -> dict[str, tuple[int, datetime | None]]:
    """month -> (row count, max(`_loaded_at`) or None) of the build fact."""
    loaded_at = f"max({_ident(LOADED_AT)})::timestamp" if has_loaded_at else "null"
    stats: dict[str, tuple[int, datetime | None]] = {}
    for day, rows, newest in con.execute(
        f"select {group}, count(*), {loaded_at} from build.{BUILD_SCHEMA}.{_ident(mart)} "
        "group by all"
    ).fetchall():
        key = month_key(day)
        count, latest = stats.get(key, (0, None))
        if newest is not None and (latest is None or newest > latest):
            latest = newest
        stats[key] = (count + rows, latest)
    return stats


def _month_hashes(
    con: duckdb.DuckDBPyConnection,
    mart: str,
    column: str,
    group: str,
    columns: list[tuple[str, str]],
    months: list[str],
    build_months: int,
) -> dict[str, int]:
    """month -> sum(hash(<every contract column>)) of the build fact, for `months` only (no
    filter when they are all of the build's `build_months` months)."""
    if not months:
        return {}
    row_hash = "hash(" + ", ".join(_ident(name) for name, _ in columns) + ")"
    where = "" if len(months) == build_months else f"where {month_filter(column, months)}"
    hashes: dict[str, int] = {}
    for day, total in con.execute(
        f"select {group}, sum({row_hash}) from build.{BUILD_SCHEMA}.{_ident(mart)} {where} "
        "group by all"
    ).fetchall():
        key = month_key(day)
        hashes[key] = hashes.get(key, 0) + int(total)
    return hashes


def _publish_partitioned(
    con: duckdb.DuckDBPyConnection, mart: str, column: str, stamp: Stamp
) -> tuple[int, dict[str, MonthPrint], list[str]]:
    """Bring one partitioned fact in line with the build, month by month (see the docstring)."""
    build_columns = _build_table_columns(con, mart)
    columns = _contract_columns(build_columns)
    types = dict(build_columns)
    group = _group_key(column, types.get(column, ""))
    has_loaded_at = LOADED_AT in types
    stats = _month_stats(con, mart, group, has_loaded_at)
    expected = columns + list(zip(PUBLICATION_COLUMNS, _PUBLICATION_TYPES, strict=True))
    previous: dict[str, _Stored] = {}
    if _published_columns(con, mart) == expected:
        previous = {
            key: _Stored(rows, None if total is None else int(total), loaded_at, mode)
            for key, rows, total, loaded_at, mode in con.execute(
                f"select month, row_count, row_hash, max_loaded_at, source_mode "
                f"from {FINGERPRINT_TABLE} where mart = ?",
                [mart],
            ).fetchall()
        }
    # the months with as many rows as stored (and the same source mode): a hash can tell them
    same_rows = {
        key: stored
        for key, (rows, _) in stats.items()
        if (stored := previous.get(key))
        and stored.rows == rows
        and stored.source_mode == stamp.source_mode
    }
    # 1. same rows and max(_loaded_at): unchanged, nothing else to read
    candidates = sorted(
        key
        for key, (_, loaded_at) in stats.items()
        if not (
            key in same_rows and loaded_at is not None and same_rows[key].max_loaded_at == loaded_at
        )
    )
    # 2. hash the candidates that a hash can spare (same rows); every month when the hash is the
    # only fingerprint or the fact is copied in full, so that the next run can compare any month
    if has_loaded_at and previous:
        to_hash = [key for key in candidates if key in same_rows]
    else:
        to_hash = candidates
    hashes = _month_hashes(con, mart, column, group, columns, to_hash, len(stats))
    reloaded = [  # dbt re-inserted the same rows: unchanged, new max(_loaded_at)
        key
        for key in to_hash
        if key in same_rows
        and same_rows[key].row_hash is not None
        and same_rows[key].row_hash == hashes[key]
    ]
    changed = sorted(set(candidates) - set(reloaded))
    gone = sorted(set(previous) - set(stats))
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
            f"insert into {FINGERPRINT_TABLE} (mart, month, row_count, row_hash, run_id, "
            "published_at, source_mode, max_loaded_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    mart,
                    key,
                    stats[key][0],
                    hashes.get(key),
                    stamp.run_id,
                    stamp.published_at,
                    stamp.source_mode,
                    stats[key][1],
                )
                for key in changed
            ],
        )
    if reloaded:
        con.executemany(
            f"update {FINGERPRINT_TABLE} set max_loaded_at = ? where mart = ? and month = ?",
            [(stats[key][1], mart, key) for key in reloaded],
        )
    published = {
        key: MonthPrint(
            rows=rows,
            row_hash=None if total is None else int(total),
            run_id=run_id,
            max_loaded_at=loaded_at,
        )
        for key, rows, total, run_id, loaded_at in con.execute(
            f"select month, row_count, row_hash, run_id, max_loaded_at from {FINGERPRINT_TABLE} "
            "where mart = ?",
            [mart],
        ).fetchall()
    }
    # Cheap consistency checks (the fingerprints themselves are not recomputed on the copy).
    total = _count(con, mart)
    expected_total = sum(count for count, _ in stats.values())
    if total != expected_total or published.keys() != stats.keys():
        raise RuntimeError(
            f"published {mart} has {total} rows in months {sorted(published)}, the build "
            f"{expected_total} in {sorted(stats)}: not publishing an inconsistent copy"
        )
    return total, published, sorted(changed + gone)


def _upgrade_fingerprints(con: duckdb.DuckDBPyConnection) -> None:
    """A fingerprint table written before `_loaded_at` gets its `max_loaded_at` column (NULL:
    its months are compared by hash once, see the docstring) and a nullable `row_hash`."""
    columns = dict(
        con.execute(
            "select column_name, is_nullable from duckdb_columns() where database_name = "
            "current_database() and schema_name = 'main' and table_name = ?",
            [FINGERPRINT_TABLE],
        ).fetchall()
    )
    if "max_loaded_at" not in columns:
        con.execute(f"alter table {FINGERPRINT_TABLE} add column max_loaded_at timestamp")
    if not columns["row_hash"]:
        con.execute(f"alter table {FINGERPRINT_TABLE} alter column row_hash drop not null")


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
        _upgrade_fingerprints(con)
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
