"""`_publication_fingerprints`: per partitioned fact and month, what was published and by whom.

A row per month: the build month's row count, max(`_loaded_at`) and hash when it was published,
and the run (id, time, source mode) that wrote it. The next publication compares the build with
these to find the months to rewrite (month_diff.py); the Parquet target compares its manifest with
them to find the month files to rewrite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from orchestration.publication.contract import FINGERPRINT_TABLE, MonthPrint, Stamp
from orchestration.publication.duckdb_sql import published_columns, table

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
class StoredPrint:
    """A month's fingerprint as the previous publication stored it."""

    rows: int
    row_hash: int | None
    max_loaded_at: datetime | None
    source_mode: str


def prepare_fingerprints(con: duckdb.DuckDBPyConnection) -> None:
    """Create the table, or bring one written before `_loaded_at` up to date: a `max_loaded_at`
    column (NULL: its months are compared by hash once) and a nullable hash."""
    con.execute(_FINGERPRINT_DDL)
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


def previous_prints(
    con: duckdb.DuckDBPyConnection,
    mart: str,
    expected_columns: list[tuple[str, str]],
    database: str | None,
) -> dict[str, StoredPrint]:
    """The fact's stored fingerprints in the new file (None) or the attached `database`; none
    when the published fact's columns are not `expected_columns` (it is then rewritten whole)."""
    if published_columns(con, mart, database) != expected_columns:
        return {}
    return {
        key: StoredPrint(rows, None if total is None else int(total), loaded_at, mode)
        for key, rows, total, loaded_at, mode in con.execute(
            f"select month, row_count, row_hash, max_loaded_at, source_mode "
            f"from {table(FINGERPRINT_TABLE, database)} where mart = ?",
            [mart],
        ).fetchall()
    }


def writers(con: duckdb.DuckDBPyConnection, database: str | None, mart: str) -> dict[str, tuple]:
    """month -> who wrote it (run id and time, rows, hash, source mode), in the fingerprints of
    the new file (None) or `database`: two files with the same writer for a month hold the same
    rows in it."""
    return {
        month: tuple(writer)
        for month, *writer in con.execute(
            f"select month, run_id, published_at, row_count, row_hash, source_mode "
            f"from {table(FINGERPRINT_TABLE, database)} where mart = ?",
            [mart],
        ).fetchall()
    }


def record_prints(
    con: duckdb.DuckDBPyConnection,
    mart: str,
    stamp: Stamp,
    written: list[tuple[str, int, int | None, datetime | None]],
    reloaded: list[tuple[str, datetime | None]],
) -> dict[str, MonthPrint]:
    """Store the fingerprints of the months this publication `written` (month, rows, hash, max
    `_loaded_at`), move on the max(`_loaded_at`) of the `reloaded` ones; return the fact's all."""
    if written:
        con.executemany(
            f"insert into {FINGERPRINT_TABLE} (mart, month, row_count, row_hash, run_id, "
            "published_at, source_mode, max_loaded_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (mart, key, rows, row_hash, stamp.run_id, stamp.published_at, stamp.source_mode, at)
                for key, rows, row_hash, at in written
            ],
        )
    if reloaded:
        con.executemany(
            f"update {FINGERPRINT_TABLE} set max_loaded_at = ? where mart = ? and month = ?",
            [(loaded_at, mart, key) for key, loaded_at in reloaded],
        )
    return {
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
