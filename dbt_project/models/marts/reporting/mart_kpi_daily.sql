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
    sessions,
    orders,
    cancelled_orders,
    {{ kpi_conversion_rate('orders', 'sessions') }} as conversion_rate,
    net_revenue,
    {{ kpi_average_basket('net_revenue', 'orders') }} as average_basket,
    {{ kpi_units_per_order('units', 'orders') }} as units_per_order,
    {{ kpi_cross_sell_rate('cross_sell_orders', 'orders') }} as cross_sell_rate,
    {{ kpi_upsell_rate('upsell_orders', 'returning_customer_orders') }} as upsell_rate,
    new_customers,
    ad_spend,
    {{ kpi_cac('ad_spend', 'new_customers') }} as cac,
    {{ kpi_roas('net_revenue', 'ad_spend') }} as roas,
    contribution_margin,
    {{ kpi_margin_after_ad_spend('contribution_margin', 'ad_spend') }} as margin_after_ad_spend,
    {{ kpi_return_rate('refunded_units', 'units') }} as return_rate,
    median_processing_hours,
    {{ kpi_shipped_within_48h_rate('shipped_within_48h_orders', 'fulfilled_orders', 'unshipped_over_48h') }}
        as shipped_within_48h_rate,
    unshipped_over_48h,
    tickets,
    {{ kpi_contact_rate('tickets', 'orders') }} as contact_rate,
    {{ kpi_csat('good_ratings', 'bad_ratings') }} as csat,
    is_complete,
    is_final,
    sessions_thresholded,
    sessions_other_row_merged,
    sessions_sampled
from daily_measures
