"""The publication contract: what every target (DuckDB, Parquet, PostgreSQL) publishes.

One place, so the targets cannot disagree on the columns they add, the columns they leave out, the
facts published month by month, the month key, or the log. How the DuckDB file is kept up to date
is docs/architecture.md, "Publication".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime

# dbt builds the published models into this schema of build/warehouse.duckdb (generate_schema_name).
BUILD_SCHEMA = "marts"
#: Added to every published row: which publication last wrote it.
PUBLICATION_COLUMNS = ("_published_at", "_run_id", "_source_mode")
PUBLICATION_TYPES = ("TIMESTAMP WITH TIME ZONE", "VARCHAR", "VARCHAR")
#: The start of the dbt run that wrote the row (dbt_project/macros/run_loaded_at.sql), on the
#: partitioned facts of the build.
LOADED_AT = "_loaded_at"
#: Columns of the build marts that are never published. Everything published is selected through
#: `contract_columns`, which leaves them out; Parquet and PostgreSQL are written from the published
#: DuckDB file, so they never see them either.
BUILD_ONLY_COLUMNS = (LOADED_AT,)

LOG_TABLE = "publication_log"
#: `days_published`, `days_held` (day_gate.py) came later: nullable, NULL in the rows of before.
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

#: Per partitioned fact and month, in the published DuckDB file: its build fingerprint and the
#: publication that wrote it (the Parquet manifest is checked against it).
FINGERPRINT_TABLE = "_publication_fingerprints"
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
    row_hash: int | None  # None: not computed (a month rewritten because its row count changed)
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


def ident(name: str) -> str:
    """A quoted SQL identifier (DuckDB)."""
    return '"' + name.replace('"', '""') + '"'


def contract_columns(build_columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The build columns that are published: the one place that leaves out the build-only ones
    (and publication columns, which the publication adds itself)."""
    left_out = {*PUBLICATION_COLUMNS, *BUILD_ONLY_COLUMNS}
    return [(name, kind) for name, kind in build_columns if name not in left_out]


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
            ranges.append(f"{ident(column)} is null")
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
        ranges.append(f"({ident(column)} >= {start} and {ident(column)} < {end})")
    return "(" + (" or ".join(ranges) or "false") + ")"
