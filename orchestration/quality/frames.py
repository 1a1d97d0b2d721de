"""DuckDB session in which suite frames are computed before pandas and GE see them.

Great Expectations validates pandas frames in memory, so a suite never points GE at a table: each
suite names small frames (SQL in the suite file) that DuckDB computes, aggregates or samples first.
The session offers, read-only:

- `landing_<source>__<dataset>` (and `rejects_<source>__<dataset>`, its quarantined records):
  the landed rows of a dataset (empty with the right schema when nothing has landed), e.g.
  `landing_shop__order_lines`. Which files a view reads depends on the run:
  - partitioned run: only the files its frames need (`volume_files`), so its cost does not grow
    with history: the files of the window's days, and the landed (not rejected) files of the
    28 landed days before the window start of each dataset. DuckDB would otherwise open the
    footer of every day's file even to filter `in_window(_partition_date)`. That is enough for
    every frame of `expectations/`: samples, reconciliations (`in_run_partitions`) and the
    catalog's latest snapshot keep to the window; a trailing median over the days of a view
    (e.g. GA4 sessions by `date`, one report per partition day) sees the 28 landed days before
    the window (when one of them landed no row, it has 27 reference days, not the 28th before);
  - unpartitioned run: every file (its reconciliations cover the whole history);
- `landing_volume(source, dataset, day, records, is_reject)`: rows per landed file, read from
  Parquet footers only (empty days count as 0). It holds what the two macros below need, so its
  cost does not grow with history: the same files as a partitioned run's views (`volume_files`),
  whatever the run. It is filled only when a frame mentions it (then for every source) or one
  of those macros (then for the sources the calls name);
- `build.marts.<model>`: the dbt build database, when it exists and a frame names `build`;
- `window_start`, `window_end` (DuckDB variables) and the macro `in_window(day)`: the run's days
  (the latest landed day when the run names no partitions);
- `in_lookback(day)`: the window's days and the 56 days before it (`LOOKBACK_DAYS`). A trailing
  median over a mart's days (`median(...) over (... rows between 28 preceding and 1 preceding)`)
  filters its rows with it rather than aggregating the whole table: same result whenever the 28
  previous days with a row fall in the lookback, and DuckDB skips the row groups outside it by
  their min/max (zone maps) when the table is stored in day order (appended day by day; a full
  build written in another order leaves it a scan of the day column only);
- `run_partitioned()`: whether the run named partitions; `in_run_partitions(day)`: the run's
  partition days, and every day when it named none. Reconciliations (landed vs modelled) use
  them, so a daily run reconciles its own days and an unpartitioned run the whole history;
- `volume_vs_trailing_median(source, dataset)`: records per day in the window against the median
  of the previous 28 landed days (`volume_ratio` is null with fewer than 7 reference days);
- `reject_rates(source)`, `reject_rates(source, ds := dataset)`: landed and rejected records per
  dataset (of the source, or the one named) over the window.

- `latest_load_<table>` (DuckDB variables, for the build tables with a `_loaded_at` column that a
  frame names, i.e. the facts): in a partitioned run the newest `_loaded_at` of the table, the
  start of the dbt run that last wrote rows into it (macros/run_loaded_at.sql); null in an
  unpartitioned run (every row). `where getvariable('latest_load_fct_orders') is null or
  _loaded_at >= getvariable('latest_load_fct_orders')` keeps
  the rows the day's dbt run (re)wrote (the older rows were checked by the runs that wrote them,
  as dbt's windowed data tests do), and as a constant DuckDB pushes it into the scan: the row
  groups of older loads are skipped by their min/max, whatever the history.

Mart frames sample with `using sample <n> rows (system, <seed>)`: DuckDB picks whole vectors
(2,048 rows) spread over the table inside the scan, far cheaper than `reservoir` (which
materialises every row first). The scan still passes over every row group, though: its cost grows
with the table, hence the facts' samples of a partitioned run are taken from the latest load only.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from orchestration.lib import duckdb_settings
from orchestration.lib.landing_schemas import REJECTS
from orchestration.lib.paths import WarehouseLayout
from orchestration.sources import LANDING_DATASETS

if TYPE_CHECKING:  # pandas only where frames are computed: the suite process
    import pandas as pd

_DAY_DIR = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$", re.MULTILINE)
_ATTACH_ATTEMPTS = 5
#: Landed days before the window that `volume_vs_trailing_median` compares with (its SQL says
#: `rows between 28 preceding and 1 preceding`).
TRAILING_DAYS = 28
#: Names whose presence in a frame's SQL needs the `landing_volume` rows.
_VOLUME_USERS = {"landing_volume", "volume_vs_trailing_median", "reject_rates"}
#: A macro call naming its source and maybe its dataset: `reject_rates('shop')`,
#: `reject_rates('shop', ds := 'orders')`, `volume_vs_trailing_median('ga4', 'sessions')`.
_VOLUME_MACRO_CALL = re.compile(
    r"\b(?:volume_vs_trailing_median|reject_rates)\(\s*'(\w+)'(?:\s*,\s*(?:ds\s*:=\s*)?'(\w+)')?"
)
#: Days before the window start that `in_lookback(day)` keeps: twice `TRAILING_DAYS`, so a
#: trailing median over a mart's days still finds its 28 reference days when up to 28 days of the
#: lookback have no row (stores count six days a week: 28 count days span about 33 days).
LOOKBACK_DAYS = 2 * TRAILING_DAYS


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

    def to_json(self) -> dict[str, Any]:
        """Plain JSON, to cross to the suite process and back (quality/isolated.py)."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "partitioned": self.partitioned,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Window:
        start, end = date.fromisoformat(data["start"]), date.fromisoformat(data["end"])
        return cls(start, end, data["partitioned"])


@dataclass(frozen=True)
class LandedFile:
    source: str
    dataset: str
    day: date
    folder: Path  # the dataset's folder (of its rejects when `is_reject`)
    is_reject: bool

    @property
    def path(self) -> Path:
        return self.folder / f"date={self.day.isoformat()}" / "data.parquet"


def _listed_files(warehouse_dir: Path) -> list[LandedFile]:
    """Every `date=` folder of the landing zone as the file it should hold, sorted by day.

    One directory listing per dataset, and nothing looked up in the folders: whether a file is
    there (a `date=` folder is created before its first file is swapped in) is checked by the
    callers, for the files they keep only.
    """
    files = []
    layout = WarehouseLayout(warehouse_dir)
    for source, datasets in LANDING_DATASETS.items():
        for dataset in datasets:
            for is_reject, folder in (
                (False, layout.landing_dataset(source, dataset)),
                (True, layout.landing_rejects(source, dataset)),
            ):
                try:
                    names = "\n".join(os.listdir(folder))
                except FileNotFoundError:
                    continue
                files += [
                    LandedFile(source, dataset, date.fromisoformat(day), folder, is_reject)
                    for day in sorted(_DAY_DIR.findall(names))
                ]
    return files


def landed_files(warehouse_dir: Path, window: Window | None = None) -> list[LandedFile]:
    """List landing files from the folder layout alone (no file is opened).

    Every file; with a partitioned `window`, only the files such a run reads (`volume_files`:
    the window's days and the `TRAILING_DAYS` landed days before it). Each dataset's folder is
    listed either way (one directory read), but only the files kept are looked up, one by one:
    a partitioned listing stays cheap with years of history, where globbing them all does not.
    """
    listed = _listed_files(warehouse_dir)
    if window is None or not window.partitioned:
        return [f for f in listed if f.path.is_file()]
    present: dict[Path, bool] = {}
    while True:
        kept = volume_files(listed, window)
        for f in kept:
            if f.path not in present:
                present[f.path] = f.path.is_file()
        missing = {f.path for f in kept if not present[f.path]}
        if not missing:
            return kept
        # A folder without its file is not a landed day: the trailing days reach further back.
        listed = [f for f in listed if f.path not in missing]


def latest_landed_window(warehouse_dir: Path) -> Window:
    """Default window when the run names no partitions: the latest landed day (else today)."""
    landed = sorted(
        (f for f in _listed_files(warehouse_dir) if not f.is_reject),
        key=lambda f: f.day,
        reverse=True,
    )
    latest = next((f.day for f in landed if f.path.is_file()), date.today())
    return Window(latest, latest, partitioned=False)


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _view_name(source: str, dataset: str, is_reject: bool) -> str:
    return f"{'rejects' if is_reject else 'landing'}_{source}__{dataset}"


def _landing_views() -> set[str]:
    return {
        _view_name(source, dataset, is_reject)
        for source, datasets in LANDING_DATASETS.items()
        for dataset in datasets
        for is_reject in (False, True)
    }


def _create_landing_views(
    con: duckdb.DuckDBPyConnection, files: list[LandedFile], needed: set[str]
) -> None:
    for source, datasets in LANDING_DATASETS.items():
        for dataset, schema in datasets.items():
            for is_reject, table_schema in ((False, schema), (True, REJECTS)):
                view = _view_name(source, dataset, is_reject)
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

create macro in_lookback(day) as
    day between getvariable('lookback_start') and getvariable('window_end');

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

create macro reject_rates(src, ds := null) as table
with counted as (
    select
        dataset,
        sum(records) filter (where not is_reject) as landed,
        sum(records) filter (where is_reject) as rejected,
    from landing_volume
    where source = src and (ds is null or dataset = ds) and in_window(day)
    group by dataset
)
select
    d.dataset,
    coalesce(c.landed, 0) as landed,
    coalesce(c.rejected, 0) as rejected,
    coalesce(c.rejected / nullif(coalesce(c.landed, 0) + c.rejected, 0), 0) as reject_rate,
from landing_datasets as d
left join counted as c using (dataset)
where d.source = src and (ds is null or d.dataset = ds)
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


def _set_latest_loads(con: duckdb.DuckDBPyConnection, needed: set[str], partitioned: bool) -> None:
    """`latest_load_<table>` for the build tables with `_loaded_at` that the frames name."""
    tables = con.execute(
        "select table_name from duckdb_columns() where database_name = 'build' "
        "and schema_name = 'marts' and column_name = '_loaded_at'"
    ).fetchall()
    for (table,) in tables:
        if table in needed:
            latest = f'(select max(_loaded_at) from build.marts."{table}")'
            con.execute(f"set variable latest_load_{table} = {latest if partitioned else 'null'}")


def sql_words(sql_texts: list[str]) -> set[str]:
    """The words of some SQL: what decides which views, tables and macros a session needs."""
    return {word for text in sql_texts for word in re.findall(r"\w+", text)}


def _reads_landing(needed: set[str]) -> bool:
    return bool(needed & (_VOLUME_USERS | _landing_views()))


def _volume_rows(files: list[LandedFile], window: Window, sql_texts: list[str]) -> list[LandedFile]:
    """The files whose row counts `landing_volume` holds for these SQL texts: none when no text
    needs it; only the sources the macros name when no text reads the table itself (the macros
    filter on the source and dataset they name, so another dataset's new day does not touch these
    checks)."""
    needed = sql_words(sql_texts)
    if not needed & _VOLUME_USERS:
        return []
    kept = volume_files(files, window)
    if "landing_volume" in needed:
        return kept
    named = {call for text in sql_texts for call in _VOLUME_MACRO_CALL.findall(text)}
    return [f for f in kept if {(f.source, f.dataset), (f.source, "")} & named]


def landing_inputs(
    warehouse_dir: Path,
    window: Window,
    sql_texts: list[str],
    files: list[LandedFile] | None = None,
) -> list[Path]:
    """The landed files a `frame_session` for these SQL texts reads (its views' files and the
    `landing_volume` footers), chosen as the session chooses them: with the SQL, the window and
    the parameters, all a landing suite's outcome depends on (orchestration/quality/reuse.py).
    `files`: `landed_files(warehouse_dir, window)` when the caller listed them for several
    suites."""
    needed = sql_words(sql_texts)
    if not _reads_landing(needed):
        return []
    if files is None:
        files = landed_files(warehouse_dir, window)
    read = [f for f in files if _view_name(f.source, f.dataset, f.is_reject) in needed]
    read += _volume_rows(files, window, sql_texts)
    return sorted({f.path for f in read})


@contextmanager
def frame_session(
    warehouse_dir: Path, window: Window, sql_texts: list[str]
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with the landing views the given SQL mentions; closed on exit."""
    needed = sql_words(sql_texts)
    files = landed_files(warehouse_dir, window) if _reads_landing(needed) else []
    # an unpartitioned run's reconciliations read the whole history: no daily budget then
    days = duckdb_settings.days_in(window.start, window.end) if window.partitioned else None
    with duckdb_settings.run_covering(days):
        con = duckdb_settings.connect()
    try:
        con.execute("set variable window_start = ?::date", [window.start])
        con.execute("set variable window_end = ?::date", [window.end])
        lookback_start = window.start - timedelta(days=LOOKBACK_DAYS)
        con.execute("set variable lookback_start = ?::date", [lookback_start])
        con.execute("set variable run_partitioned = ?::boolean", [window.partitioned])
        _create_landing_views(con, files, needed)
        _create_volume_table(con, _volume_rows(files, window, sql_texts))
        con.execute(_MACROS)
        build_db = WarehouseLayout(warehouse_dir).build_database
        # Only frames naming `build` open it: the landing checks never wait on a dbt write lock.
        if "build" in needed and build_db.exists():
            _attach_build(con, build_db)
            _set_latest_loads(con, needed, window.partitioned)
        yield con
    finally:
        con.close()


def compute_frames(
    warehouse_dir: Path, window: Window, frame_sql: Mapping[str, str]
) -> dict[str, pd.DataFrame]:
    """Run each frame's SQL and hand back pandas frames, ready for GE."""
    with frame_session(warehouse_dir, window, list(frame_sql.values())) as con:
        return {name: con.execute(sql).df() for name, sql in frame_sql.items()}
