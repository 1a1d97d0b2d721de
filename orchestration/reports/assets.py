"""Dagster assets of the reports: downstream of the publication, reading only what it published.

`deps=[published_marts]` (not an input): the reports read the published DuckDB themselves, the
same file BI users read, so no data passes through an IO manager and the lineage still shows
that a new publication makes the report and the picking sheets stale.

The report modules (pandas among them) are imported when a report is built, not with the
definitions: the run process would otherwise carry pandas beside dbt's process.
"""

# No `from __future__ import annotations`: Dagster inspects the `context` annotation at
# definition time and rejects it as a string.

import dagster as dg

from orchestration.lib.partitions import daily_partitions
from orchestration.lib.paths import warehouse_dir

PUBLISHED_MARTS = dg.AssetKey(["published_marts"])
GROUP = "publication"


@dg.asset(
    key="kpi_report",
    deps=[PUBLISHED_MARTS],
    group_name=GROUP,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    kinds={"python", "html"},
    description=(
        "Daily KPI report: scorecard, 13-month and 8-week trends, channels and campaigns, "
        "support heatmap, ad spend on stockouts. One offline HTML file per publication under "
        "published/reports/, plus latest.html."
    ),
)
def kpi_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from orchestration.reports.kpi_report import build_kpi_report  # pandas: see module doc

    report = build_kpi_report(warehouse_dir())
    pub = report.publication
    context.log.info(f"KPI report for {report.report_date} written to {report.path}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(report.path)),
            "latest": dg.MetadataValue.path(str(report.latest_path)),
            "open": dg.MetadataValue.url(report.latest_path.as_uri()),
            "scorecard": dg.MetadataValue.md(report.scorecard_markdown),
            "scorecard_kpis": dg.MetadataValue.int(report.scorecard_rows),
            "report_date": dg.MetadataValue.text(str(report.report_date or "")),
            "source_mode": dg.MetadataValue.text(pub.source_mode),
            "published_run_id": dg.MetadataValue.text(pub.run_id),
            "published_at": dg.MetadataValue.text(
                pub.published_at.isoformat() if pub.published_at else ""
            ),
        }
    )


@dg.asset(
    key="store_picking_sheets",
    deps=[PUBLISHED_MARTS],
    group_name=GROUP,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    kinds={"python", "csv"},
    description=(
        "Store picking sheets of the run's day: one CSV per store, one combined CSV and an "
        "HTML page printing one A4 sheet per store under published/picking/{as_of_date}/, in "
        "priority order."
    ),
)
def store_picking_sheets(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from orchestration.reports.picking_sheets import build_picking_sheets, per_store_markdown

    sheets = build_picking_sheets(warehouse_dir())
    total = int(sheets.per_store["candidates"].sum()) if len(sheets.per_store) else 0
    context.log.info(f"{total} picking candidate(s) for {sheets.as_of_date} in {sheets.directory}")
    return dg.MaterializeResult(
        metadata={
            "directory": dg.MetadataValue.path(str(sheets.directory)),
            "combined_csv": dg.MetadataValue.path(str(sheets.combined_csv)),
            "html": dg.MetadataValue.path(str(sheets.html_path)),
            "open": dg.MetadataValue.url(sheets.html_path.as_uri()),
            "as_of_date": dg.MetadataValue.text(str(sheets.as_of_date or "")),
            "candidates": dg.MetadataValue.int(total),
            "stores": dg.MetadataValue.int(len(sheets.per_store)),
            "candidates_per_store": dg.MetadataValue.md(per_store_markdown(sheets.per_store)),
            "source_mode": dg.MetadataValue.text(sheets.publication.source_mode),
            "published_run_id": dg.MetadataValue.text(sheets.publication.run_id),
        }
    )


report_assets: list[dg.AssetsDefinition] = [kpi_report, store_picking_sheets]
