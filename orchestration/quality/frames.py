"""DuckDB session in which suite frames are computed before pandas and GE see them.

Great Expectations validates pandas frames in memory, so a suite never points GE at a table: each
suite names small frames (SQL in the suite file) that DuckDB computes, aggregates or samples first.
The session offers, read-only:

- `landing_<source>__<dataset>`: every landed row of a dataset (empty with the right schema when
  nothing has landed yet), e.g. `landing_shop__order_lines`;
- `landing_volume(source, dataset, day, records, is_reject)`: rows per landed file, read from
  Parquet footers only (empty days count as 0). It holds what the two macros below need, so its
  cost does not grow with history: the files of the window's days, and the landed (not rejected)
  files of the 28 landed days before the window of each dataset. It is filled only when a frame
  mentions it or one of those macros;
- `build.marts.<model>`: the dbt build database, when it exists;
- `window_start`, `window_end` (DuckDB variables) and the macro `in_window(day)`: the run's days
  (the latest landed day when the run names no partitions);
- `run_partitioned()`: whether the run named partitions; `in_run_partitions(day)`: the run's
  partition days, and every day when it named none. Reconciliations (landed vs modelled) use
  them, so a daily run reconciles its own days and an unpartitioned run the whole history;
- `volume_vs_trailing_median(source, dataset)`: records per day in the window against the median
  of the previous 28 landed days (`volume_ratio` is null with fewer than 7 reference days);
- `reject_rates(source)`: landed and rejected records per dataset over the window.

Mart frames sample with `using sample <n> rows (system, <seed>)`: DuckDB picks whole vectors
(2,048 rows) spread over the table inside the scan, so the cost is that of the sample, not of
the table (`reservoir` scans and materialises every row first).
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

from orchestration.lib import duckdb_settings
from orchestration.lib.landing_schemas import LANDING_DATASETS, REJECTS, REJECTS_DATASET

_DAY_DIR = re.compile(r"date=(\d{4}-\d{2}-\d{2})$")
_ATTACH_ATTEMPTS = 5
#: Landed days before the window that `volume_vs_trailing_median` compares with (its SQL says
#: `rows between 28 preceding and 1 preceding`).
TRAILING_DAYS = 28
#: Names whose presence in a frame's SQL needs the `landing_volume` rows.
_VOLUME_USERS = {"landing_volume", "volume_vs_trailing_median", "reject_rates"}


@dataclass(frozen=True)
class Window:
    """The business days a run checks (inclusive).

    `partitioned` is False when the run named no partitions (the window is then the latest
    landed day): reconciliations cover the whole history in that case.
    """

    start: date
    end: date
    partitioned: bool = True

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
    return Window(latest, latest, partitioned=False)


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


def volume_files(files: list[LandedFile], window: Window) -> list[LandedFile]:
    """The files `landing_volume` needs: every file of the window's days, and the landed files
    of the `TRAILING_DAYS` landed days before the window start, per dataset (the trailing median
    of the window's first day looks back that far; of its later days, less far)."""
    before: dict[tuple[str, str], set[date]] = {}
    for f in files:
        if not f.is_reject and f.day < window.start:
            before.setdefault((f.source, f.dataset), set()).add(f.day)
    trailing = {key: set(sorted(days)[-TRAILING_DAYS:]) for key, days in before.items()}
    return [
        f
        for f in files
        if window.start <= f.day <= window.end
        or (not f.is_reject and f.day in trailing.get((f.source, f.dataset), ()))
    ]


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

create macro run_partitioned() as getvariable('run_partitioned');

create macro in_run_partitions(day) as not run_partitioned() or in_window(day);

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
    con = duckdb_settings.connect()
    try:
        con.execute("set variable window_start = ?::date", [window.start])
        con.execute("set variable window_end = ?::date", [window.end])
        con.execute("set variable run_partitioned = ?::boolean", [window.partitioned])
        _create_landing_views(con, files, needed)
        _create_volume_table(con, volume_files(files, window) if needed & _VOLUME_USERS else [])
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
