"""Reports built only from the published marts: the daily KPI report and store picking sheets.

- `kpi_report.build_kpi_report(warehouse_dir)`: published/reports/kpi-report_*.html + latest.html
- `picking_sheets.build_picking_sheets(warehouse_dir)`: published/picking/{as_of_date}/
- `assets.report_assets`: the two Dagster assets, downstream of `published_marts`.
"""
