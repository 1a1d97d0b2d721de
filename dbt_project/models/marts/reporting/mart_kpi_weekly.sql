{{ config(**incremental_config('week_start')) }}
-- One row per ISO week, Monday start (mart_kpi_weekly): the measures of mart_kpi_daily recomputed
-- from the facts at week grain (never an average of daily ratios), over the week's complete days
-- only; the week is complete / final when its 7 days are. The model is written once for every
-- period: macros/reporting/kpi_periods.sql.
-- depends_on: {{ ref('int_kpi_measures_daily') }}
{{ kpi_period_mart('week', 'week_start') }}
