"""The daily pipeline job: every asset (extracts, dbt, publication) and their checks, one day.

One partitioned asset job over all assets. All assets share `daily_partitions` and a single-run
backfill policy, so a backfill of the job over a range (UI or CLI) is one run, and the schedule
materialises yesterday's partition end to end.
"""

from __future__ import annotations

import dagster as dg

from orchestration.lib.partitions import daily_partitions

daily_pipeline_job = dg.define_asset_job(
    name="daily_pipeline",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    description=(
        "Extract the six sources for the shop day, build the dbt models and tests over that "
        "day's window (and its lookback), check quality and publish the marts."
    ),
)
