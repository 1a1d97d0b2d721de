"""How a run's window reaches dbt without a re-parse: the environment variables
DBT_PARTITION_START / DBT_PARTITION_END (read by the dbt project only when executing), and dbt's
partial-parse cache kept across the per-run target folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestration.dbt.assets import (
    PARTIAL_PARSE_FILE,
    environ,
    partial_parse_cache,
    restore_partial_parse,
    save_partial_parse,
)
from tests.dbt_runner import run_dbt


def test_environ_sets_then_restores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_PARTITION_START", "from-the-shell")
    monkeypatch.delenv("DBT_PARTITION_END", raising=False)
    with environ({"DBT_PARTITION_START": "2026-11-01", "DBT_PARTITION_END": "2026-11-02"}):
        assert os.environ["DBT_PARTITION_START"] == "2026-11-01"
        assert os.environ["DBT_PARTITION_END"] == "2026-11-02"
    assert os.environ["DBT_PARTITION_START"] == "from-the-shell"
    assert "DBT_PARTITION_END" not in os.environ


def test_partial_parse_cache_is_per_warehouse_target_and_project(
    _isolated_warehouse: Path, tmp_path: Path
) -> None:
    duckdb_cache = partial_parse_cache("duckdb")
    assert duckdb_cache.is_relative_to(_isolated_warehouse / "build")
    assert duckdb_cache.name == PARTIAL_PARSE_FILE
    assert partial_parse_cache("postgres") != duckdb_cache
    assert partial_parse_cache("duckdb", tmp_path / "another_copy") != duckdb_cache


def test_partial_parse_cache_round_trip(_isolated_warehouse: Path, tmp_path: Path) -> None:
    cache = partial_parse_cache("duckdb")
    first_run, second_run = tmp_path / "run1", tmp_path / "run2"
    assert not restore_partial_parse(cache, first_run)  # nothing kept yet
    save_partial_parse(first_run, cache)  # dbt wrote nothing (failed before parsing): no-op
    assert not cache.exists()

    first_run.mkdir()
    (first_run / PARTIAL_PARSE_FILE).write_bytes(b"parsed by run 1")
    save_partial_parse(first_run, cache)
    assert restore_partial_parse(cache, second_run)
    assert (second_run / PARTIAL_PARSE_FILE).read_bytes() == b"parsed by run 1"


def _compiled_kpi_measures(warehouse: Path) -> str:
    compiled = warehouse / "dbt_target" / "compiled" / "retail_pipeline" / "models"
    return (compiled / "intermediate" / "reporting" / "int_kpi_measures_daily.sql").read_text()


def _parse_log(warehouse: Path) -> str:
    log = warehouse / "dbt_logs" / "dbt.log"
    text = log.read_text()
    log.unlink()  # the next command's log only
    return text


@pytest.mark.slow
def test_a_new_window_in_the_environment_reparses_nothing(_isolated_warehouse: Path) -> None:
    warehouse = _isolated_warehouse
    (warehouse / "build").mkdir()  # where the profile puts the DuckDB file
    compile_kpi = ["compile", "--select", "int_kpi_measures_daily"]
    run_dbt(["parse"], warehouse)
    _parse_log(warehouse)

    for day in ("2026-01-03", "2026-01-04"):
        run_dbt(compile_kpi, warehouse, env={"DBT_PARTITION_END": day})
        log = _parse_log(warehouse)
        assert "Unable to do partial parsing" not in log
        assert "Partial parsing enabled: 0 files deleted, 0 files added, 0 files changed" in log
        assert f"cast('{day}' as date)" in _compiled_kpi_measures(warehouse)

    # By hand, `--vars` still works and wins over the environment (at the cost of a re-parse).
    run_dbt(
        compile_kpi,
        warehouse,
        dbt_vars={"partition_end": "2026-01-05"},
        env={"DBT_PARTITION_END": "2026-01-04"},
    )
    compiled = _compiled_kpi_measures(warehouse)
    assert "cast('2026-01-05' as date)" in compiled
    assert "2026-01-04" not in compiled
