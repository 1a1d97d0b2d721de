-- One row per complete business day (docs/marts.md, mart_kpi_daily): the calendar is the days every
-- source landed (int_kpi_calendar), so an old order landed again by a late refund never creates
-- a day with orders and no sessions or spend. Formulas: macros/reporting/kpi_formulas.sql.
{%- set additive = [
    'sessions', 'orders', 'cancelled_orders', 'net_revenue', 'contribution_margin', 'units',
    'refunded_units', 'cross_sell_orders', 'returning_customer_orders', 'upsell_orders',
    'new_customers', 'fulfilled_orders', 'shipped_within_48h_orders', 'ad_spend', 'tickets',
    'good_ratings', 'bad_ratings',
] %}
with

calendar as (
    select * from {{ ref('int_kpi_calendar') }}
    where is_complete
),

daily_measures as (
    select
        calendar.date,
        calendar.is_complete,
        calendar.is_final,
        calendar.unshipped_over_48h,
        calendar.sessions_thresholded,
        calendar.sessions_other_row_merged,
        calendar.sessions_sampled,
        {%- for column in additive %}
            coalesce(measures.{{ column }}, 0) as {{ column }},
        {%- endfor %}
        measures.median_processing_hours
    from calendar
    left join {{ ref('int_kpi_measures_daily') }} as measures on calendar.date = measures.date
)

select
    date,
    {{ kpi_columns() }},
    is_complete,
    is_final,
    sessions_thresholded,
    sessions_other_row_merged,
    sessions_sampled
from daily_measures
