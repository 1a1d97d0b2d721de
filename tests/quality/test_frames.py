"""Frames cost the same whatever the history: volumes from a bounded set of files, and
reconciliations over the run's partitions (the whole history for an unpartitioned run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.quality.checks import build_quality_checks, run_window
from orchestration.quality.frames import (
    _MACROS,
    TRAILING_DAYS,
    Window,
    _create_volume_table,
    compute_frames,
    landed_files,
    volume_files,
)
from orchestration.quality.suites import DEFAULT_SUITES_DIR
from tests.quality.landing_data import DAILY, LAST_DAY, UNPARTITIONED, write_shop_orders_history

OLD_DAY = LAST_DAY - timedelta(days=10)


def _volume_frames(files, window: Window) -> list:
    con = duckdb.connect()
    con.execute("set variable window_start = ?::date", [window.start])
    con.execute("set variable window_end = ?::date", [window.end])
    con.execute("set variable run_partitioned = ?::boolean", [window.partitioned])
    _create_volume_table(con, files)
    con.execute(_MACROS)
    return [
        con.execute("select * from volume_vs_trailing_median('shop', 'orders')").fetchall(),
        con.execute("select * from reject_rates('shop')").fetchall(),
    ]


@pytest.mark.parametrize(
    "window", [DAILY, Window(LAST_DAY - timedelta(days=3), LAST_DAY - timedelta(days=1))]
)
def test_volumes_read_the_window_and_28_days_before_it_only(tmp_path: Path, window: Window) -> None:
    days = write_shop_orders_history(
        tmp_path,
        low_volume_day=LAST_DAY - timedelta(days=2),
        rejected_orders={day: 1 for day in (date(2025, 3, 2), LAST_DAY)},
    )
    files = landed_files(tmp_path)
    kept = volume_files(files, window)
    orders_days = {f.day for f in kept if f.dataset == "orders" and not f.is_reject}
    before = [d for d in days if d < window.start]
    in_window = {d for d in days if window.start <= d <= window.end}
    assert orders_days == in_window | set(before[-TRAILING_DAYS:])
    if window == DAILY:  # 29 days before the window: the oldest is not needed
        assert days[0] not in orders_days
    assert {(f.day, f.dataset) for f in kept if f.is_reject} <= {(LAST_DAY, "orders")}
    # ... and give the very same answers as all files
    assert _volume_frames(kept, window) == _volume_frames(files, window)


def _build_order_marts(warehouse: Path, drop_line_of: date | None = None, twice: bool = False):
    """fct_orders / fct_order_lines as dbt would build them from the landing files."""
    build_db = warehouse / "build" / "warehouse.duckdb"
    build_db.parent.mkdir(parents=True, exist_ok=True)
    landing = warehouse / "landing" / "shop"
    with duckdb.connect(str(build_db)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_orders as select distinct order_id "
            f"from read_parquet('{landing}/orders/*/data.parquet') where not is_test"
        )
        con.execute(
            "create table marts.fct_order_lines as select distinct line_id, order_id, "
            f"_partition_date as day from read_parquet('{landing}/order_lines/*/data.parquet')"
        )
        if drop_line_of:
            con.execute(
                "delete from marts.fct_order_lines where line_id = "
                "(select min(line_id) from marts.fct_order_lines where day = ?)",
                [drop_line_of],
            )
            con.execute(
                "delete from marts.fct_orders where order_id = "
                "(select min(order_id) from marts.fct_order_lines where day = ?)",
                [drop_line_of],
            )
        if twice:
            con.execute(
                "insert into marts.fct_order_lines select * from marts.fct_order_lines "
                "where day = ? limit 1",
                [LAST_DAY],
            )


def _consistency(warehouse: Path, suite: str, window: Window) -> tuple[int, int]:
    path = DEFAULT_SUITES_DIR / "marts" / f"{suite}.json"
    sql = json.loads(path.read_text())["meta"]["frames"]["landing_consistency"]["sql"]
    frame = compute_frames(warehouse, window, {"landing_consistency": sql})
    return tuple(int(v) for v in frame["landing_consistency"].iloc[0])


@pytest.mark.parametrize("suite", ["fct_orders", "fct_order_lines"])
def test_a_daily_run_reconciles_its_own_days(tmp_path: Path, suite: str) -> None:
    write_shop_orders_history(tmp_path)
    _build_order_marts(tmp_path)
    assert _consistency(tmp_path, suite, DAILY) == (40, 40)
    assert _consistency(tmp_path, suite, UNPARTITIONED) == (1200, 1200)


@pytest.mark.parametrize("suite", ["fct_orders", "fct_order_lines"])
def test_a_line_lost_in_the_window_fails_the_daily_run(tmp_path: Path, suite: str) -> None:
    write_shop_orders_history(tmp_path)
    _build_order_marts(tmp_path, drop_line_of=LAST_DAY)
    assert _consistency(tmp_path, suite, DAILY) == (40, 39)


@pytest.mark.parametrize("suite", ["fct_orders", "fct_order_lines"])
def test_a_line_lost_before_the_window_fails_an_unpartitioned_run_only(
    tmp_path: Path, suite: str
) -> None:
    write_shop_orders_history(tmp_path)
    _build_order_marts(tmp_path, drop_line_of=OLD_DAY)
    assert _consistency(tmp_path, suite, DAILY) == (40, 40)
    assert _consistency(tmp_path, suite, UNPARTITIONED) == (1200, 1199)


def test_a_line_modelled_twice_fails_the_daily_run(tmp_path: Path) -> None:
    write_shop_orders_history(tmp_path)
    _build_order_marts(tmp_path, twice=True)
    assert _consistency(tmp_path, "fct_order_lines", DAILY) == (40, 41)


def test_a_run_without_partitions_is_unpartitioned(tmp_path: Path) -> None:
    write_shop_orders_history(tmp_path)
    assert run_window({}, tmp_path) == UNPARTITIONED
    assert run_window({"dagster/partition": "2025-03-30"}, tmp_path) == Window(
        date(2025, 3, 30), date(2025, 3, 30)
    )


def _one_suite(tmp_path: Path, name: str, expectation_type: str) -> Path:
    """A suites folder with one marts suite on the asset `name`: one frame, one expectation."""
    suites = tmp_path / "suites" / "marts"
    suites.mkdir(parents=True)
    (suites / f"{name}.json").write_text(
        json.dumps(
            {
                "name": name,
                "meta": {"asset_key": name, "frames": {"rows": {"sql": "select 1 as a"}}},
                "expectations": [
                    {
                        "type": expectation_type,
                        "kwargs": {"column": "a"},
                        "meta": {"frame": "rows", "blocking": True},
                    }
                ],
            }
        )
    )
    return tmp_path / "suites"


def test_great_expectations_runs_outside_the_run_process(tmp_path: Path) -> None:
    """GE (with pyspark) costs seconds and ~130 MB: the definitions never import it, and a check
    step runs its suites in a child process, so the Dagster run process never does either."""
    suites = _one_suite(tmp_path, "fine", "expect_column_values_to_not_be_null")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "import dagster as dg\n"
        "from orchestration.quality import build_quality_checks\n"
        "checks = build_quality_checks()\n"
        "assert [c.node_def.name for c in checks] == ['ge_landing', 'ge_marts']\n"
        "assert sum(len(list(c.check_specs)) for c in checks) == 27\n"
        "fine = dg.asset(name='fine')(lambda: None)\n"
        f"result = dg.materialize([fine, *build_quality_checks(Path({str(suites)!r}))])\n"
        "[evaluation] = result.get_asset_check_evaluations()\n"
        "print(evaluation.passed, evaluation.description)\n"
        "print(sorted(m for m in ('great_expectations', 'pyspark') if m in sys.modules))\n"
    )
    env = {**os.environ, "WAREHOUSE_DIR": str(tmp_path / "warehouse")}
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    passed, imported = out.stdout.strip().splitlines()
    assert passed.startswith("True fine: all 1 expectations passed"), passed
    assert imported == "[]"


def test_a_suite_ge_would_weaken_fails_its_check_when_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loaded without GE, the typo still fails the gate (severity ERROR) when the check runs."""
    suites = _one_suite(tmp_path, "broken", "expect_column_values_to_not_be_nul")
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "warehouse"))

    @dg.asset(name="broken")
    def broken() -> None:
        return None

    checks = build_quality_checks(suites)
    result = dg.materialize([broken, *checks], raise_on_error=False)
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "expect_column_values_to_not_be_nul" in evaluation.description


def test_landing_frames_never_open_the_build_database(tmp_path: Path) -> None:
    """Another run's dbt holds the build database's write lock: the landing checks, which name no
    `build.` table, still compute their frames (they used to attach it and fail on the lock)."""
    write_shop_orders_history(tmp_path)
    build_db = tmp_path / "build" / "warehouse.duckdb"
    build_db.parent.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('locked', flush=True); "
            "sys.stdin.read()",
            str(build_db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"  # a writer in another process
        sql = "select count(*) as orders from landing_shop__orders where in_window(_partition_date)"
        frame = compute_frames(tmp_path, DAILY, {"orders": sql})["orders"]
        assert frame["orders"].tolist() == [40]
    finally:
        holder.communicate("")
