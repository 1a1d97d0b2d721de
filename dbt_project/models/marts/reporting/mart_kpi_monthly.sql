{{ config(**incremental_config('month_start')) }}
-- One row per calendar month (docs/marts.md, mart_kpi_monthly): the daily measures recomputed from the
-- facts at month grain (never an average of daily ratios), plus active and repeat customers.
-- Only the complete days of the month count (int_kpi_calendar: the days mart_kpi_daily holds),
-- and the month is complete / final when all its calendar days are.
-- Incremental: a windowed run recomputes the months of the days int_kpi_measures_daily wrote in
-- this dbt run and the months not final yet (their as-of dependent columns move every day); a
-- month is recomputed whole (distinct customers and medians do not add up).
-- depends_on: {{ ref('int_kpi_measures_daily') }}
{%- set unsettled = kpi_unsettled_periods('month_start') %}
{%- set windowed = is_windowed_run() and none not in unsettled %}
{%- set months_rewritten = (kpi_periods_rewritten('month') + unsettled) | unique | sort if windowed else [] %}
with

complete_days as (
    select * from {{ ref('int_kpi_calendar') }}
    where
        is_complete
        {%- if windowed %}
            and {{ in_periods('date', months_rewritten, 'month') }}
        {%- endif %}
),

-- Every month with a complete day, so a month without orders still has its row.
months as (
    select
        cast(date_trunc('month', date) as date) as month_start,
        count(*) = {{ days_in_period("cast(date_trunc('month', date) as date)") }} as is_complete,
        count(*) filter (where is_final)
        = {{ days_in_period("cast(date_trunc('month', date) as date)") }} as is_final,
        sum(unshipped_over_48h) as unshipped_over_48h,
        bool_or(sessions_thresholded) as sessions_thresholded,
        bool_or(sessions_other_row_merged) as sessions_other_row_merged,
        bool_or(sessions_sampled) as sessions_sampled
    from complete_days
    group by cast(date_trunc('month', date) as date)
),

orders as (
    select
        *,
        cast(date_trunc('month', order_date) as date) as month_start
    from {{ ref('fct_orders') }}
    where
        order_date in (select complete_days.date from complete_days)
        {%- if windowed %}
            and {{ in_periods('order_date', months_rewritten, 'month') }}
        {%- endif %}
),

web_sessions as (
    select * from {{ ref('int_web_sessions_mapped') }}
    where
        session_date in (select complete_days.date from complete_days)
        {%- if windowed %}
            and {{ in_periods('session_date', months_rewritten, 'month') }}
        {%- endif %}
),

ad_spend as (
    select * from {{ ref('int_ad_spend_unioned') }}
    where
        spend_date in (select complete_days.date from complete_days)
        {%- if windowed %}
            and {{ in_periods('spend_date', months_rewritten, 'month') }}
        {%- endif %}
),

tickets as (
    select * from {{ ref('fct_support_tickets') }}
    where
        created_date in (select complete_days.date from complete_days)
        {%- if windowed %}
            and {{ in_periods('created_date', months_rewritten, 'month') }}
        {%- endif %}
),

order_months as (
    select
        month_start,
        {{ order_measures() }}
    from orders
    group by month_start
),

-- A repeat customer had a counted order before the one they placed this month.
customer_months as (
    select
        month_start,
        count(distinct customer_id) as active_customers,
        count(distinct customer_id) filter (where is_returning_customer_order) as repeat_customers
    from orders
    where is_counted
    group by month_start
),

session_months as (
    select
        cast(date_trunc('month', session_date) as date) as month_start,
        {{ session_measures() }}
    from web_sessions
    group by cast(date_trunc('month', session_date) as date)
),

ad_spend_months as (
    select
        cast(date_trunc('month', spend_date) as date) as month_start,
        {{ ad_spend_measures() }}
    from ad_spend
    group by cast(date_trunc('month', spend_date) as date)
),

ticket_months as (
    select
        cast(date_trunc('month', created_date) as date) as month_start,
        {{ ticket_measures() }}
    from tickets
    group by cast(date_trunc('month', created_date) as date)
),

monthly_measures as (
    select
        months.month_start,
        months.is_complete,
        months.is_final,
        months.unshipped_over_48h,
        months.sessions_thresholded,
        months.sessions_other_row_merged,
        months.sessions_sampled,
        coalesce(customer_months.active_customers, 0) as active_customers,
        coalesce(customer_months.repeat_customers, 0) as repeat_customers,
        {{ coalesced_kpi_measures('order_months', 'session_months', 'ad_spend_months', 'ticket_months') }}
    from months
    left join order_months on months.month_start = order_months.month_start
    left join customer_months on months.month_start = customer_months.month_start
    left join session_months on months.month_start = session_months.month_start
    left join ad_spend_months on months.month_start = ad_spend_months.month_start
    left join ticket_months on months.month_start = ticket_months.month_start
)

select
    month_start,
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
    active_customers,
    repeat_customers,
    {{ kpi_repeat_customer_rate('repeat_customers', 'active_customers') }} as repeat_customer_rate,
    is_complete,
    is_final,
    sessions_thresholded,
    sessions_other_row_merged,
    sessions_sampled
from monthly_measures
