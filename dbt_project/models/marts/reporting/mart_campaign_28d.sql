{{ config(materialized='table') }}
-- One row per platform x campaign over the rolling 28 days up to the last complete day
-- (mart_campaign_28d): the additive columns of mart_campaign_daily summed over the window, and the
-- contract's ratios of those sums (macros/reporting/kpi_formulas.sql); unprofitable is the daily
-- mart's rule on the window's totals. The campaign's name is its latest in the window. What the
-- KPI report's campaign view shows, as published. A table: the window moves every day.
with

{{ kpi_rolling_window_ctes() }}

campaign_sums as (
    select
        campaign_days.platform,
        campaign_days.campaign_id,
        {{ arg_max_of('campaign_days.campaign_name', 'campaign_days.date') }} as campaign_name,
        sum(campaign_days.impressions) as impressions,
        sum(campaign_days.clicks) as clicks,
        sum(campaign_days.spend) as spend,
        sum(campaign_days.attributed_orders) as attributed_orders,
        sum(campaign_days.attributed_net_revenue) as attributed_net_revenue,
        sum(campaign_days.attributed_contribution_margin) as attributed_contribution_margin,
        count(*) filter (where campaign_days.is_unprofitable) as unprofitable_days
    from {{ ref('mart_campaign_daily') }} as campaign_days
    cross join rolling_window
    where campaign_days.date between rolling_window.window_start_date and rolling_window.as_of_date
    group by campaign_days.platform, campaign_days.campaign_id
)

select
    rolling_window.as_of_date,
    rolling_window.window_start_date,
    campaign_sums.platform,
    campaign_sums.campaign_id,
    campaign_sums.campaign_name,
    campaign_sums.impressions,
    campaign_sums.clicks,
    campaign_sums.spend,
    {{ kpi_ctr('campaign_sums.clicks', 'campaign_sums.impressions') }} as ctr,
    {{ kpi_cpc('campaign_sums.spend', 'campaign_sums.clicks') }} as cpc,
    campaign_sums.attributed_orders,
    campaign_sums.attributed_net_revenue,
    campaign_sums.attributed_contribution_margin,
    {{ kpi_roas('campaign_sums.attributed_net_revenue', 'campaign_sums.spend') }} as roas,
    {{ kpi_margin_after_ad_spend('campaign_sums.attributed_contribution_margin', 'campaign_sums.spend') }}
        as margin_after_ad_spend,
    {{ kpi_is_unprofitable('campaign_sums.attributed_contribution_margin', 'campaign_sums.spend') }}
        as is_unprofitable,
    campaign_sums.unprofitable_days,
    {{ kpi_rolling_window_flags() }}
from campaign_sums
cross join rolling_window
cross join window_days
