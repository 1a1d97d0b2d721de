{{ config(materialized='table') }}
-- One row per marketing channel over the rolling 28 days up to the last complete day
-- (mart_channel_28d): the additive columns of mart_channel_daily summed over the window, and the
-- contract's ratios of those sums (macros/reporting/kpi_formulas.sql), never means of daily rates.
-- What the KPI report's channel view shows, as published. A table: the window moves every day.
with

{{ kpi_rolling_window_ctes() }}

channel_sums as (
    select
        channel_days.channel,
        sum(channel_days.sessions) as sessions,
        sum(channel_days.orders) as orders,
        sum(channel_days.new_customers) as new_customers,
        sum(channel_days.net_revenue) as net_revenue,
        sum(channel_days.contribution_margin) as contribution_margin,
        sum(channel_days.ad_spend) as ad_spend,
        count(*) filter (where channel_days.is_unprofitable) as unprofitable_days
    from {{ ref('mart_channel_daily') }} as channel_days
    cross join rolling_window
    where channel_days.date between rolling_window.window_start_date and rolling_window.as_of_date
    group by channel_days.channel
)

select
    rolling_window.as_of_date,
    rolling_window.window_start_date,
    channel_sums.channel,
    channel_sums.sessions,
    channel_sums.orders,
    channel_sums.new_customers,
    channel_sums.net_revenue,
    channel_sums.contribution_margin,
    channel_sums.ad_spend,
    {{ kpi_conversion_rate('channel_sums.orders', 'channel_sums.sessions') }} as conversion_rate,
    {{ kpi_cac('channel_sums.ad_spend', 'channel_sums.new_customers') }} as cac,
    {{ kpi_roas('channel_sums.net_revenue', 'channel_sums.ad_spend') }} as roas,
    {{ kpi_margin_after_ad_spend('channel_sums.contribution_margin', 'channel_sums.ad_spend') }}
        as margin_after_ad_spend,
    {{ kpi_is_unprofitable('channel_sums.contribution_margin', 'channel_sums.ad_spend') }}
        as is_unprofitable,
    channel_sums.unprofitable_days,
    {{ kpi_rolling_window_flags() }}
from channel_sums
cross join rolling_window
cross join window_days
