"""Suites run with GE on small landing zones: what passes, what blocks, what only warns."""

from __future__ import annotations

import json
import re
from pathlib import Path

import dagster as dg
import pytest

from orchestration.quality import load_suite
from orchestration.quality.checks import check_result
from orchestration.quality.frames import Window
from orchestration.quality.runner import SuiteOutcome, SuiteRunner, prune_data_docs, run_suite
from orchestration.quality.suites import DEFAULT_SUITES_DIR, SuiteDefinition
from tests.quality.landing_data import (
    LAST_DAY,
    write_shop_orders_history,
)

WINDOW = Window(LAST_DAY, LAST_DAY)
MB = 1_000_000


def _suite(name: str) -> SuiteDefinition:
    path = DEFAULT_SUITES_DIR / ("marts" if name.startswith("mart_") else "landing")
    return load_suite(path / f"{name}.json")


def _run(warehouse: Path, suite: str) -> SuiteOutcome:
    return run_suite(_suite(suite), warehouse, WINDOW, "test-run")


def _check(warehouse: Path, suite: str) -> dg.AssetCheckResult:
    return check_result(_suite(suite), _run(warehouse, suite))


def test_clean_orders_pass_and_data_docs_are_built(tmp_path: Path) -> None:
    write_shop_orders_history(tmp_path)
    outcome = _run(tmp_path, "shop_orders")
    assert outcome.failures == []
    assert outcome.data_docs_index.is_file()
    assert outcome.data_docs_index.is_relative_to(tmp_path / "quality" / "data_docs" / "test-run")
    assert check_result(_suite("shop_orders"), outcome).passed


def test_negative_prices_fail_blocking_with_the_observed_values(tmp_path: Path) -> None:
    write_shop_orders_history(tmp_path, bad_price_day=LAST_DAY)
    result = _check(tmp_path, "shop_orders")
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert "expect_column_values_to_be_between(original_unit_price)" in result.description
    assert "-12.5" in result.description
    table = result.metadata["failures"].value
    assert (
        "| yes | order_lines | expect_column_values_to_be_between | original_unit_price |" in table
    )


def test_a_day_with_5_percent_of_the_volume_blocks(tmp_path: Path) -> None:
    write_shop_orders_history(tmp_path, low_volume_day=LAST_DAY)
    outcome = _run(tmp_path, "shop_orders")
    blocking = outcome.blocking_failures
    assert [(o.frame, o.column) for o in blocking] == [("volume", "volume_ratio")]
    assert blocking[0].unexpected_samples == "0.05"


@pytest.mark.parametrize(
    ("rejected", "max_rate", "severity"),
    [
        (0, None, None),
        (1, "0.05", dg.AssetCheckSeverity.WARN),  # 1 of 41 records = 2.4 %: under 5 %
        (1, None, dg.AssetCheckSeverity.ERROR),  # ... but over the 1 % default
    ],
)
def test_quarantine_policy(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rejected: int,
    max_rate: str | None,
    severity: dg.AssetCheckSeverity | None,
) -> None:
    if max_rate:
        monkeypatch.setenv("MAX_REJECT_RATE", max_rate)
    else:
        monkeypatch.delenv("MAX_REJECT_RATE", raising=False)
    write_shop_orders_history(tmp_path, rejected_orders={LAST_DAY: rejected})
    result = _check(tmp_path, "shop_orders")
    assert result.passed is (severity is None)
    if severity:
        assert result.severity == severity
        assert "reject_rate" in result.metadata["failures"].value


def test_each_shop_suite_reports_the_reject_rate_of_its_own_datasets(tmp_path: Path) -> None:
    """Rejected orders fail the orders' quarantine check, never the catalogue's (both assets
    land under the `shop` source)."""
    write_shop_orders_history(tmp_path, rejected_orders={LAST_DAY: 1})
    rates = {
        suite: [o for o in _run(tmp_path, suite).outcomes if o.column == "reject_rate"]
        for suite in ("shop_orders", "shop_catalog")
    }
    assert {o.observed for o in rates["shop_orders"]} == {"0.0243902"}  # 1 of 41 records
    assert {(o.observed, o.success) for o in rates["shop_catalog"]} == {("0", True)}


def test_data_docs_link_one_copy_of_ges_assets_and_keep_the_last_runs(tmp_path: Path) -> None:
    write_shop_orders_history(tmp_path)
    sites = [_run(tmp_path, "shop_orders").data_docs_index.parent]  # run "test-run"
    sites += [
        run_suite(_suite("shop_orders"), tmp_path, WINDOW, run).data_docs_index.parent
        for run in ("run-2", "run-3")
    ]
    root = tmp_path / "quality" / "data_docs"
    for site in sites:
        assert (site / "static").is_symlink()
        assert (site / "static" / "images" / "favicon.ico").is_file()  # what index.html links
    assert prune_data_docs(tmp_path, keep=2) == [root / "test-run"]
    assert sorted(p.name for p in root.iterdir()) == ["_static", "run-2", "run-3"]
    on_disk = sum(p.lstat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    # GE's assets (~4 MB) once, plus two sites of pages (~0.4 MB each); ~4 MB more per site before.
    assert on_disk < 5.5 * MB, on_disk


def _page_text(site: Path) -> str:
    """The site's expectation-suite pages without what changes from run to run (times, ids)."""
    pages = sorted((site / "expectations").rglob("*.html"))
    text = "".join(page.read_text() for page in pages)
    return re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d{4}-?\d\d-?\d\dT[\d:.]+Z?|\d\d:\d\d:\d\d", "", text)


def test_data_docs_templates_are_compiled_once_and_render_the_same_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jinja2

    write_shop_orders_history(tmp_path)
    compiled: list[str | None] = []
    compile_template = jinja2.Environment.compile

    def counting_compile(self: jinja2.Environment, source: str, name: str | None = None, *args):  # type: ignore[no-untyped-def]
        compiled.append(name)
        return compile_template(self, source, name, *args)

    # A spy, not a mock: Jinja still compiles, the test counts how often.
    monkeypatch.setattr(jinja2.Environment, "compile", counting_compile)
    first = run_suite(_suite("shop_orders"), tmp_path, WINDOW, "run-1").data_docs_index.parent
    first_compiles = len(compiled)
    second = run_suite(_suite("shop_orders"), tmp_path, WINDOW, "run-2").data_docs_index.parent

    cache = tmp_path / "build" / "data_docs_templates"
    assert first_compiles > 10 and len(list(cache.iterdir())) > 10  # GE's page templates, cached
    assert len(compiled) == first_compiles  # the second site: every template from the cache
    assert _page_text(second) == _page_text(first) and "reject_rate" in _page_text(first)


def test_a_suite_without_expectations_gets_an_empty_site_beside_other_suites(
    tmp_path: Path,
) -> None:
    """Suites sharing a runner: a suite with nothing to validate must not render the others."""
    write_shop_orders_history(tmp_path)
    empty_file = tmp_path / "empty.json"
    data = json.loads((DEFAULT_SUITES_DIR / "landing" / "shop_orders.json").read_text())
    empty_file.write_text(json.dumps({**data, "name": "empty", "expectations": []}))
    runner = SuiteRunner(tmp_path, "run")
    orders = runner.run(_suite("shop_orders"), WINDOW)
    empty = runner.run(load_suite(empty_file), WINDOW)
    assert orders.outcomes and empty.outcomes == []
    assert empty.data_docs_index.is_file()
    assert not (empty.data_docs_index.parent / "validations").exists()
    assert "shop_orders." not in empty.data_docs_index.read_text()
    assert "shop_orders.orders" in orders.data_docs_index.read_text()
