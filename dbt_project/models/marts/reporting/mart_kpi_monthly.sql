{{ config(**incremental_config('month_start')) }}
-- One row per calendar month (docs/marts.md, mart_kpi_monthly): the daily measures recomputed from the
-- facts at month grain (never an average of daily ratios), plus active and repeat customers.
-- Only the complete days of the month count, and the month is complete / final when all its
-- calendar days are. The model is written once for every period: macros/reporting/kpi_periods.sql.
-- depends_on: {{ ref('int_kpi_measures_daily') }}
{{ kpi_period_mart('month', 'month_start', with_customers=true) }}
