"""A stand-in build database for the publication tests (the dbt models are built elsewhere), and
what the tests read back or run against it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from orchestration.publication import Stamp, publish, publish_marts

REPO_ROOT = Path(__file__).resolve().parents[2]

MARTS = ["mart_kpi_daily", "dim_stores"]
# A partitioned fact (orchestration.publication.contract.PARTITIONED_MARTS), by order_date.
FACT = "fct_orders"
MONTHS = ("2025-01", "2025-02", "2025-03")
ALL = [*MARTS, FACT]
#: `_loaded_at` values of successive dbt runs (write_build_fact, dbt_reinsert).
T0 = "2025-04-01 06:00:00"
T1 = "2025-04-02 06:00:00"
T2 = "2025-04-03 06:00:00"
T3 = "2025-04-04 06:00:00"


def write_build_marts(warehouse: Path, version: int) -> None:
    """Two small marts whose values say which build they come from (`version`)."""
    build_db = warehouse / "build" / "warehouse.duckdb"
    build_db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(build_db)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.mart_kpi_daily as select "
            "(date '2025-03-01' + i::integer)::date as date, (100 + i) * ? as orders, "
            "(1234.5 * ?)::decimal(18, 4) as net_revenue, 0.032 as conversion_rate, "
            "['a', 'b'] as tags from range(10) as t(i)",
            [version, version],
        )
        con.execute(
            "create or replace table marts.dim_stores as select i as store_id, "
            "'Store ' || i as store_name, '3012345' || lpad(i::varchar, 6, '0') as gln, "
            "now() as loaded_at from range(1, 1 + 3 * ?) as t(i)",
            [version],
        )


def write_build_fact(
    warehouse: Path,
    months: tuple[str, ...] = MONTHS,
    changed_month: str | None = None,
    extra_column: bool = False,
    loaded_at: str | None = None,
) -> None:
    """`fct_orders` with 30 orders per month of `months`; `changed_month` has other revenues.

    `loaded_at`: the build-only `_loaded_at` of every row (a dbt run's start), as dbt writes it
    (a TIMESTAMP, last column); None: a build from before that column.
    """
    build_db = warehouse / "build" / "warehouse.duckdb"
    build_db.parent.mkdir(parents=True, exist_ok=True)
    selects = [
        f"select '{month}-' || i as order_id, date '{month}-01' + (i % 28)::integer as order_date, "
        f"(i * 10 + {1 if month == changed_month else 0})::decimal(18, 4) as net_revenue, "
        f"['web', 'shop'][1 + i % 2] as channel"
        + (", true as is_first_order" if extra_column else "")
        + (f", timestamp '{loaded_at}' as _loaded_at" if loaded_at else "")
        + " from range(30) as t(i)"
        for month in months
    ]
    with duckdb.connect(str(build_db)) as con:
        con.execute("create schema if not exists marts")
        con.execute(f"create or replace table marts.{FACT} as " + " union all ".join(selects))


def dbt_reinsert(
    warehouse: Path, where: str, loaded_at: str, new_values: str = "", delete_only: bool = False
) -> None:
    """What a dbt run does to `fct_orders`: delete the rows `where` says and insert them again,
    stamped `loaded_at` (`new_values`: a `replace (...)` list of changed columns), or only delete
    them."""
    build_db = warehouse / "build" / "warehouse.duckdb"
    with duckdb.connect(str(build_db)) as con:
        replace = f"replace ({new_values + ', ' if new_values else ''}"
        replace += f"timestamp '{loaded_at}' as _loaded_at)"
        con.execute(
            f"create temp table reinserted as select * {replace} from marts.{FACT} where {where}"
        )
        con.execute(f"delete from marts.{FACT} where {where}")
        if not delete_only:
            con.execute(f"insert into marts.{FACT} select * from reinserted")


def read_published(path: Path) -> dict[str, object]:
    """What a BI user would see: rows per mart, the run id, and the publication log."""
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            "orders": con.execute("select sum(orders) from mart_kpi_daily").fetchone()[0],
            "stores": con.execute("select count(*) from dim_stores").fetchone()[0],
            "run_ids": {
                r[0] for r in con.execute("select distinct _run_id from mart_kpi_daily").fetchall()
            },
            "log": con.execute(
                "select run_id from publication_log order by published_at"
            ).fetchall(),
        }


def stamp(run_id: str, source_mode: str = "demo") -> Stamp:
    """A publication stamp as the asset would make it."""
    return Stamp(
        published_at=datetime.now(UTC),
        run_id=run_id,
        source_mode=source_mode,
        partition_start=date(2025, 3, 1),
        partition_end=date(2025, 3, 10),
        checks={"mart_kpi_daily:ge_mart_kpi_daily": "passed"},
    )


def run_ids_per_month(warehouse: Path) -> dict[str, set[str]]:
    """month (YYYY-MM, 'none' for a null order_date) -> the `_run_id`s of the published FACT's
    rows in it: which publication wrote each month."""
    published = warehouse / "published" / "marts.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute(
            f"select coalesce(strftime(order_date, '%Y-%m'), 'none'), _run_id from {FACT} "
            "group by all"
        ).fetchall()
    runs: dict[str, set[str]] = {}
    for month, run_id in rows:
        runs.setdefault(month, set()).add(run_id)
    return runs


#: How long the paused publisher waits for the test to kill it.
_PAUSE_SECONDS = 120


def publish_paused_before_replace(warehouse: Path, run_id: str, signal_file: Path) -> None:
    """In the publisher's process: `publish_marts` of MARTS and FACT, which creates `signal_file`
    and waits once everything is written and nothing replaced yet.

    Monkeypatched, because no real part can stop a publication at exactly that point for a kill
    to land there; the patch is made in this child process only, so the production code carries
    no hook for it."""
    replace = publish.replace_keeping_spare

    def pause_then_replace(new_file: Path, target: Path, spare: Path) -> None:
        signal_file.write_text(str(os.getpid()))
        time.sleep(_PAUSE_SECONDS)
        replace(new_file, target, spare)

    publish.replace_keeping_spare = pause_then_replace
    publish_marts(warehouse, [*MARTS, FACT], stamp(run_id))


def start_paused_publisher(warehouse: Path, run_id: str, signal_file: Path) -> subprocess.Popen:
    """`publish_paused_before_replace` in another process, returned once it waits at its pause
    point, for the test to kill it there."""
    publisher = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from pathlib import Path; "
            "from tests.publication.build_data import publish_paused_before_replace; "
            f"publish_paused_before_replace(Path({str(warehouse)!r}), {run_id!r}, "
            f"Path({str(signal_file)!r}))",
        ],
        cwd=REPO_ROOT,
    )
    deadline = time.monotonic() + 60
    while not signal_file.exists():
        assert publisher.poll() is None, "the publisher ended before its pause point"
        assert time.monotonic() < deadline, "the publisher never reached its pause point"
        time.sleep(0.05)
    return publisher


def hold_read_only(path: Path) -> subprocess.Popen:
    """Another process (a BI session) that opens `path` read-only, prints the orders of
    mart_kpi_daily, holds the file until a line comes on its stdin, then prints them again."""
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, duckdb
                con = duckdb.connect({str(path)!r}, read_only=True)
                query = "select sum(orders) from mart_kpi_daily"
                print(con.execute(query).fetchone()[0], flush=True)
                sys.stdin.readline()
                print(con.execute(query).fetchone()[0], flush=True)
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    return reader
