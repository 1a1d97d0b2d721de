"""SQL shared by the steps that write the published DuckDB file.

The new file is the connection's own database (`main`); the build is attached as `build`, and on
a start from the spare the current publication as `spare_file.CURRENT`. These helpers name those
tables and copy build rows with the publication columns added.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.publication.contract import BUILD_SCHEMA, Stamp, contract_columns, ident


def quote_path(path: Path) -> str:
    """A file path as a SQL string literal (for `attach`)."""
    return "'" + str(path).replace("'", "''") + "'"


def table(name: str, database: str | None = None) -> str:
    """SQL name of a table of the new file (`database` None) or of an attached database."""
    return f"main.{ident(name)}" if database is None else f"{database}.main.{ident(name)}"


def build_table_columns(con: duckdb.DuckDBPyConnection, mart: str) -> list[tuple[str, str]]:
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


def build_columns(con: duckdb.DuckDBPyConnection, mart: str) -> list[tuple[str, str]]:
    """(name, type) of the mart's contract columns in the build (what is published of it)."""
    return contract_columns(build_table_columns(con, mart))


def published_columns(
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


def stamped_select(columns: list[tuple[str, str]], mart: str, where: str = "") -> str:
    """SQL: the build mart's `columns` plus the publication columns (parameters: `stamp_params`)."""
    kept = ", ".join(ident(name) for name, _ in columns)
    return (
        f"select {kept}, $published_at::timestamptz as _published_at, $run_id::varchar as "
        f"_run_id, $source_mode::varchar as _source_mode "
        f"from build.{BUILD_SCHEMA}.{ident(mart)} {where}"
    )


def stamp_params(stamp: Stamp) -> dict[str, object]:
    return {
        "published_at": stamp.published_at,
        "run_id": stamp.run_id,
        "source_mode": stamp.source_mode,
    }


def count(con: duckdb.DuckDBPyConnection, mart: str) -> int:
    """Rows of the mart in the new file (metadata in DuckDB: free)."""
    return con.execute(f"select count(*) from main.{ident(mart)}").fetchone()[0]
