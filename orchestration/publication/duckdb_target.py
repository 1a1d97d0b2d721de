"""Write the published DuckDB file: the marts plus publication columns, and the publication log.

The file is always built NEW next to `published/marts.duckdb` and swapped in by the caller with
`os.replace`: DuckDB lets one process write a file and even a read-only holder blocks writers, so
writing into the file BI reads would fail (or block) as soon as a dashboard is open.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

# dbt builds the published models into this schema of build/warehouse.duckdb (generate_schema_name).
BUILD_SCHEMA = "marts"
PUBLICATION_COLUMNS = ("_published_at", "_run_id", "_source_mode")
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


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _copy_mart(con: duckdb.DuckDBPyConnection, mart: str, stamp: Stamp) -> int:
    columns = [
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() "
            "where database_name = 'build' and schema_name = ? and table_name = ? "
            "order by column_index",
            [BUILD_SCHEMA, mart],
        ).fetchall()
    ]
    if not columns:
        raise LookupError(f"mart {mart!r} is not in the build database ({BUILD_SCHEMA}.{mart})")
    kept = ", ".join(_ident(c) for c in columns if c not in PUBLICATION_COLUMNS)
    con.execute(
        f"create table main.{_ident(mart)} as select {kept}, "
        "$published_at::timestamptz as _published_at, $run_id::varchar as _run_id, "
        f"$source_mode::varchar as _source_mode from build.{BUILD_SCHEMA}.{_ident(mart)}",
        {
            "published_at": stamp.published_at,
            "run_id": stamp.run_id,
            "source_mode": stamp.source_mode,
        },
    )
    return con.execute(f"select count(*) from main.{_ident(mart)}").fetchone()[0]


def _carry_log(con: duckdb.DuckDBPyConnection, previous: Path) -> None:
    """Copy the previous publications' log rows so the log records every publication."""
    con.execute(_LOG_DDL)
    if not previous.exists():
        return
    con.execute(f"attach {_quote(previous)} as previous (read_only)")
    try:
        has_log = con.execute(
            "select count(*) from duckdb_tables() "
            "where database_name = 'previous' and table_name = ?",
            [LOG_TABLE],
        ).fetchone()[0]
        if has_log:
            con.execute(f"insert into {LOG_TABLE} select * from previous.main.{LOG_TABLE}")
    finally:
        con.execute("detach previous")


def build_published_duckdb(
    build_db: Path,
    new_file: Path,
    previous_file: Path,
    marts: list[str],
    stamp: Stamp,
    parquet_dir: Path,
) -> dict[str, int]:
    """Write `new_file` (and one Parquet per mart into `parquet_dir`); return rows per mart."""
    new_file.unlink(missing_ok=True)
    con = duckdb.connect(str(new_file))
    try:
        con.execute(f"attach {_quote(build_db)} as build (read_only)")
        row_counts = {mart: _copy_mart(con, mart, stamp) for mart in marts}
        con.execute("detach build")
        _carry_log(con, previous_file)
        log_row = stamp.log_row(row_counts)
        con.execute(f"insert into {LOG_TABLE} values (?, ?, ?, ?, ?, ?, ?)", log_row)
        for mart in marts:
            target = parquet_dir / f"{mart}.parquet"
            con.execute(
                f"copy main.{_ident(mart)} to {_quote(target)} (format parquet, compression zstd)"
            )
        con.execute("checkpoint")
    finally:
        con.close()
    return row_counts
