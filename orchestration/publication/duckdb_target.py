"""Write the published DuckDB file: the marts plus publication columns, and the publication log.

The file is always written under a NEW name next to `published/marts.duckdb` and swapped in by
the caller (publish.py): DuckDB lets one process write a file and even a read-only holder blocks
writers, so writing into the file BI reads would fail (or block) as soon as a dashboard is open.
The new file starts from a previous publication (spare_file.py), small marts are copied in full
and the partitioned facts brought up to date month by month (month_diff.py); the design is
docs/architecture.md, "Publication".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.publication.contract import (
    FINGERPRINT_TABLE,
    LOG_TABLE,
    PARTITIONED_MARTS,
    MonthPrint,
    Stamp,
    ident,
)
from orchestration.publication.duckdb_sql import (
    build_columns,
    count,
    quote_path,
    stamp_params,
    stamped_select,
)
from orchestration.publication.fingerprints import prepare_fingerprints
from orchestration.publication.month_diff import publish_partitioned
from orchestration.publication.publication_log import append_log, prepare_log
from orchestration.publication.spare_file import CURRENT, START_COPY, START_SPARE, start_new_file


@dataclass(frozen=True)
class DuckdbPublication:
    """What `build_published_duckdb` wrote."""

    row_counts: dict[str, int]
    #: partitioned mart -> month (YYYY-MM) -> fingerprint, as published now
    months: dict[str, dict[str, MonthPrint]]
    #: partitioned mart -> the months this publication (re)wrote or deleted
    rewritten: dict[str, list[str]]
    #: what the file started from: spare_file.START_SPARE, START_COPY or START_EMPTY
    start: str = START_COPY
    #: why (when the spare was not used: what was wrong with it)
    start_reason: str = ""
    #: spare start: partitioned mart -> the months copied from the current publication
    caught_up: dict[str, list[str]] = field(default_factory=dict)


def _copy_mart(con: duckdb.DuckDBPyConnection, mart: str, stamp: Stamp) -> int:
    """Small marts are rewritten in full: cheaper than comparing them."""
    con.execute(
        f"create or replace table main.{ident(mart)} as "
        f"{stamped_select(build_columns(con, mart), mart)}",
        stamp_params(stamp),
    )
    return count(con, mart)


def _drop_other_tables(con: duckdb.DuckDBPyConnection, marts: list[str]) -> None:
    """Drop what the copy brought along that is no longer published (a mart left the list)."""
    keep = {*marts, LOG_TABLE, FINGERPRINT_TABLE}
    for (table,) in con.execute(
        "select table_name from duckdb_tables() "
        "where database_name = current_database() and schema_name = 'main'"
    ).fetchall():
        if table not in keep:
            con.execute(f"drop table main.{ident(table)}")
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
    spare_file: Path | None = None,
) -> DuckdbPublication:
    """Write `new_file` from the build, starting from `spare_file` (the publication before
    `previous_file`, consumed: renamed to `new_file`) when it can be used, else from a copy of
    `previous_file`, the current publication (when it exists)."""
    new_file.unlink(missing_ok=True)
    # Copied tables keep the build's row order (`ordered=False` saved no memory); the memory
    # limit of duckdb_settings is what bounds the copy.
    con, start, reason = start_new_file(new_file, previous_file, spare_file)
    current = CURRENT if start == START_SPARE else None
    try:
        prepare_log(con)
        prepare_fingerprints(con)
        _drop_other_tables(con, marts)
        con.execute(f"attach {quote_path(build_db)} as build (read_only)")
        row_counts: dict[str, int] = {}
        months: dict[str, dict[str, MonthPrint]] = {}
        rewritten: dict[str, list[str]] = {}
        caught_up: dict[str, list[str]] = {}
        for mart in marts:
            if mart not in PARTITIONED_MARTS:
                row_counts[mart] = _copy_mart(con, mart, stamp)
                continue
            fact = publish_partitioned(con, mart, PARTITIONED_MARTS[mart], stamp, current)
            row_counts[mart], months[mart], rewritten[mart] = fact.rows, fact.months, fact.rewritten
            if current:
                caught_up[mart] = fact.caught_up
        con.execute("detach build")
        append_log(con, stamp, row_counts, current)
        if current:
            con.execute(f"detach {current}")
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
