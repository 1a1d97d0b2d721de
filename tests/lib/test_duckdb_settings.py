"""In-process DuckDB connections get a bounded memory limit, threads and a spill folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.lib import duckdb_settings
from tests.dbt_runner import run_dbt


def _setting(con, name: str) -> str:
    return con.execute("select current_setting(?)", [name]).fetchone()[0]


def test_defaults_bound_memory_and_threads(tmp_path: Path) -> None:
    config = duckdb_settings.settings(env={"WAREHOUSE_DIR": str(tmp_path)})
    assert config == {
        "memory_limit": "1GB",
        "threads": 2,
        "temp_directory": str(tmp_path / "build" / "tmp"),
    }


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (1, ("512MB", "256MB", 1)),  # the schedule's daily run
        (3, ("512MB", "256MB", 1)),  # a daily run catching up a long weekend
        (4, ("1GB", "2GB", 2)),  # a backfill
        (730, ("1GB", "2GB", 2)),
        (None, ("1GB", "2GB", 2)),  # unpartitioned: may read the whole history
    ],
)
def test_the_default_budget_follows_the_days_a_run_covers(
    days: int | None, expected: tuple[str, str, int]
) -> None:
    budget = duckdb_settings.run_budget(days, env={})
    assert (budget.memory_limit, budget.dbt_memory_limit, budget.dbt_threads) == expected


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DUCKDB_MEMORY_LIMIT": "2GB"}, ("2GB", "2GB", 1)),  # dbt follows it, as its profile
        ({"DBT_DUCKDB_MEMORY_LIMIT": "600MB"}, ("512MB", "600MB", 1)),
        ({"DBT_THREADS": "4"}, ("512MB", "256MB", 4)),
    ],
)
def test_explicit_variables_win_over_the_daily_budget(
    env: dict[str, str], expected: tuple[str, str, int]
) -> None:
    budget = duckdb_settings.run_budget(1, env=env)
    assert (budget.memory_limit, budget.dbt_memory_limit, budget.dbt_threads) == expected
    assert budget.dbt_env() == {
        "DBT_DUCKDB_MEMORY_LIMIT": expected[1],
        "DBT_THREADS": str(expected[2]),
    }


def test_connections_inside_a_daily_run_get_the_daily_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path))
    monkeypatch.delenv("DUCKDB_MEMORY_LIMIT", raising=False)
    with duckdb_settings.run_covering(1), duckdb_settings.connect() as con:
        assert _setting(con, "memory_limit") == "488.2 MiB"
    with duckdb_settings.run_covering(30), duckdb_settings.connect() as con:
        assert _setting(con, "memory_limit") == "953.6 MiB"
    with duckdb_settings.connect() as con:  # outside any run: the larger budget, as before
        assert _setting(con, "memory_limit") == "953.6 MiB"


def test_a_bad_dbt_thread_count_is_refused() -> None:
    with pytest.raises(ValueError, match="DBT_THREADS"):
        duckdb_settings.run_budget(1, env={"DBT_THREADS": "0"})


def test_environment_overrides_and_unordered_opt_in(tmp_path: Path) -> None:
    env = {"WAREHOUSE_DIR": str(tmp_path), "DUCKDB_MEMORY_LIMIT": "300MB", "DUCKDB_THREADS": "1"}
    config = duckdb_settings.settings(ordered=False, env=env)
    assert config["memory_limit"] == "300MB"
    assert config["threads"] == 1
    assert config["preserve_insertion_order"] is False


def test_a_bad_thread_count_is_refused() -> None:
    with pytest.raises(ValueError, match="DUCKDB_THREADS"):
        duckdb_settings.settings(env={"DUCKDB_THREADS": "two"})


def test_connect_applies_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    monkeypatch.setenv("DUCKDB_MEMORY_LIMIT", "256MB")
    monkeypatch.delenv("DUCKDB_THREADS", raising=False)
    with duckdb_settings.connect() as con:
        assert _setting(con, "memory_limit") == "244.1 MiB"
        assert _setting(con, "threads") == 2
        assert _setting(con, "preserve_insertion_order") is True
        assert _setting(con, "temp_directory") == str(tmp_path / "warehouse" / "build" / "tmp")
    # DuckDB creates the spill folder itself but not its parents: a fresh warehouse has them.
    assert (tmp_path / "warehouse" / "build" / "tmp").is_dir()

    database = tmp_path / "file.duckdb"
    with duckdb_settings.connect(database, ordered=False) as con:
        con.execute("create table t as select 1 as a")
        assert _setting(con, "preserve_insertion_order") is False
    with duckdb_settings.connect(database, read_only=True) as con:
        assert con.execute("select a from t").fetchone() == (1,)


def test_a_query_over_the_limit_spills_instead_of_growing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path))
    monkeypatch.setenv("DUCKDB_MEMORY_LIMIT", "64MB")
    with duckdb_settings.connect() as con:
        con.execute("create table t as select i, md5(i::varchar) as s from range(2000000) t(i)")
        distinct = con.execute("select count(*) from (select distinct s from t)").fetchone()[0]
    assert distinct == 2_000_000


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DUCKDB_MEMORY_LIMIT": "256MB"}, "244.1 MiB"),  # one budget for every session
        ({"DUCKDB_MEMORY_LIMIT": "1GB", "DBT_DUCKDB_MEMORY_LIMIT": "300MB"}, "286.1 MiB"),
    ],
)
def test_dbt_profile_takes_its_own_budget_else_the_shared_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    """Real dbt on the real profile: what DuckDB reports inside dbt's session."""
    monkeypatch.delenv("DBT_DUCKDB_MEMORY_LIMIT", raising=False)
    (tmp_path / "build").mkdir()
    shown = run_dbt(
        ["show", "--inline", "select current_setting('memory_limit') as m", "--output", "json"],
        tmp_path,
        env=env,
    )
    assert f'"m": "{expected}"' in shown.stdout
