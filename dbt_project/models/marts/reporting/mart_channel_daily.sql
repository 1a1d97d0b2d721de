-- One row per business day x channel that has sessions, counted orders or ad spend that day
-- (docs/marts.md, mart_channel_daily). Ad spend reaches a channel through its platform
-- (int_ad_spend_unioned.channel: google_ads -> paid_search, meta_ads -> paid_social).
-- Complete days only (int_kpi_calendar), the calendar of mart_kpi_daily.
-- Incremental: a windowed run recomputes the days int_kpi_measures_daily wrote in this dbt run
-- (the days its changed orders, sessions and spend touch, the days it landed) and the days not
-- final yet (is_final moves with the data's as-of day).
{{ config(**incremental_config('date')) }}
-- depends_on: {{ ref('int_kpi_measures_daily') }}
{%- set unsettled = kpi_unsettled_periods('date') %}
{%- set windowed = is_windowed_run() and none not in unsettled %}
{%- set days_rewritten = (kpi_periods_rewritten('day') + unsettled) | unique | sort if windowed else [] %}
with

complete_days as (
    select
        date,
        is_complete,
        is_final
    from {{ ref('int_kpi_calendar') }}
    where
        is_complete
        {%- if windowed %}
            and {{ in_periods('date', days_rewritten) }}
        {%- endif %}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where
        is_counted
        and {{ in_complete_days('order_date', windowed, days_rewritten) }}
),

web_sessions as (
    select * from {{ ref('int_web_sessions_mapped') }}
    where {{ in_complete_days('session_date', windowed, days_rewritten) }}
),

ad_spend as (
    select * from {{ ref('int_ad_spend_unioned') }}
    where {{ in_complete_days('spend_date', windowed, days_rewritten) }}
),

order_channel_days as (
    select
        order_date as date,  -- noqa: RF04
        coalesce(channel, 'other') as channel,
        {{ order_measures() }}
    from orders
    group by 1, 2
),

session_channel_days as (
    select
        session_date as date,  -- noqa: RF04
        coalesce(channel, 'other') as channel,
        {{ session_measures() }}
    from web_sessions
    group by 1, 2
),

ad_spend_channel_days as (
    select
        spend_date as date,  -- noqa: RF04
        coalesce(channel, 'other') as channel,
        {{ ad_spend_measures() }}
    from ad_spend
    group by 1, 2
),

channel_days as (
    select
        date,
        channel
    from order_channel_days
    union
    select
        date,
        channel
    from session_channel_days
    union
    select
        date,
        channel
    from ad_spend_channel_days
),

channel_measures as (
    select
        channel_days.date,
        channel_days.channel,
        coalesce(session_channel_days.sessions, 0) as sessions,
        coalesce(order_channel_days.orders, 0) as orders,
        coalesce(order_channel_days.new_customers, 0) as new_customers,
        coalesce(order_channel_days.net_revenue, 0) as net_revenue,
        coalesce(order_channel_days.contribution_margin, 0) as contribution_margin,
        coalesce(ad_spend_channel_days.ad_spend, 0) as ad_spend,
        complete_days.is_complete,
        complete_days.is_final
    from channel_days
    inner join complete_days on channel_days.date = complete_days.date
    left join order_channel_days
        on
            channel_days.date = order_channel_days.date
            and channel_days.channel = order_channel_days.channel
    left join session_channel_days
        on
            channel_days.date = session_channel_days.date
            and channel_days.channel = session_channel_days.channel
    left join ad_spend_channel_days
        on
            channel_days.date = ad_spend_channel_days.date
            and channel_days.channel = ad_spend_channel_days.channel
)

select
    date,
    channel,
    sessions,
    orders,
    new_customers,
    net_revenue,
    contribution_margin,
    ad_spend,
    {{ kpi_conversion_rate('orders', 'sessions') }} as conversion_rate,
    {{ kpi_cac('ad_spend', 'new_customers') }} as cac,
    {{ kpi_roas('net_revenue', 'ad_spend') }} as roas,
    {{ kpi_margin_after_ad_spend('contribution_margin', 'ad_spend') }} as margin_after_ad_spend,
    {{ kpi_is_unprofitable('contribution_margin', 'ad_spend') }} as is_unprofitable,
    is_complete,
    is_final
from channel_measures
