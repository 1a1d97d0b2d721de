"""Dagster asset checks: one blocking check per suite file, on the asset the suite guards.

`blocking=True` on every check: a failed *blocking expectation* gives severity ERROR, which stops
every downstream asset of the run (dbt models, then `published_marts`); failed non-blocking
expectations only give severity WARN, which Dagster shows but does not stop on. So the suite file,
not Python, decides what stops publication.
"""

# No `from __future__ import annotations`: Dagster inspects the context/config annotations.

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.lib.config import warehouse_dir
from orchestration.quality.frames import Window, latest_landed_window
from orchestration.quality.runner import ExpectationOutcome, SuiteOutcome, run_suite
from orchestration.quality.suites import (
    DEFAULT_SUITES_DIR,
    SuiteDefinition,
    SuiteFileError,
    load_suites,
)

_RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
_MAX_TABLE_ROWS = 20


def run_window(tags: dict[str, str], warehouse: Path) -> Window:
    """The run's partition days from its tags; else the latest landed day, unpartitioned."""
    if all(tag in tags for tag in _RANGE_TAGS):
        start, end = (date.fromisoformat(tags[tag]) for tag in _RANGE_TAGS)
        return Window(start, end)
    if "dagster/partition" in tags:
        day = date.fromisoformat(tags["dagster/partition"])
        return Window(day, day)
    return latest_landed_window(warehouse)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def failures_table(failures: Sequence[ExpectationOutcome]) -> str:
    """Markdown table of failed expectations, blocking ones first, for the Dagster UI."""
    rows = sorted(failures, key=lambda o: not o.blocking)
    lines = [
        "| blocking | frame | expectation | column | observed | unexpected samples |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {'yes' if o.blocking else 'no'} | {o.frame} | {o.expectation} | {_cell(o.column)} "
        f"| {_cell(o.observed)} | {_cell(o.unexpected_samples)} |"
        for o in rows[:_MAX_TABLE_ROWS]
    ]
    if len(rows) > _MAX_TABLE_ROWS:
        lines.append(f"| | | ... {len(rows) - _MAX_TABLE_ROWS} more in the Data Docs | | | |")
    return "\n".join(lines)


def summary(outcome: SuiteOutcome) -> str:
    """One sentence naming each failed expectation and its observed value."""
    if not outcome.failures:
        count = len(outcome.outcomes)
        return f"{outcome.suite}: all {count} expectations passed ({outcome.window})"
    kind = "blocking" if outcome.blocking_failures else "warning"
    failed = outcome.blocking_failures or outcome.failures
    named = "; ".join(
        f"{o.expectation}({o.column}) on {o.frame}: observed {o.observed}"
        + (f", e.g. {o.unexpected_samples}" if o.unexpected_samples else "")
        for o in failed
    )
    count = len(failed)
    return f"{outcome.suite}: {count} {kind} expectation(s) failed ({outcome.window}): {named}"


def check_result(outcome: SuiteOutcome) -> dg.AssetCheckResult:
    """ERROR when a blocking expectation failed, WARN when only warnings did."""
    severity = (
        dg.AssetCheckSeverity.ERROR if outcome.blocking_failures else dg.AssetCheckSeverity.WARN
    )
    return dg.AssetCheckResult(
        passed=not outcome.failures,
        severity=severity,
        description=summary(outcome),
        metadata={
            "window": str(outcome.window),
            "expectations": len(outcome.outcomes),
            "failed": len(outcome.failures),
            "blocking_failed": len(outcome.blocking_failures),
            "failures": dg.MetadataValue.md(failures_table(outcome.failures)),
            "frame_rows": dg.MetadataValue.json(outcome.frame_rows),
            "data_docs": dg.MetadataValue.url(outcome.data_docs_index.as_uri()),
            "data_docs_path": dg.MetadataValue.path(str(outcome.data_docs_index)),
        },
    )


def _frame_error(suite: SuiteDefinition, error: duckdb.Error) -> dg.AssetCheckResult:
    """A frame that cannot be computed (missing table, unreadable file) fails the gate."""
    return _error_result(suite, f"a frame could not be computed: {error}")


def _error_result(suite: SuiteDefinition, problem: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{suite.name}: {problem}",
        metadata={"suite_file": dg.MetadataValue.path(str(suite.path))},
    )


def check_name(suite: SuiteDefinition) -> str:
    return f"ge_{suite.name}"


def build_suite_check(suite: SuiteDefinition) -> dg.AssetChecksDefinition:
    """The blocking asset check that runs `suite` on the asset it guards."""

    @dg.asset_check(
        asset=suite.asset_key,
        name=check_name(suite),
        blocking=True,
        description=suite.description or f"Great Expectations suite {suite.path.name}",
        metadata={"suite_file": str(suite.path)},
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        warehouse = warehouse_dir()
        window = run_window(context.run.tags, warehouse)
        try:
            outcome = run_suite(suite, warehouse, window, context.run.run_id)
        except duckdb.Error as error:
            return _frame_error(suite, error)
        except SuiteFileError as error:
            # GE would drop an expectation of the suite file: fail the gate, never check less.
            return _error_result(suite, str(error))
        context.log.info(summary(outcome))
        return check_result(outcome)

    return _check


def build_quality_checks(
    suites_dir: Path = DEFAULT_SUITES_DIR,
    asset_keys: Sequence[dg.AssetKey] | None = None,
) -> list[dg.AssetChecksDefinition]:
    """One check per suite file; restricted to `asset_keys` when given (e.g. in tests).

    The suites are loaded without Great Expectations (it is imported when a check runs).
    """
    suites = load_suites(suites_dir, validate=False)
    if asset_keys is not None:
        suites = [s for s in suites if s.asset_key in set(asset_keys)]
    return [build_suite_check(suite) for suite in suites]
