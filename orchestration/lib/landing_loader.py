"""Copy the landing Parquet files into PostgreSQL, for the dbt `postgres` target.

PostgreSQL cannot read Parquet (and no extension can be installed), so before `dbt build
--target postgres` the landing zone is loaded into the schema `landing`, one table per dataset
named `<source>__<dataset>` (the `identifier` of the dbt sources). Columns and types come from
the landing contract (`orchestration.sources.LANDING_DATASETS`, passed in), not from the files:
a file written before a column was added gets nulls there (like DuckDB's `union_by_name`).

Two modes:
- full (default): every table is dropped, re-created and filled from every landed day, in one
  transaction per table (readers see the old or the new table, never half of it);
- days: only the given day partitions are replaced (`delete ... where _partition_date in (...)`
  then insert), which is what a daily run needs.

Rows travel as CSV through `COPY ... FROM STDIN` (Arrow's C++ CSV writer, no Python loop per row).
List columns (Zendesk `tags`) are stored as jsonb.

The day partitions loaded are recorded in `landing._landed_partitions` (source, dataset,
partition_date), empty days included: which days a source landed is what makes a KPI day
complete (dbt `int_kpi_calendar`), and an empty day leaves no row in its table.

CLI (connection from --dsn, else TEST-style DSN env var, else the DBT_POSTGRES_* variables that
dbt's profile reads):

    python -m orchestration.lib.landing_loader --warehouse-dir "$WAREHOUSE_DIR"
    python -m orchestration.lib.landing_loader --days 2025-02-03 2025-02-04
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from psycopg import sql

from orchestration.lib.paths import WarehouseLayout
from orchestration.lib.settings import load_settings

logger = logging.getLogger(__name__)

DEFAULT_SCHEMA = "landing"
PARTITIONS_TABLE = "_landed_partitions"


def table_name(source: str, dataset: str) -> str:
    """The Postgres table (and dbt source identifier) of a landed dataset."""
    return f"{source}__{dataset}"


def postgres_type(arrow_type: pa.DataType) -> str:
    """The Postgres column type of a landing contract type."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "text"
    if pa.types.is_timestamp(arrow_type):
        return "timestamptz" if arrow_type.tz else "timestamp"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_decimal(arrow_type):
        return f"numeric({arrow_type.precision}, {arrow_type.scale})"
    if pa.types.is_int64(arrow_type):
        return "bigint"
    if pa.types.is_int32(arrow_type):
        return "integer"
    if pa.types.is_int16(arrow_type) or pa.types.is_int8(arrow_type):
        return "smallint"
    if pa.types.is_floating(arrow_type):
        return "double precision"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return "jsonb"
    raise TypeError(f"no Postgres type for Arrow type {arrow_type}")


def postgres_dsn_from_env(env: dict[str, str] | None = None) -> str:
    """A libpq connection string from the variables of dbt's `postgres` profile output."""
    return load_settings(env).dbt_postgres_dsn


def _day_of(path: Path) -> dt.date | None:
    name = path.parent.name
    if name.startswith("date="):
        try:
            return dt.date.fromisoformat(name[len("date=") :])
        except ValueError:
            return None
    return None


def landed_files(
    warehouse_dir: Path, source: str, dataset: str, days: Iterable[dt.date] | None = None
) -> list[Path]:
    """The Parquet files of a dataset (all days, or only `days`), oldest day first."""
    folder = WarehouseLayout(Path(warehouse_dir)).landing_dataset(source, dataset)
    wanted = None if days is None else set(days)
    files = sorted(folder.glob("date=*/*.parquet"))
    return [f for f in files if wanted is None or _day_of(f) in wanted]


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with exactly the contract's columns, in order and types (missing ones null)."""
    columns = []
    for field in schema:
        if field.name in table.column_names:
            column = table.column(field.name)
            if not column.type.equals(field.type):
                column = column.cast(field.type)
        else:
            column = pa.nulls(table.num_rows, field.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=pa.schema([f.with_nullable(True) for f in schema]))


def _csv_ready(table: pa.Table) -> pa.Table:
    """Types Arrow's CSV writer cannot write (lists) become JSON text."""
    columns, fields = [], []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
            values = [None if v is None else json.dumps(v) for v in column.to_pylist()]
            column = pa.array(values, pa.string())
            field = pa.field(field.name, pa.string())
        elif pa.types.is_timestamp(field.type) and field.type.tz:
            # ISO text with an explicit UTC offset, whatever the server's TimeZone
            column = pc.strftime(column, format="%Y-%m-%dT%H:%M:%S%z", locale="C")
            field = pa.field(field.name, pa.string())
        columns.append(column)
        fields.append(field)
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def _copy_table(cursor, qualified: sql.Composed, table: pa.Table) -> None:
    if table.num_rows == 0:
        return
    buffer = io.BytesIO()
    pacsv.write_csv(
        _csv_ready(table),
        buffer,
        write_options=pacsv.WriteOptions(include_header=False, quoting_style="needed"),
    )
    columns = sql.SQL(", ").join(sql.Identifier(name) for name in table.column_names)
    statement = sql.SQL("copy {} ({}) from stdin with (format csv)").format(qualified, columns)
    with cursor.copy(statement) as copy:
        view = buffer.getbuffer()
        for start in range(0, len(view), 1 << 20):
            copy.write(view[start : start + (1 << 20)])


@dataclass
class LoadedDataset:
    table: str
    files: int
    rows: int


def load_dataset(
    connection,
    warehouse_dir: Path,
    source: str,
    dataset: str,
    contract: pa.Schema,
    schema_name: str = DEFAULT_SCHEMA,
    days: Sequence[dt.date] | None = None,
) -> LoadedDataset:
    """Load one dataset (full replace, or only `days`) in one transaction, as its `contract`
    (landing schema) types it."""
    name = table_name(source, dataset)
    qualified = sql.Identifier(schema_name, name)
    column_defs = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(f.name), sql.SQL(postgres_type(f.type)))
        for f in contract
    )
    files = landed_files(warehouse_dir, source, dataset, days)
    rows = 0
    with connection.transaction(), connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("create schema if not exists {}").format(sql.Identifier(schema_name))
        )
        if days is None:
            cursor.execute(sql.SQL("drop table if exists {}").format(qualified))
            cursor.execute(sql.SQL("create table {} ({})").format(qualified, column_defs))
        else:
            cursor.execute(
                sql.SQL("create table if not exists {} ({})").format(qualified, column_defs)
            )
            for field in contract:  # a column added to the contract since the table was made
                cursor.execute(
                    sql.SQL("alter table {} add column if not exists {} {}").format(
                        qualified, sql.Identifier(field.name), sql.SQL(postgres_type(field.type))
                    )
                )
            cursor.execute(
                sql.SQL("delete from {} where _partition_date = any(%s)").format(qualified),
                [list(days)],
            )
        for path in files:
            table = conform(pq.read_table(path), contract)
            _copy_table(cursor, qualified, table)
            rows += table.num_rows
        _record_partitions(cursor, schema_name, source, dataset, days, files)
        if days is None:
            cursor.execute(sql.SQL("analyze {}").format(qualified))
    return LoadedDataset(table=f"{schema_name}.{name}", files=len(files), rows=rows)


def _record_partitions(
    cursor,
    schema_name: str,
    source: str,
    dataset: str,
    days: Sequence[dt.date] | None,
    files: list[Path],
) -> None:
    """Replace the recorded day partitions of a dataset (all, or only `days`) by `files`' days."""
    qualified = sql.Identifier(schema_name, PARTITIONS_TABLE)
    cursor.execute(
        sql.SQL(
            "create table if not exists {} (source text, dataset text, partition_date date)"
        ).format(qualified)
    )
    where = sql.SQL("source = %s and dataset = %s")
    params: list[object] = [source, dataset]
    if days is not None:
        where = sql.SQL("{} and partition_date = any(%s)").format(where)
        params.append(list(days))
    cursor.execute(sql.SQL("delete from {} where {}").format(qualified, where), params)
    landed = sorted({day for day in map(_day_of, files) if day is not None})
    if landed:
        cursor.executemany(
            sql.SQL("insert into {} values (%s, %s, %s)").format(qualified),
            [(source, dataset, day) for day in landed],
        )


def load_landing(
    dsn: str,
    warehouse_dir: Path | str,
    contracts: Mapping[str, Mapping[str, pa.Schema]],
    schema_name: str = DEFAULT_SCHEMA,
    days: Sequence[dt.date] | None = None,
) -> list[LoadedDataset]:
    """Load every dataset of `contracts` (source -> dataset -> landing schema) landed in
    `warehouse_dir` into `schema_name` of the database `dsn`."""
    import psycopg

    warehouse_dir = Path(warehouse_dir)
    loaded = []
    with psycopg.connect(dsn, autocommit=True) as connection:
        for source, datasets in contracts.items():
            for dataset, contract in datasets.items():
                loaded.append(
                    load_dataset(
                        connection, warehouse_dir, source, dataset, contract, schema_name, days
                    )
                )
    return loaded


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse-dir", default=str(load_settings().warehouse_dir))
    parser.add_argument("--dsn", default=None, help="libpq DSN (default: DBT_POSTGRES_* vars)")
    parser.add_argument("--schema", default=DEFAULT_SCHEMA)
    parser.add_argument(
        "--days", nargs="*", type=dt.date.fromisoformat, default=None, help="only these days"
    )
    args = parser.parse_args(argv)
    dsn = args.dsn or postgres_dsn_from_env()
    # The command line is the one caller that assembles the contract itself: the library above
    # takes it as an argument, so lib/ does not depend on the source modules.
    from orchestration.sources import LANDING_DATASETS

    started = time.perf_counter()
    loaded = load_landing(dsn, args.warehouse_dir, LANDING_DATASETS, args.schema, args.days)
    summary = {
        "tables": len(loaded),
        "rows": sum(item.rows for item in loaded),
        "files": sum(item.files for item in loaded),
        "seconds": round(time.perf_counter() - started, 3),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
