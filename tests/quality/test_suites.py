"""The suite files load whole: GE drops unknown expectation types silently, we do not."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from orchestration.quality import SuiteFileError, build_quality_checks, load_suite, load_suites

#: Pinned on purpose: changing a suite means changing this table in the same commit.
EXPECTED_COUNTS = {
    "ga4_sessions": 8,
    "google_ads": 10,
    "meta_ads": 10,
    "rfid_counts": 10,
    "shop_catalog": 12,
    "shop_orders": 20,
    "zendesk_tickets": 13,
    "dim_customers": 2,
    "dim_products": 6,
    "dim_stores": 3,
    "fct_order_lines": 4,
    "fct_orders": 5,
    "fct_store_stock_daily": 2,
    "fct_support_tickets": 2,
    "mart_ad_spend_on_stockouts": 1,
    "mart_ad_spend_on_stockouts_28d": 2,
    "mart_campaign_28d": 2,
    "mart_campaign_daily": 2,
    "mart_channel_28d": 2,
    "mart_channel_daily": 2,
    "mart_kpi_daily": 5,
    "mart_kpi_monthly": 3,
    "mart_kpi_weekly": 3,
    "mart_kpi_scorecard": 2,
    "mart_store_picking_candidates": 2,
    "mart_support_daily": 2,
    "mart_support_hourly": 2,
}
LANDING_KEYS = {
    "shop_orders",
    "shop_catalog",
    "google_ads",
    "meta_ads",
    "rfid_counts",
    "zendesk_tickets",
    "ga4_sessions",
}


def test_every_suite_loads_with_all_its_expectations() -> None:
    suites = {suite.name: suite for suite in load_suites()}
    assert {name: len(s.expectations) for name, s in suites.items()} == EXPECTED_COUNTS
    for suite in suites.values():
        kept = sum(len(suite.gx_suite(frame).expectations) for frame in suite.frames)
        assert kept == EXPECTED_COUNTS[suite.name], suite.name


def test_suites_guard_the_landing_and_mart_asset_keys() -> None:
    keys = {suite.asset_key for suite in load_suites()}
    marts = set(EXPECTED_COUNTS) - LANDING_KEYS
    assert keys == {dg.AssetKey(["landing", k]) for k in LANDING_KEYS} | {
        dg.AssetKey(["marts", m]) for m in marts
    }


def test_every_suite_has_blocking_expectations() -> None:
    for suite in load_suites():
        assert any(e["meta"]["blocking"] for e in suite.expectations), suite.name


def _suite_file(tmp_path: Path, expectations: list[dict]) -> Path:
    path = tmp_path / "broken.json"
    suite = {
        "name": "broken",
        "meta": {"asset_key": "x", "frames": {"rows": {"sql": "select 1 as a"}}},
        "expectations": expectations,
    }
    path.write_text(json.dumps(suite))
    return path


def test_a_typo_in_an_expectation_type_fails_loudly(tmp_path: Path) -> None:
    path = _suite_file(
        tmp_path,
        [
            {
                "type": "expect_column_values_to_not_be_nul",
                "kwargs": {"column": "a"},
                "meta": {"frame": "rows", "blocking": True},
            }
        ],
    )
    with pytest.raises(SuiteFileError, match="expect_column_values_to_not_be_nul"):
        load_suite(path)


def test_an_expectation_without_blocking_flag_is_refused(tmp_path: Path) -> None:
    path = _suite_file(
        tmp_path,
        [{"type": "expect_column_to_exist", "kwargs": {"column": "a"}, "meta": {"frame": "rows"}}],
    )
    with pytest.raises(SuiteFileError, match="blocking"):
        load_suite(path)


def test_factory_builds_one_blocking_check_per_suite() -> None:
    checks = build_quality_checks()
    specs = [spec for check in checks for spec in check.check_specs]
    assert len(specs) == len(EXPECTED_COUNTS)
    assert all(spec.blocking for spec in specs)
    assert dg.AssetCheckKey(dg.AssetKey(["marts", "fct_orders"]), "ge_fct_orders") in {
        spec.key for spec in specs
    }
