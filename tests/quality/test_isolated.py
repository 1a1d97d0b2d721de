"""The suite process: what comes back equals what the suite computed in process, and a child
that dies says which suites it was running and why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.quality import load_suite
from orchestration.quality.frames import Window
from orchestration.quality.isolated import SuiteProcessError, run_suites_isolated
from orchestration.quality.runner import SuiteOutcome, run_suite
from orchestration.quality.suites import DEFAULT_SUITES_DIR
from tests.quality.landing_data import LAST_DAY, write_shop_orders_history

WINDOW = Window(LAST_DAY, LAST_DAY)
ROOT = Path(__file__).resolve().parents[2]


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


def test_one_process_runs_a_steps_suites_each_with_a_data_docs_site_of_its_own(
    tmp_path: Path,
) -> None:
    """The suites of a step share one GE context in their process (orchestration/quality/runner.py,
    `SuiteRunner`): each suite's outcome is still its own, and so is its Data Docs site."""
    write_shop_orders_history(tmp_path, bad_price_day=LAST_DAY)
    suites = [
        load_suite(DEFAULT_SUITES_DIR / "landing" / f"{name}.json")
        for name in ("shop_orders", "shop_catalog")
    ]
    results = run_suites_isolated(suites, tmp_path, WINDOW, "run")
    orders, catalog = results["shop_orders"], results["shop_catalog"]
    assert isinstance(orders, SuiteOutcome) and isinstance(catalog, SuiteOutcome)
    assert orders.outcomes == run_suite(suites[0], tmp_path, WINDOW, "alone").outcomes
    # each its own failures: the orders' negative prices, the catalog's missing variants
    assert {o.frame for o in orders.blocking_failures} == {"order_lines"}
    assert "original_unit_price" in {o.column for o in orders.blocking_failures}
    assert {(o.frame, o.expectation) for o in catalog.blocking_failures} == {
        ("variants", "expect_table_row_count_to_be_between")
    }
    for outcome, suite, other in ((orders, *suites), (catalog, *reversed(suites))):
        site = outcome.data_docs_index.parent
        assert site == tmp_path / "quality" / "data_docs" / "run" / suite.name
        frames = {frame for frame in suite.frames if suite.expectations_for(frame)}
        assert {page.name for page in (site / "validations" / suite.name).iterdir()} == frames
        assert not (site / "validations" / other.name).exists()
        index = outcome.data_docs_index.read_text()
        assert all(f"{suite.name}.{frame}" in index for frame in frames)
        assert all(f"'asset_name': '{frame}'" in index for frame in frames)  # named as the frame
        assert f"{other.name}." not in index


def test_the_suite_process_leaves_scipy_stats_unloaded_until_used(tmp_path: Path) -> None:
    """GE imports `scipy.stats` for expectations no suite uses; the suite process defers it
    (`_defer_unused_imports`): a suite runs without loading it, and it still works when used.
    In a child interpreter, as the suite process is: this one may have loaded scipy already."""
    write_shop_orders_history(tmp_path)
    script = f"""
import sys
from orchestration.quality.isolated import _defer_unused_imports, _run_request
_defer_unused_imports()
import great_expectations
results = _run_request({{
    "suite_files": [{str(DEFAULT_SUITES_DIR / "landing" / "shop_orders.json")!r}],
    "warehouse": {str(tmp_path)!r},
    "window": {WINDOW.to_json()!r},
    "run_id": "run",
}})
print("outcome" in results["shop_orders"], type(sys.modules["scipy.stats"]).__name__)
from scipy import stats
print(round(float(stats.entropy([0.5, 0.5])), 4), type(sys.modules["scipy.stats"]).__name__)
"""
    ran = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert ran.stdout.split() == ["True", "_LazyModule", "0.6931", "module"]


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
