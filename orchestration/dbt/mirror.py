"""Mirror the `marts` of a Postgres or Spark dbt build into the DuckDB build database.

The quality gate (GE suites: `build.marts.<model>`) and the publication read the marts from
`$WAREHOUSE_DIR/build/warehouse.duckdb`, schema `marts`. On the `duckdb` target dbt writes there;
on `postgres` and `spark` the dbt asset copies the marts there after a successful build, so the
checks and the publication run unchanged on every target and audit the very copy they publish
(docs/deploy.md "Targets").

- postgres: each mart is fetched with psycopg (session time zone UTC), typed from
  `information_schema.columns`, turned into Arrow and written with `create or replace table`;
- spark: dbt's Spark session has exited (its embedded Derby metastore allows one process), so the
  Parquet folders of the Spark warehouse (`<schema>.db/<table>/`) are read by DuckDB directly.

All marts are replaced in one DuckDB transaction: a reader sees the previous or the new marts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.lib import duckdb_settings
from orchestration.lib.paths import WarehouseLayout

MIRROR_SCHEMA = "marts"


def build_database(warehouse_dir: Path) -> Path:
    return WarehouseLayout(Path(warehouse_dir)).build_database


def spark_warehouse(warehouse_dir: Path) -> Path:
    """Where the `spark` target writes its tables (profiles.yml spark.sql.warehouse.dir)."""
    return WarehouseLayout(Path(warehouse_dir)).spark_warehouse


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- Spark -------------------------------------------------------------------------------------


def spark_tables(warehouse: Path) -> Iterator[tuple[str, str, str]]:
    """(schema, table, DuckDB `read_parquet(...)` expression) of every table of a Spark warehouse.

    Views (staging, intermediate on some targets) live only in the metastore; tables are Parquet
    folders, with `col=value` sub-folders for partitioned ones (fct_store_stock_daily by
    count_date), hence `hive_partitioning = true`.
    """
    if not warehouse.exists():
        return
    for db_dir in sorted(warehouse.glob("*.db")):
        schema = db_dir.name[: -len(".db")]
        for table_dir in sorted(p for p in db_dir.iterdir() if p.is_dir()):
            if not any(table_dir.rglob("*.parquet")):
                continue
            glob = str(table_dir / "**" / "*.parquet").replace("'", "''")
            yield schema, table_dir.name, f"read_parquet('{glob}', hive_partitioning = true)"


def spark_warehouse_as_duckdb(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per table of a Spark warehouse (used by the tests)."""
    con = duckdb_settings.connect()
    con.execute("set TimeZone = 'UTC'")
    for schema, table, scan in spark_tables(warehouse):
        con.execute(f"create schema if not exists {_ident(schema)}")
        con.execute(f"create view {_ident(schema)}.{_ident(table)} as select * from {scan}")
    return con


# --- Postgres ----------------------------------------------------------------------------------

_PG_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(),
    "character varying": pa.string(),
    "character": pa.string(),
    "smallint": pa.int16(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "real": pa.float32(),
    "double precision": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp with time zone": pa.timestamp("us", tz="UTC"),
    "timestamp without time zone": pa.timestamp("us"),
    "json": pa.string(),
    "jsonb": pa.string(),
}


def arrow_type(data_type: str, precision: int | None, scale: int | None) -> pa.DataType:
    """The Arrow type of a Postgres column (information_schema.columns); unknown types as text."""
    if data_type == "numeric":
        # unconstrained numeric (no precision) has no fixed scale: a double, as on DuckDB
        return pa.decimal128(precision, scale or 0) if precision else pa.float64()
    return _PG_TYPES.get(data_type, pa.string())


def _as_arrow(values: list, type_: pa.DataType, data_type: str) -> pa.Array:
    if data_type in ("json", "jsonb"):
        values = [None if v is None else json.dumps(v) for v in values]
    elif pa.types.is_string(type_):
        values = [None if v is None else str(v) for v in values]
    elif pa.types.is_floating(type_):
        values = [None if v is None else float(v) for v in values]
    return pa.array(values, type=type_)


def postgres_marts(dsn: str, marts: Sequence[str]) -> Iterator[tuple[str, pa.Table]]:
    """(name, Arrow table) of each of `marts` present in the schema `marts` of the database."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("set timezone = 'UTC'")
        columns: dict[str, list[tuple[str, str, int | None, int | None]]] = {}
        for table, column, data_type, precision, scale in connection.execute(
            "select table_name, column_name, data_type, numeric_precision, numeric_scale "
            "from information_schema.columns where table_schema = %s and table_name = any(%s) "
            "order by table_name, ordinal_position",
            [MIRROR_SCHEMA, list(marts)],
        ):
            columns.setdefault(table, []).append((column, data_type, precision, scale))
        for mart in sorted(columns):
            spec = columns[mart]
            query = sql.SQL("select {} from {}").format(
                sql.SQL(", ").join(sql.Identifier(name) for name, *_ in spec),
                sql.Identifier(MIRROR_SCHEMA, mart),
            )
            rows = connection.execute(query).fetchall()
            arrays, fields = [], []
            for index, (name, data_type, precision, scale) in enumerate(spec):
                type_ = arrow_type(data_type, precision, scale)
                arrays.append(_as_arrow([row[index] for row in rows], type_, data_type))
                fields.append(pa.field(name, type_))
            yield mart, pa.Table.from_arrays(arrays, schema=pa.schema(fields))


# --- Mirror ------------------------------------------------------------------------------------


def mirror_marts(
    target: str, warehouse_dir: Path, marts: Sequence[str], dsn: str | None = None
) -> dict[str, int]:
    """Copy `marts` from the `target` build into `build/warehouse.duckdb` schema `marts`.

    Returns rows per mirrored mart. A mart the target does not hold (never built: a partial
    selection) is left out; the publication then reports it missing.
    """
    database = build_database(warehouse_dir)
    database.parent.mkdir(parents=True, exist_ok=True)
    wanted = set(marts)
    counts: dict[str, int] = {}
    with duckdb_settings.connect(database) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("begin")
        con.execute(f"create schema if not exists {_ident(MIRROR_SCHEMA)}")
        if target == "spark":
            for schema, table, scan in spark_tables(spark_warehouse(warehouse_dir)):
                if schema == MIRROR_SCHEMA and table in wanted:
                    con.execute(
                        f"create or replace table {_ident(MIRROR_SCHEMA)}.{_ident(table)} "
                        f"as select * from {scan}"
                    )
                    counts[table] = _count(con, table)
        elif target == "postgres":
            if dsn is None:
                raise ValueError("mirroring the postgres target needs a DSN")
            for mart, table in postgres_marts(dsn, marts):
                con.register("mirror_source", table)
                con.execute(
                    f"create or replace table {_ident(MIRROR_SCHEMA)}.{_ident(mart)} "
                    "as select * from mirror_source"
                )
                con.unregister("mirror_source")
                counts[mart] = table.num_rows
        else:
            raise ValueError(f"nothing to mirror on the {target!r} target")
        con.execute("commit")
    return counts


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"select count(*) from {_ident(MIRROR_SCHEMA)}.{_ident(table)}").fetchone()
    return int(row[0]) if row else 0
