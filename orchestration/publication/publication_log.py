"""The `publication_log` table of the published DuckDB file: one row per publication, ever.

The log is history, so a new file must carry every earlier row: a copy of the current
publication brings them along; a start from the spare (one publication behind) replaces its log
with the current publication's before appending. The latest publication is the last row.
"""

from __future__ import annotations

import duckdb

from orchestration.publication.contract import LOG_COLUMNS, LOG_TABLE, Stamp

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


def prepare_log(con: duckdb.DuckDBPyConnection) -> None:
    """Create the log, or give a log written before `days_published` / `days_held` those
    columns (NULL in its rows)."""
    con.execute(_LOG_DDL)
    for column in ("days_published", "days_held"):
        con.execute(f"alter table {LOG_TABLE} add column if not exists {column} json")


def append_log(
    con: duckdb.DuckDBPyConnection,
    stamp: Stamp,
    row_counts: dict[str, int],
    current: str | None = None,
) -> None:
    """Append this publication's row; first take the whole log of the `current` publication
    (an attached database) when the file did not start as a copy of it."""
    listed = ", ".join(LOG_COLUMNS)
    if current is not None:
        con.execute(f"delete from main.{LOG_TABLE}")
        con.execute(
            f"insert into main.{LOG_TABLE} ({listed}) "
            f"select {listed} from {current}.main.{LOG_TABLE}"
        )
    placeholders = ", ".join("?" for _ in LOG_COLUMNS)
    con.execute(
        f"insert into {LOG_TABLE} ({listed}) values ({placeholders})", stamp.log_row(row_counts)
    )
