"""One owner per gate rule: a day with more orders than sessions is published with a warning.

Orders above sessions means the web analytics under-tracked the day: the figures are still the
shop's real orders, so the rule is a statistic owned by Great Expectations as a warning
(expectations/marts/mart_kpi_daily.json, non-blocking), and no dbt test may block it.

Real parts: the hand-made fixture landing (tests/dbt/FIXTURE.md) with the sessions of Mon 02-03
cut to 1 (its 2 orders stay), the real dbt models AND data tests up to mart_kpi_daily, the real
`ge_mart_kpi_daily` check and the real publication asset, run by Dagster for the fixture's day D.
The asset running dbt is a stand-in for the `dbt_models` multi-asset only (the same `dbt build`,
whose failing data test fails the step and so skips the publication): loading the full dbt
definitions would parse the whole project for one mart.
"""

import json
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest
import yaml

from orchestration.lib.partitions import daily_partitions
from orchestration.lib.paths import warehouse_dir
from orchestration.publication import build_published_marts_asset
from orchestration.quality import build_quality_checks
from tests.dbt.fixture_landing import DBT_VARS, LAST_DAY, build_landing
from tests.dbt_runner import REPO_ROOT, run_dbt
from tests.simulator_runs import use_warehouse

pytestmark = pytest.mark.slow

MART = dg.AssetKey(["marts", "mart_kpi_daily"])
PUBLISHED = dg.AssetKey("published_marts")
UNDER_TRACKED_DAY = date(2025, 2, 3)  # 2 counted orders (#1001, #1003) in the fixture


@dg.asset(key=MART, partitions_def=daily_partitions)
def mart_kpi_daily() -> None:
    """`dbt build` (seeds, models, data tests) up to mart_kpi_daily over the fixture's days."""
    result = run_dbt(
        [
            "build",
            "--select",
            "+mart_kpi_daily",
            "--indirect-selection",
            "cautious",
            "--exclude-resource-type",
            "unit_test",
        ],
        warehouse_dir(),
        dbt_vars=DBT_VARS,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbt build failed:\n{result.stdout[-6000:]}")


def _cut_sessions(warehouse: Path, day: date, total: int) -> None:
    """Leave `total` sessions on the day's GA4 rows (the first row keeps them, the others 0)."""
    path = warehouse / "landing" / "ga4" / "sessions" / f"date={day.isoformat()}" / "data.parquet"
    table = pq.read_table(path)
    sessions = [total] + [0] * (table.num_rows - 1)
    column = table.schema.get_field_index("sessions")
    table = table.set_column(column, table.schema.field(column), [sessions])
    pq.write_table(table, path)


def test_more_orders_than_sessions_publishes_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = build_landing(tmp_path / "warehouse")
    (warehouse / "build").mkdir(parents=True, exist_ok=True)
    _cut_sessions(warehouse, UNDER_TRACKED_DAY, 1)
    use_warehouse(monkeypatch, warehouse)

    result = dg.materialize(
        [
            mart_kpi_daily,
            build_published_marts_asset([MART]),
            *build_quality_checks(asset_keys=[MART]),
        ],
        partition_key=LAST_DAY.isoformat(),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )

    failures = [e.message for e in result.all_events if e.is_failure]
    assert result.success, failures
    assert PUBLISHED in {e.asset_key for e in result.get_asset_materialization_events()}
    (evaluation,) = [
        e for e in result.get_asset_check_evaluations() if e.check_name == "ge_mart_kpi_daily"
    ]
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert "expect_column_values_to_be_between(conversion_rate)" in evaluation.description
    with duckdb.connect(str(warehouse / "published" / "marts.duckdb"), read_only=True) as con:
        checks = json.loads(con.execute("select checks from publication_log").fetchone()[0])
        published = con.execute(
            "select orders, sessions, conversion_rate from mart_kpi_daily where date = ?",
            [UNDER_TRACKED_DAY],
        ).fetchone()
    assert checks["marts/mart_kpi_daily:ge_mart_kpi_daily"] == "warn"
    assert published == (2, 1, 2.0)


#: dbt test -> the GE expectation that would state the same rule on the same column.
SAME_RULE = {
    "between_zero_and_one": "expect_column_values_to_be_between",
    "non_negative": "expect_column_values_to_be_between",
    "at_least": "expect_column_values_to_be_between",
    "accepted_values": "expect_column_values_to_be_in_set",
    "not_null": "expect_column_values_to_not_be_null",
}


def _dbt_column_rules() -> set[tuple[str, str, str]]:
    """(model, column, GE expectation type) for every column test of the marts' YAML."""
    rules = set()
    for path in (REPO_ROOT / "dbt_project" / "models" / "marts").rglob("*.yml"):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            for column in model.get("columns", []):
                for test in column.get("data_tests", []):
                    name = test if isinstance(test, str) else next(iter(test))
                    if name in SAME_RULE:
                        rules.add((model["name"], column["name"], SAME_RULE[name]))
    return rules


def test_no_rule_is_owned_by_both_gates() -> None:
    """dbt owns structure and hard ranges, GE statistics and soft ranges: a column rule that
    a dbt test states is never restated by a GE expectation of the same mart."""
    dbt_rules = _dbt_column_rules()
    both = []
    for path in sorted((REPO_ROOT / "expectations" / "marts").glob("*.json")):
        suite = json.loads(path.read_text())
        for expectation in suite["expectations"]:
            kwargs = expectation["kwargs"]
            if expectation["type"] == "expect_column_values_to_be_between" and _is_soft(
                expectation
            ):
                continue  # a soft bound (mostly, a parameter) is not what a dbt range test says
            rule = (suite["name"], kwargs.get("column"), expectation["type"])
            if rule in dbt_rules:
                both.append(rule)
    assert not both, f"rules in both dbt tests and GE suites: {both}"


#: GE expectations that state a hard rule when they block without `mostly`: a correct model never
#: breaks them, so they are dbt tests of the mart (dbt owns structure and hard ranges).
HARD_RULES = {
    "expect_column_values_to_be_between",
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_unique",
}


def _is_soft(expectation: dict) -> bool:
    """A share (`mostly`) or a bound set per run (`$PARAMETER`): statistics, GE's to own."""
    kwargs = expectation["kwargs"]
    bounds = [kwargs.get("min_value"), kwargs.get("max_value")]
    return "mostly" in kwargs or any(isinstance(bound, dict) for bound in bounds)


def _hard_ge_rules(suites_dir: Path) -> list[str]:
    """The blocking GE expectations on mart columns that state a hard range, not-null or unique."""
    found = []
    for path in sorted(suites_dir.glob("*.json")):
        suite = json.loads(path.read_text())
        for expectation in suite["expectations"]:
            if (
                expectation["type"] in HARD_RULES
                and expectation["meta"].get("blocking")
                and expectation["meta"].get("frame") == "rows"
                and not _is_soft(expectation)
            ):
                found.append(f"{suite['name']}.{expectation['kwargs']['column']}")
    return found


def test_hard_ranges_of_the_marts_are_dbt_tests() -> None:
    assert _hard_ge_rules(REPO_ROOT / "expectations" / "marts") == []


def test_a_blocking_hard_bound_in_a_suite_is_found(tmp_path: Path) -> None:
    """The scan above sees the rule it forbids, and leaves the statistics alone."""
    expectations = [
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "orders", "min_value": 0},
        },
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "date"}},
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "hours", "max_value": 720, "mostly": 0.99},
        },
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "volume_ratio", "min_value": {"$PARAMETER": "min_volume_ratio"}},
        },
    ]
    suite = {
        "name": "mart_x",
        "expectations": [{**e, "meta": {"frame": "rows", "blocking": True}} for e in expectations],
    }
    (tmp_path / "mart_x.json").write_text(json.dumps(suite))
    assert _hard_ge_rules(tmp_path) == ["mart_x.orders", "mart_x.date"]
