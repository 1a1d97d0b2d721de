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
