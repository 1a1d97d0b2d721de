-- One row per business day (marts.md, mart_kpi_daily). Formulas: macros/reporting/kpi_formulas.sql.
with

daily_measures as (
    select * from {{ ref('int_kpi_measures_daily') }}
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
    {{ kpi_shipped_within_48h_rate('shipped_within_48h_orders', 'fulfilled_orders') }}
        as shipped_within_48h_rate,
    tickets,
    {{ kpi_contact_rate('tickets', 'orders') }} as contact_rate,
    {{ kpi_csat('good_ratings', 'bad_ratings') }} as csat
from daily_measures
