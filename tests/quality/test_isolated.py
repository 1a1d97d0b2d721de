"""The suite process: what comes back equals what the suite computed in process, and a child
that dies says which suites it was running and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.quality import load_suite
from orchestration.quality.frames import Window
from orchestration.quality.isolated import SuiteProcessError, run_suites_isolated
from orchestration.quality.runner import run_suite
from orchestration.quality.suites import DEFAULT_SUITES_DIR
from tests.quality.landing_data import LAST_DAY, write_shop_orders_history

WINDOW = Window(LAST_DAY, LAST_DAY)


def test_outcomes_from_the_child_equal_the_in_process_ones(tmp_path: Path) -> None:
    write_shop_orders_history(tmp_path, bad_price_day=LAST_DAY)
    suite = load_suite(DEFAULT_SUITES_DIR / "landing" / "shop_orders.json")
    in_process = run_suite(suite, tmp_path, WINDOW, "in-process")
    [(name, isolated)] = run_suites_isolated([suite], tmp_path, WINDOW, "isolated").items()
    assert name == "shop_orders"
    assert isolated.blocking_failures  # the negative prices
    assert isolated.outcomes == in_process.outcomes
    assert isolated.frame_rows == in_process.frame_rows
    assert isolated.window == in_process.window
    assert isolated.data_docs_index.is_file()


def test_a_frame_duckdb_cannot_compute_comes_back_as_that_suites_error(tmp_path: Path) -> None:
    """An empty warehouse: the landing views the frames read do not exist."""
    suite = load_suite(DEFAULT_SUITES_DIR / "marts" / "fct_orders.json")
    [(name, error)] = run_suites_isolated([suite], tmp_path, WINDOW, "run").items()
    assert name == "fct_orders"
    assert isinstance(error, str)
    assert error.startswith("a frame could not be computed: ")


def test_a_dead_child_names_its_suites_exit_code_and_stderr(tmp_path: Path) -> None:
    """A suite file deleted after the definitions loaded it: the child fails reading it."""
    path = tmp_path / "shop_orders.json"
    path.write_text((DEFAULT_SUITES_DIR / "landing" / "shop_orders.json").read_text())
    suite = load_suite(path)
    path.unlink()
    with pytest.raises(SuiteProcessError) as raised:
        run_suites_isolated([suite], tmp_path, WINDOW, "run")
    message = str(raised.value)
    assert "suites shop_orders exited with code 1" in message
    assert "FileNotFoundError" in message
    assert str(path) in message
