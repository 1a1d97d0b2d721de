"""The daily pipeline job: every asset (extracts, dbt, publication) and their checks, one day.

One partitioned asset job over all assets. All assets share `daily_partitions` and a single-run
backfill policy, so a backfill of the job over a range (UI or CLI) is one run, and the schedule
materialises yesterday's partition end to end.

The job runs its steps in the run's own process (`in_process_executor`), one after the other.
Dagster's default multiprocess executor starts a process per step, and each of those imports the
whole code location before doing anything: fourteen steps cost more CPU than a daily run's work
(docs/operations.md "Executor", with the measurements). The work itself does not need processes of
its own: the extracts wait on the network and run one at a time anyway (pool `landing`), dbt
and the Great Expectations suites run in their own child processes already, and the pools and
step retries apply in process as they do across processes.
"""

from __future__ import annotations

import dagster as dg

from orchestration.lib.partitions import daily_partitions

#: The executor of every run of the code location: the job's, and the implicit asset job's
#: (`dagster asset materialize`, the UI's Materialize button), so all of them run the same way.
PIPELINE_EXECUTOR = dg.in_process_executor

daily_pipeline_job = dg.define_asset_job(
    name="daily_pipeline",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    executor_def=PIPELINE_EXECUTOR,
    description=(
        "Extract the six sources for the shop day, build the dbt models and tests over that "
        "day's window, check quality and publish the marts."
    ),
)
