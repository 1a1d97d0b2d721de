"""DuckDB session in which suite frames are computed before pandas and GE see them.

Great Expectations validates pandas frames in memory, so a suite never points GE at a table: each
suite names small frames (SQL in the suite file) that DuckDB computes, aggregates or samples first.
The session offers, read-only:

- `landing_<source>__<dataset>`: every landed row of a dataset (empty with the right schema when
  nothing has landed yet), e.g. `landing_shop__order_lines`;
- `landing_volume(source, dataset, day, records, is_reject)`: rows per landed file, read from
  Parquet footers only (cheap even over years of partitions, and empty days count as 0);
- `build.marts.<model>`: the dbt build database, when it exists;
- `window_start`, `window_end` (DuckDB variables) and the macro `in_window(day)`: the run's days;
- `volume_vs_trailing_median(source, dataset)`: records per day in the window against the median
  of the previous 28 landed days (`volume_ratio` is null with fewer than 7 reference days);
- `reject_rates(source)`: landed and rejected records per dataset over the window.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.lib.landing_schemas import LANDING_DATASETS, REJECTS, REJECTS_DATASET

_DAY_DIR = re.compile(r"date=(\d{4}-\d{2}-\d{2})$")
_ATTACH_ATTEMPTS = 5


@dataclass(frozen=True)
class Window:
    """The business days a run checks (inclusive)."""

    start: date
    end: date

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


@dataclass(frozen=True)
class LandedFile:
    source: str
    dataset: str
    day: date
    path: Path
    is_reject: bool


def landed_files(warehouse_dir: Path) -> list[LandedFile]:
    """List landing files from the folder layout alone (no file is opened)."""
    files = []
    for source, datasets in LANDING_DATASETS.items():
        for dataset in datasets:
            for is_reject, folder in (
                (False, warehouse_dir / "landing" / source / dataset),
                (True, warehouse_dir / "landing" / source / REJECTS_DATASET / dataset),
            ):
                for path in sorted(folder.glob("date=*/data.parquet")):
                    match = _DAY_DIR.search(path.parent.name)
                    if match:
                        day = date.fromisoformat(match.group(1))
                        files.append(LandedFile(source, dataset, day, path, is_reject))
    return files


def latest_landed_window(warehouse_dir: Path) -> Window:
    """Default window when the run names no partitions: the latest landed day (else today)."""
    days = [f.day for f in landed_files(warehouse_dir) if not f.is_reject]
    latest = max(days) if days else date.today()
    return Window(latest, latest)


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _create_landing_views(
    con: duckdb.DuckDBPyConnection, files: list[LandedFile], needed: set[str]
) -> None:
    for source, datasets in LANDING_DATASETS.items():
        for dataset, schema in datasets.items():
            for is_reject, prefix, table_schema in (
                (False, "landing", schema),
                (True, "rejects", REJECTS),
            ):
                view = f"{prefix}_{source}__{dataset}"
                if view not in needed:
                    continue
                paths = [
                    f.path
                    for f in files
                    if (f.source, f.dataset, f.is_reject) == (source, dataset, is_reject)
                ]
                if paths:
                    listing = ", ".join(_quote(p) for p in paths)
                    con.execute(
                        f"create view {view} as select * from read_parquet([{listing}], "
                        "union_by_name = true, hive_partitioning = false)"
                    )
                else:
                    con.from_arrow(table_schema.empty_table()).create_view(view)


def _create_volume_table(con: duckdb.DuckDBPyConnection, files: list[LandedFile]) -> None:
    con.execute(
        "create table landing_volume "
        "(source varchar, dataset varchar, day date, records bigint, is_reject boolean)"
    )
    con.execute("create table landing_datasets (source varchar, dataset varchar)")
    con.executemany(
        "insert into landing_datasets values (?, ?)",
        [(s, d) for s, datasets in LANDING_DATASETS.items() for d in datasets],
    )
    if not files:
        return
    rows = con.execute(
        "select file_name, num_rows from parquet_file_metadata($paths)",
        {"paths": [str(f.path) for f in files]},
    ).fetchall()
    records = dict(rows)
    con.executemany(
        "insert into landing_volume values (?, ?, ?, ?, ?)",
        [(f.source, f.dataset, f.day, records[str(f.path)], f.is_reject) for f in files],
    )


_MACROS = """
create macro in_window(day) as
    day between getvariable('window_start') and getvariable('window_end');

create macro volume_vs_trailing_median(src, ds) as table
with daily as (
    select day, sum(records) as records
    from landing_volume
    where source = src and dataset = ds and not is_reject
    group by day
),
referenced as (
    select
        day,
        records,
        median(records) over previous_days as trailing_median,
        count(records) over previous_days as reference_days,
    from daily
    window previous_days as (order by day rows between 28 preceding and 1 preceding)
)
select
    day,
    records,
    trailing_median,
    reference_days,
    case when reference_days >= 7 and trailing_median > 0
        then records / trailing_median end as volume_ratio,
from referenced
where in_window(day)
order by day;

create macro reject_rates(src) as table
with counted as (
    select
        dataset,
        sum(records) filter (where not is_reject) as landed,
        sum(records) filter (where is_reject) as rejected,
    from landing_volume
    where source = src and in_window(day)
    group by dataset
)
select
    d.dataset,
    coalesce(c.landed, 0) as landed,
    coalesce(c.rejected, 0) as rejected,
    coalesce(c.rejected / nullif(coalesce(c.landed, 0) + c.rejected, 0), 0) as reject_rate,
from landing_datasets as d
left join counted as c using (dataset)
where d.source = src
order by d.dataset;
"""


def _attach_build(con: duckdb.DuckDBPyConnection, build_db: Path) -> None:
    """Attach the build database read-only, retrying while a dbt process holds its write lock."""
    for attempt in range(_ATTACH_ATTEMPTS):
        try:
            con.execute(f"attach {_quote(build_db)} as build (read_only)")
            return
        except duckdb.IOException:
            if attempt == _ATTACH_ATTEMPTS - 1:
                raise
            time.sleep(2**attempt)


@contextmanager
def frame_session(
    warehouse_dir: Path, window: Window, sql_texts: list[str]
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with the landing views the given SQL mentions; closed on exit."""
    files = landed_files(warehouse_dir)
    needed = {word for text in sql_texts for word in re.findall(r"\w+", text)}
    con = duckdb.connect()
    try:
        con.execute("set variable window_start = ?::date", [window.start])
        con.execute("set variable window_end = ?::date", [window.end])
        _create_landing_views(con, files, needed)
        _create_volume_table(con, files)
        con.execute(_MACROS)
        build_db = warehouse_dir / "build" / "warehouse.duckdb"
        if build_db.exists():
            _attach_build(con, build_db)
        yield con
    finally:
        con.close()


def compute_frames(
    warehouse_dir: Path, window: Window, frame_sql: Mapping[str, str]
) -> dict[str, pd.DataFrame]:
    """Run each frame's SQL and hand back pandas frames, ready for GE."""
    with frame_session(warehouse_dir, window, list(frame_sql.values())) as con:
        return {name: con.execute(sql).df() for name, sql in frame_sql.items()}
