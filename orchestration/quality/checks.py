"""Dagster asset checks: one blocking check per suite file, on the asset the suite guards.

The checks of one layer (landing, marts) run in one step (two for landing: see `_waves`), whose
suites run in one child process (orchestration/quality/isolated.py): Great Expectations is
imported once per step, and never by the Dagster run process, which lives through dbt and the
publication. Every check still has its own result and severity in Dagster, and a
step runs only the checks selected.

`blocking=True` on every check: a failed *blocking expectation* gives severity ERROR, which stops
every downstream asset of the run (dbt models, then `published_marts`); failed non-blocking
expectations only give severity WARN, which Dagster shows but does not stop on. So the suite file,
not Python, decides what stops publication.
"""

# No `from __future__ import annotations`: Dagster inspects the context/config annotations.

from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import dagster as dg

from orchestration.build_lease import hold_build
from orchestration.lib.paths import warehouse_dir
from orchestration.lib.retention import retention_runs
from orchestration.lib.settings import load_settings
from orchestration.quality.frames import Window, latest_landed_window
from orchestration.quality.reuse import ReusedOutcome, check_suites
from orchestration.quality.runner import ExpectationOutcome, SuiteOutcome, prune_data_docs
from orchestration.quality.suites import DEFAULT_SUITES_DIR, SuiteDefinition, load_suites

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


def check_name(suite: SuiteDefinition) -> str:
    return f"ge_{suite.name}"


def check_result(
    suite: SuiteDefinition, outcome: SuiteOutcome, reused_from: str | None = None
) -> dg.AssetCheckResult:
    """ERROR when a blocking expectation failed, WARN when only warnings did. `reused_from`: the
    run that computed `outcome` for the same inputs (orchestration/quality/reuse.py)."""
    severity = (
        dg.AssetCheckSeverity.ERROR if outcome.blocking_failures else dg.AssetCheckSeverity.WARN
    )
    reuse_note = f" (inputs unchanged since run {reused_from}: its outcome)" if reused_from else ""
    return dg.AssetCheckResult(
        asset_key=suite.asset_key,
        check_name=check_name(suite),
        passed=not outcome.failures,
        severity=severity,
        description=summary(outcome) + reuse_note,
        metadata={
            **({"computed_by_run": reused_from} if reused_from else {}),
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


def error_result(suite: SuiteDefinition, problem: str) -> dg.AssetCheckResult:
    """A suite that could not run (a frame DuckDB could not compute, a suite GE would weaken)
    fails its gate."""
    return dg.AssetCheckResult(
        asset_key=suite.asset_key,
        check_name=check_name(suite),
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{suite.name}: {problem}",
        metadata={"suite_file": dg.MetadataValue.path(str(suite.path))},
    )


def _check_spec(suite: SuiteDefinition) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        name=check_name(suite),
        asset=suite.asset_key,
        blocking=True,
        description=suite.description or f"Great Expectations suite {suite.path.name}",
        metadata={"suite_file": str(suite.path)},
    )


def build_step_checks(step: str, suites: Sequence[SuiteDefinition]) -> dg.AssetChecksDefinition:
    """The blocking checks of `suites`, run together in the step `ge_{step}`."""
    by_key = {dg.AssetCheckKey(suite.asset_key, check_name(suite)): suite for suite in suites}
    reads_build = any(suite.reads_build for suite in suites)

    @dg.multi_asset_check(
        specs=[_check_spec(suite) for suite in suites],
        name=f"ge_{step}",
        description="Great Expectations suites "
        + ", ".join(f"{suite.path.parent.name}/{suite.path.name}" for suite in suites),
        can_subset=True,
    )
    def _checks(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
        selected = [s for key, s in by_key.items() if key in context.selected_asset_check_keys]
        warehouse = warehouse_dir()
        if reads_build:  # the mart checks validate the build this run's dbt made, nobody else's
            hold_build(context.instance, warehouse, context.run.run_id, context.log.info)
        window = run_window(context.run.tags, warehouse)
        force = load_settings().force_rebuild
        results = check_suites(selected, warehouse, window, context.run.run_id, force=force)
        for removed in prune_data_docs(warehouse, retention_runs()):
            context.log.info(f"removed the Data Docs of run {removed.name} (RETENTION_RUNS)")
        for suite in selected:
            result = results[suite.name]
            if isinstance(result, str):
                yield error_result(suite, result)
                continue
            reused_from = result.run_id if isinstance(result, ReusedOutcome) else None
            outcome = result.outcome if isinstance(result, ReusedOutcome) else result
            result_event = check_result(suite, outcome, reused_from)
            context.log.info(result_event.description or "")
            yield result_event

    return _checks


def _waves(
    suites: Sequence[SuiteDefinition], assets: Sequence[dg.AssetsDefinition]
) -> list[list[SuiteDefinition]]:
    """The suites in waves: a suite whose asset reads another checked asset (e.g. the RFID extract
    reads the shop catalog) runs in the wave after that asset's suite.

    Why: a blocking check must pass before the assets reading its asset start, so one step
    checking both would have to run before and after the reading asset; Dagster breaks such a
    cycle by splitting steps, dbt's among them (three dbt invocations instead of one).
    """
    upstream = {key: set(a.asset_deps[key]) for a in assets for key in a.keys}
    checked = {suite.asset_key for suite in suites}
    wave_of: dict[dg.AssetKey, int] = {}

    def wave(key: dg.AssetKey) -> int:
        if key not in wave_of:
            reads = [wave(u) for u in upstream.get(key, ()) if u in checked and u != key]
            wave_of[key] = 1 + max(reads, default=-1)
        return wave_of[key]

    waves: list[list[SuiteDefinition]] = []
    for suite in suites:
        number = wave(suite.asset_key)
        waves += [[] for _ in range(number + 1 - len(waves))]
        waves[number].append(suite)
    return waves


def build_quality_checks(
    suites_dir: Path = DEFAULT_SUITES_DIR,
    asset_keys: Sequence[dg.AssetKey] | None = None,
    assets: Sequence[dg.AssetsDefinition] = (),
) -> list[dg.AssetChecksDefinition]:
    """One check per suite file, in one step per layer (`ge_landing`, `ge_marts`) and wave
    (`ge_landing_wave2`: the suites of `assets` reading an asset checked in the first wave).

    Restricted to `asset_keys` when given (e.g. in tests). The suites are loaded without Great
    Expectations (the suite process imports it).
    """
    suites = load_suites(suites_dir, validate=False)
    if asset_keys is not None:
        suites = [s for s in suites if s.asset_key in set(asset_keys)]
    layers: dict[str, list[SuiteDefinition]] = {}
    for suite in suites:
        layers.setdefault(suite.path.parent.name, []).append(suite)
    return [
        build_step_checks(layer if number == 0 else f"{layer}_wave{number + 1}", wave)
        for layer, layer_suites in layers.items()
        for number, wave in enumerate(_waves(layer_suites, assets))
        if wave
    ]
