"""Write the published DuckDB file: the marts plus publication columns, and the publication log.

The file is always written under a NEW name next to `published/marts.duckdb` and swapped in by
the caller with `os.replace`: DuckDB lets one process write a file and even a read-only holder
blocks writers, so writing into the file BI reads would fail (or block) as soon as a dashboard is
open.

Incremental publication (issue #6: a daily run must cost about the same in year three as in
week one). The new file does not start empty, it starts from a previous publication:

- from the spare, `published/.marts.duckdb.spare`: the publication BEFORE the current one. When a
  publication replaces `marts.duckdb`, the caller first gives the file being replaced this second
  name (a hard link: same inode, no copy), so it survives the `os.replace`. The next publication
  renames the spare to its own temporary name and updates it in place, so the daily cost does not
  include a copy of the whole history. The spare is one publication behind: the months that
  differ between it and the current publication (by the run that wrote them, see below) are first
  copied from the current publication (attached read-only), the current publication's
  fingerprints and full `publication_log` replace the spare's; from then on the file holds, table
  by table, what a copy of the current publication would hold, and is updated from the build
  exactly like one. So the result (rows, publication stamps, fingerprints, log) is the one a copy
  would give: only the physical row order differs;
- from a byte copy of the current publication (`shutil.copyfile`) when the spare cannot be used:
  there is none (the first two publications; a failed or killed publication consumed it), it is
  held open by another process (a BI session that opened `marts.duckdb` before the last
  publication replaced it: DuckDB's lock refuses the writer; and a holder in this very process,
  which the lock cannot see, found in `/proc/self/fd`), it is not a database with this module's
  tables, or it is another name of `marts.duckdb` itself (a crash between the link and the
  replace). The reason is returned (`DuckdbPublication.start_reason`);
- empty when there is no current publication (a spare without one is deleted).

The spare only ever names a complete, checkpointed publication: it is created as a link to the
file being replaced (which was checkpointed and closed before it was renamed into place), never
written under its own name, and renamed away before anything writes into it, so a publication
that fails or is killed after that leaves a temporary file (deleted by the next run), not a
half-updated spare. Cost: the spare keeps a second published file on disk (the previous one).

Then:

- small marts (dimensions, `mart_*`) are copied in full (`create or replace table`);
- the big facts of `PARTITIONED_MARTS` are compared month by month (month of their partition
  column) with the build, against the fingerprints the previous publication stored in
  `_publication_fingerprints` (per fact and month: row count, max(`_loaded_at`), `row_hash`, the
  run that wrote the month, its source mode). Months that changed are deleted and re-inserted
  from the build; months that left the build are deleted; the other months keep the rows of the
  current publication (brought along by the copy; or already in the spare, else copied from the
  current publication: the catch-up). A fact whose columns differ from the build's (or that is
  new, or has no fingerprints) is copied in full from the build.

The catch-up, per partitioned fact, when starting from the spare: the months to compare are the
current publication's fingerprints, exactly as with a copy. Of the months the build leaves
unchanged, those whose fingerprint in the spare names another writer (run id and publication
time, row count, hash, source mode: a publication writes a month once, from one build, so the
same writer means the same rows) are deleted from the spare and copied from the current
publication; so are months the current publication has and the spare lacks. The spare's months
that are rewritten from the build or left it are deleted (never copied first). A spare fact whose
columns differ from the current one, or whose row count does not add up to its fingerprints, is
emptied and every kept month is copied. A month rewritten by the last publication and not since
is thus copied from it, stamp included (not rewritten from the build with a new run id: the
published Parquet month, which the manifest ties to the run that wrote it, stays current).

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
of `publication_log`, which lists every publication (a spare start takes it whole from the
current publication, then appends this one).

Row order within a fact is not meaningful: unchanged months stay where they were, rewritten (and
caught-up) months are appended.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import stat
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from orchestration.lib import duckdb_settings

logger = logging.getLogger(__name__)

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
LOG_COLUMNS = (
    "published_at",
    "run_id",
    "source_mode",
    "partition_start",
    "partition_end",
    "row_counts",
    "checks",
    "days_published",
    "days_held",
)
#: `days_published`, `days_held` (orchestration/publication/day_gate.py) came later: nullable,
#: NULL in the rows of before, added to an older log by `_upgrade_log`.
_LOG_DDL = f"""
create table if not exists {LOG_TABLE} (
    published_at timestamptz not null,
    run_id varchar not null,
    source_mode varchar not null,
    partition_start date,
    partition_end date,
    row_counts json not null,
    checks json not null,
    days_published json,
    days_held json
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
#: What the new file starts from (see the docstring).
START_SPARE = "spare"
START_COPY = "copy"
START_EMPTY = "empty"
#: The name under which a spare start attaches the current publication (read-only).
CURRENT = "current_publication"
FINGERPRINT_COLUMNS = (
    "mart",
    "month",
    "row_count",
    "row_hash",
    "run_id",
    "published_at",
    "source_mode",
    "max_loaded_at",
)
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
    checks: dict[str, str]  # "asset_key:check_name" -> passed / warn / error
    #: the landed days the published build read, as inclusive [first, last] ISO ranges
    days_published: list[list[str]] = field(default_factory=list)
    #: the landed days held back: [{"day": ISO date, "reason": why}] (day_gate.py)
    days_held: list[dict[str, str]] = field(default_factory=list)

    def log_row(self, row_counts: dict[str, int]) -> tuple[object, ...]:
        """The `publication_log` row, in LOG_COLUMNS order."""
        return (
            self.published_at,
            self.run_id,
            self.source_mode,
            self.partition_start,
            self.partition_end,
            json.dumps(row_counts, sort_keys=True),
            json.dumps(self.checks, sort_keys=True),
            json.dumps(self.days_published),
            json.dumps(self.days_held),
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
    #: what the file started from: START_SPARE, START_COPY or START_EMPTY
    start: str = "copy"
    #: why (when the spare was not used: what was wrong with it)
    start_reason: str = ""
    #: spare start: partitioned mart -> the months copied from the current publication
    caught_up: dict[str, list[str]] = field(default_factory=dict)


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


def _published_columns(
    con: duckdb.DuckDBPyConnection, mart: str, database: str | None = None
) -> list[tuple[str, str]]:
    """(name, type) of the mart in the new file so far (the copy of the previous publication, or
    the spare), or in the attached `database`."""
    rows = con.execute(
        "select column_name, data_type from duckdb_columns() where database_name = "
        "coalesce(?, current_database()) and schema_name = 'main' and table_name = ? "
        "order by column_index",
        [database, mart],
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


def _table(name: str, database: str | None = None) -> str:
    """SQL name of a table of the new file (`database` None) or of an attached database."""
    return f"main.{_ident(name)}" if database is None else f"{database}.main.{_ident(name)}"


def _writers(con: duckdb.DuckDBPyConnection, database: str | None, mart: str) -> dict[str, tuple]:
    """month -> who wrote it (run id and time, rows, hash, source mode), in the fingerprints of
    the new file (None) or `database`: two files with the same writer for a month hold the same
    rows in it."""
    return {
        month: tuple(writer)
        for month, *writer in con.execute(
            f"select month, run_id, published_at, row_count, row_hash, source_mode "
            f"from {_table(FINGERPRINT_TABLE, database)} where mart = ?",
            [mart],
        ).fetchall()
    }


def _catch_up(con: duckdb.DuckDBPyConnection, mart: str, column: str, kept: set[str]) -> list[str]:
    """Spare start: leave in the spare's fact the current publication's rows of the `kept` months
    and no other rows, and give it the current publication's fingerprints (see the docstring).
    Returns the months copied from the current publication."""
    current = _writers(con, CURRENT, mart)
    spare = _writers(con, None, mart)
    spare_rows = sum(writer[2] for writer in spare.values())
    if (
        _published_columns(con, mart) != _published_columns(con, mart, CURRENT)
        or _count(con, mart) != spare_rows
    ):
        # not comparable month by month: start the fact empty, with the current columns
        con.execute(
            f"create or replace table main.{_ident(mart)} as "
            f"select * from {CURRENT}.main.{_ident(mart)} limit 0"
        )
        spare = {}
    stale = sorted(month for month in kept if spare.get(month) != current[month])
    dropped = sorted((spare.keys() - kept) | set(stale))
    if dropped:
        con.execute(f"delete from main.{_ident(mart)} where {month_filter(column, dropped)}")
    if stale:
        con.execute(
            f"insert into main.{_ident(mart)} select * from {CURRENT}.main.{_ident(mart)} "
            f"where {month_filter(column, stale)}"
        )
    listed = ", ".join(FINGERPRINT_COLUMNS)
    con.execute(f"delete from main.{FINGERPRINT_TABLE} where mart = ?", [mart])
    con.execute(
        f"insert into main.{FINGERPRINT_TABLE} ({listed}) select {listed} "
        f"from {CURRENT}.main.{FINGERPRINT_TABLE} where mart = ?",
        [mart],
    )
    return stale


def _publish_partitioned(
    con: duckdb.DuckDBPyConnection, mart: str, column: str, stamp: Stamp, from_spare: bool
) -> tuple[int, dict[str, MonthPrint], list[str], list[str]]:
    """Bring one partitioned fact in line with the build, month by month (see the docstring).

    `from_spare`: the file is the spare; the months are compared with the fingerprints of the
    current publication (attached as CURRENT), and the spare caught up with it.
    Returns the row count, the published months, the months rewritten from the build or deleted,
    and the months copied from the current publication."""
    build_columns = _build_table_columns(con, mart)
    columns = _contract_columns(build_columns)
    types = dict(build_columns)
    group = _group_key(column, types.get(column, ""))
    has_loaded_at = LOADED_AT in types
    stats = _month_stats(con, mart, group, has_loaded_at)
    expected = columns + list(zip(PUBLICATION_COLUMNS, _PUBLICATION_TYPES, strict=True))
    # what the current publication holds: the file itself (a copy of it), or CURRENT
    database = CURRENT if from_spare else None
    previous: dict[str, _Stored] = {}
    if _published_columns(con, mart, database) == expected:
        previous = {
            key: _Stored(rows, None if total is None else int(total), loaded_at, mode)
            for key, rows, total, loaded_at, mode in con.execute(
                f"select month, row_count, row_hash, max_loaded_at, source_mode "
                f"from {_table(FINGERPRINT_TABLE, database)} where mart = ?",
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
    caught_up: list[str] = []
    # No fingerprints: a new fact, other columns, or a publication from before them.
    if not previous:
        con.execute(
            f"create or replace table main.{_ident(mart)} as {_stamped_select(columns, mart)}",
            _stamp_params(stamp),
        )
        con.execute(f"delete from {FINGERPRINT_TABLE} where mart = ?", [mart])
    elif changed or gone or from_spare:
        if from_spare:  # also deletes the spare's rows of the months changed or gone
            caught_up = _catch_up(con, mart, column, set(previous) - set(changed) - set(gone))
        else:
            con.execute(
                f"delete from main.{_ident(mart)} where {month_filter(column, changed + gone)}"
            )
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
    return total, published, sorted(changed + gone), caught_up


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


def _upgrade_log(con: duckdb.DuckDBPyConnection) -> None:
    """A log written before `days_published` / `days_held` gets them (NULL in its rows)."""
    for column in ("days_published", "days_held"):
        con.execute(f"alter table {LOG_TABLE} add column if not exists {column} json")


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


def _open_in_this_process(path: Path) -> bool:
    """Whether this process holds `path`'s file open. DuckDB's lock is a POSIX record lock, which
    never conflicts within a process: it cannot see a connection of this very process (a
    notebook, an in-process run) that still reads the file. Linux only (False without
    `/proc/self/fd`)."""
    target = os.stat(path)
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.is_dir():
        return False
    for fd in fd_dir.iterdir():
        try:
            held = os.stat(fd)
        except OSError:  # closed meanwhile (the listing's own descriptor among others)
            continue
        if (held.st_dev, held.st_ino) == (target.st_dev, target.st_ino):
            return True
    return False


def _table_columns(con: duckdb.DuckDBPyConnection, database: str, table: str) -> set[str]:
    return {
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() "
            "where database_name = ? and schema_name = 'main' and table_name = ?",
            [database, table],
        ).fetchall()
    }


def _spare_problem(con: duckdb.DuckDBPyConnection, current_file: Path) -> str | None:
    """What makes the opened spare unusable, None when it is fine; attaches the current
    publication as CURRENT."""
    (spare_db,) = con.execute("select current_database()").fetchone()
    if not _table_columns(con, spare_db, LOG_TABLE) or not _table_columns(
        con, spare_db, FINGERPRINT_TABLE
    ):
        return "the spare is not a publication of this version (no log or fingerprints)"
    con.execute(f"attach {_quote(current_file)} as {CURRENT} (read_only)")
    if not set(LOG_COLUMNS) <= _table_columns(con, CURRENT, LOG_TABLE) or not set(
        FINGERPRINT_COLUMNS
    ) <= _table_columns(con, CURRENT, FINGERPRINT_TABLE):
        return "the current publication has no log or fingerprints of this version"
    return None


def _open_spare(
    spare_file: Path, new_file: Path, current_file: Path
) -> tuple[duckdb.DuckDBPyConnection | None, str]:
    """Rename the spare to `new_file` and open it read-write, the current publication attached;
    (None, why) when it cannot be used (the spare is then gone, `new_file` deleted)."""
    if not current_file.exists():
        spare_file.unlink()
        return None, "spare deleted: there is no current publication to catch it up with"
    wal = spare_file.with_name(spare_file.name + ".wal")
    # From here on the spare's name is gone: a failure or a crash leaves at most `new_file`, a
    # temporary file the next publication deletes, never a half-updated spare.
    os.replace(spare_file, new_file)
    con = None
    try:
        info = os.lstat(new_file)
        if not stat.S_ISREG(info.st_mode):
            problem = "the spare is not a regular file"
        elif info.st_nlink != 1:
            # writing into it would change the other name too: marts.duckdb itself after a crash
            # between keeping the spare and replacing marts.duckdb
            problem = "the spare is also another file's name (e.g. marts.duckdb itself)"
        elif wal.exists():
            wal.unlink()
            problem = "the spare has a write-ahead log: it was opened for writing"
        elif _open_in_this_process(new_file):
            problem = "the spare is held open by this process"
        else:
            con = duckdb_settings.connect(new_file)  # a reader in another process: lock error
            problem = _spare_problem(con, current_file)
            if problem is None:
                return con, "the publication before the current one"
    except (duckdb.Error, OSError) as error:
        held = "lock" in str(error).lower()
        problem = f"the spare is {'held open by another process' if held else 'unusable'}: {error}"
    if con is not None:
        con.close()
    new_file.unlink(missing_ok=True)
    return None, problem


def _start(
    new_file: Path, current_file: Path, spare_file: Path | None
) -> tuple[duckdb.DuckDBPyConnection, str, str]:
    """Open `new_file` read-write, started from the spare, a copy of the current publication or
    nothing: (connection, START_*, why)."""
    reason = "no spare"
    if spare_file is not None and (spare_file.exists() or spare_file.is_symlink()):
        con, reason = _open_spare(spare_file, new_file, current_file)
        if con is not None:
            return con, START_SPARE, reason
        logger.warning("published DuckDB file not started from the spare: %s", reason)
    if not current_file.exists():
        return duckdb_settings.connect(new_file), START_EMPTY, f"{reason}, no publication yet"
    # The current publication is complete and checkpointed (it was renamed into place after its
    # connection closed): its bytes are a valid database, log and fingerprints included.
    shutil.copyfile(current_file, new_file)
    return duckdb_settings.connect(new_file), START_COPY, reason


def build_published_duckdb(
    build_db: Path,
    new_file: Path,
    previous_file: Path,
    marts: list[str],
    stamp: Stamp,
    spare_file: Path | None = None,
) -> DuckdbPublication:
    """Write `new_file` from the build, starting from `spare_file` (the publication before
    `previous_file`, consumed: renamed to `new_file`) when it can be used, else from a copy of
    `previous_file`, the current publication (when it exists). See the module docstring."""
    new_file.unlink(missing_ok=True)
    # Copied tables keep the build's row order (measured: `ordered=False` saved no memory here);
    # the memory limit is what bounds the copy (issue #6).
    con, start, reason = _start(new_file, previous_file, spare_file)
    from_spare = start == START_SPARE
    try:
        con.execute(_LOG_DDL)
        _upgrade_log(con)
        con.execute(_FINGERPRINT_DDL)
        _upgrade_fingerprints(con)
        _drop_other_tables(con, marts)
        con.execute(f"attach {_quote(build_db)} as build (read_only)")
        row_counts: dict[str, int] = {}
        months: dict[str, dict[str, MonthPrint]] = {}
        rewritten: dict[str, list[str]] = {}
        caught_up: dict[str, list[str]] = {}
        for mart in marts:
            if mart in PARTITIONED_MARTS:
                row_counts[mart], months[mart], rewritten[mart], copied = _publish_partitioned(
                    con, mart, PARTITIONED_MARTS[mart], stamp, from_spare
                )
                if from_spare:
                    caught_up[mart] = copied
            else:
                row_counts[mart] = _copy_mart(con, mart, stamp)
        con.execute("detach build")
        if from_spare:  # the log is history: the current publication's, whole
            listed = ", ".join(LOG_COLUMNS)
            con.execute(f"delete from main.{LOG_TABLE}")
            con.execute(
                f"insert into main.{LOG_TABLE} ({listed}) "
                f"select {listed} from {CURRENT}.main.{LOG_TABLE}"
            )
            con.execute(f"detach {CURRENT}")
        log_row = stamp.log_row(row_counts)
        placeholders = ", ".join("?" for _ in LOG_COLUMNS)
        con.execute(
            f"insert into {LOG_TABLE} ({', '.join(LOG_COLUMNS)}) values ({placeholders})",
            log_row,
        )
        con.execute("checkpoint")
    finally:
        con.close()
    return DuckdbPublication(
        row_counts=row_counts,
        months=months,
        rewritten=rewritten,
        start=start,
        start_reason=reason,
        caught_up=caught_up,
    )
