"""Publish the marts to PostgreSQL in ONE transaction, so readers see the old or the new marts.

Per mart: truncate and refill the existing table (its grants and the views BI users built on it
survive), or create it when it is new or its columns changed. TRUNCATE takes an ACCESS EXCLUSIVE
lock until commit: a query that reads during the publication waits and then sees the new data,
never a mix; a failure anywhere rolls everything back. A table whose columns changed is dropped
and recreated in the same transaction; if a user's view depends on it, the drop fails and the
whole publication rolls back, loudly, rather than silently breaking that view.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import duckdb
import psycopg
from psycopg import sql

from orchestration.publication.contract import LOG_COLUMNS, LOG_TABLE, Stamp

_BATCH_ROWS = 10_000
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20, 0)",
    "HUGEINT": "numeric(38, 0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "VARCHAR": "text",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "INTERVAL": "interval",
    "UUID": "uuid",
    "BLOB": "bytea",
}
_LOG_DDL = """
create table if not exists {table} (
    published_at timestamptz not null,
    run_id text not null,
    source_mode text not null,
    partition_start date,
    partition_end date,
    row_counts jsonb not null,
    checks jsonb not null,
    days_published jsonb,
    days_held jsonb
)
"""
#: A log created before `days_published` / `days_held` gets them (NULL in its rows).
_LOG_UPGRADE = """
alter table {table}
    add column if not exists days_published jsonb,
    add column if not exists days_held jsonb
"""


def postgres_type(duckdb_type: str) -> str | None:
    """The PostgreSQL type for a DuckDB type; None when it travels as text (lists, structs)."""
    decimal = _DECIMAL.fullmatch(duckdb_type)
    if decimal:
        return f"numeric({decimal.group(1)}, {decimal.group(2)})"
    return _TYPES.get(duckdb_type)


def _columns(source: duckdb.DuckDBPyConnection, mart: str) -> list[tuple[str, str, bool]]:
    """(name, PostgreSQL type, cast to text in DuckDB first) per column of a published mart."""
    rows = source.execute(
        "select column_name, data_type from duckdb_columns() "
        "where schema_name = 'main' and table_name = ? order by column_index",
        [mart],
    ).fetchall()
    columns = []
    for name, duckdb_type in rows:
        pg_type = postgres_type(duckdb_type)
        columns.append((name, pg_type or "text", pg_type is None))
    return columns


def _existing_columns(cur: psycopg.Cursor, schema: str, table: str) -> list[tuple[str, str]]:
    cur.execute(
        "select attname, format_type(atttypid, atttypmod) from pg_attribute "
        "where attrelid = to_regclass(format('%%I.%%I', %s::text, %s::text)) and attnum > 0 "
        "and not attisdropped order by attnum",
        (schema, table),
    )
    return [(name, pg_type) for name, pg_type in cur.fetchall()]


def _normalised(pg_type: str) -> str:
    return {
        "timestamptz": "timestamp with time zone",
        "timestamp": "timestamp without time zone",
        "time": "time without time zone",
    }.get(pg_type, pg_type.replace(", ", ","))


def _prepare_table(
    cur: psycopg.Cursor, schema: str, mart: str, columns: list[tuple[str, str, bool]]
) -> None:
    """Truncate the table when its columns are unchanged, else (re)create it."""
    table = sql.Identifier(schema, mart)
    wanted = [(name, _normalised(pg_type)) for name, pg_type, _ in columns]
    existing = _existing_columns(cur, schema, mart)
    if existing == wanted:
        cur.execute(sql.SQL("truncate table {}").format(table))
        return
    cur.execute(sql.SQL("drop table if exists {}").format(table))
    cur.execute(
        sql.SQL("create table {} ({})").format(
            table,
            sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(pg_type))
                for name, pg_type, _ in columns
            ),
        )
    )


def _rows(
    source: duckdb.DuckDBPyConnection, mart: str, columns: list[tuple[str, str, bool]]
) -> Iterable[tuple[object, ...]]:
    select = ", ".join(
        f'"{name}"::varchar' if as_text else f'"{name}"' for name, _, as_text in columns
    )
    result = source.execute(f'select {select} from main."{mart}"')
    while batch := result.fetchmany(_BATCH_ROWS):
        yield from batch


def copy_rows(
    cur: psycopg.Cursor,
    source: duckdb.DuckDBPyConnection,
    schema: str,
    mart: str,
    columns: list[tuple[str, str, bool]],
) -> None:
    """Stream a mart from the new published DuckDB into PostgreSQL with COPY."""
    statement = sql.SQL("copy {} ({}) from stdin").format(
        sql.Identifier(schema, mart),
        sql.SQL(", ").join(sql.Identifier(name) for name, _, _ in columns),
    )
    with cur.copy(statement) as copy:
        for row in _rows(source, mart, columns):
            copy.write_row(row)


def publish_to_postgres(
    dsn: str,
    schema: str,
    published_duckdb: duckdb.DuckDBPyConnection,
    marts: list[str],
    stamp: Stamp,
    row_counts: dict[str, int],
) -> None:
    """Replace the marts in `schema` and append to its publication_log, all in one transaction."""
    with psycopg.connect(dsn) as pg, pg.transaction(), pg.cursor() as cur:
        cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
        for mart in marts:
            columns = _columns(published_duckdb, mart)
            _prepare_table(cur, schema, mart, columns)
            copy_rows(cur, published_duckdb, schema, mart, columns)
        log_table = sql.Identifier(schema, LOG_TABLE)
        cur.execute(sql.SQL(_LOG_DDL).format(table=log_table))
        cur.execute(sql.SQL(_LOG_UPGRADE).format(table=log_table))
        cur.execute(
            sql.SQL("insert into {} ({}) values ({})").format(
                log_table,
                sql.SQL(", ").join(sql.Identifier(column) for column in LOG_COLUMNS),
                sql.SQL(", ").join(sql.Placeholder() for _ in LOG_COLUMNS),
            ),
            stamp.log_row(row_counts),
        )
