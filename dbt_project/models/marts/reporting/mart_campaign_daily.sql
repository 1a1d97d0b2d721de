-- One row per business day x platform x campaign (docs/marts.md, mart_campaign_daily): the campaign's
-- spend that day and the counted orders it brought (orders whose utm_campaign is the campaign's id,
-- by order date). A campaign that spends and converts nothing appears with zeros. Beside ours,
-- the conversions the platform attributes to itself (not comparable: its own attribution rules).
-- is_complete / is_final: the day's flags in int_kpi_calendar (false for a day no extract
-- covered).
-- Incremental, as mart_channel_daily: a windowed run recomputes the days int_kpi_measures_daily
-- wrote in this dbt run (the days of the orders, ad spend and calendar days it changed) and the
-- days not final yet, plus every day of a campaign whose latest name or channel moved or that is
-- new (its orders of earlier days become attributable): campaign_days_to_rebuild.
{{ config(**incremental_config('date')) }}
-- depends_on: {{ ref('int_kpi_measures_daily') }}
{%- set unsettled = kpi_unsettled_periods('date') %}
{%- set windowed = is_windowed_run() and none not in unsettled %}
{%- set days_rewritten = (kpi_periods_rewritten('day') + unsettled + campaign_days_to_rebuild())
    | unique | sort if windowed else [] %}
with

ad_spend as (
    select * from {{ ref('int_ad_spend_unioned') }}
),

-- Every campaign the ad platforms report, with its latest name and its channel (all days: the
-- campaigns' names are read whole, their measures by day).
campaigns as (
    {{ latest_campaigns('ad_spend') }}
),

attributable_orders as (
    select * from {{ ref('fct_orders') }}
    where
        is_counted and utm_campaign is not null
        {%- if windowed %}
            and {{ in_periods('order_date', days_rewritten) }}
        {%- endif %}
),

spend_days as (
    select * from ad_spend
    {%- if windowed %}
        where {{ in_periods('spend_date', days_rewritten) }}
    {%- endif %}
),

campaign_spend_days as (
    select
        spend_date as date,  -- noqa: RF04
        platform,
        campaign_id,
        cast(coalesce(sum(impressions), 0) as bigint) as impressions,
        cast(coalesce(sum(clicks), 0) as bigint) as clicks,
        coalesce(sum(spend), 0) as spend,
        sum(platform_conversions) as platform_conversions,
        sum(platform_conversions_value) as platform_conversions_value
    from spend_days
    group by spend_date, platform, campaign_id
),

campaign_order_days as (
    select
        campaigns.platform,
        campaigns.campaign_id,
        attributable_orders.order_date as date,  -- noqa: RF04
        {{ order_measures() }}
    from attributable_orders
    inner join campaigns on attributable_orders.utm_campaign = campaigns.campaign_id
    group by campaigns.platform, campaigns.campaign_id, attributable_orders.order_date
),

campaign_days as (
    select
        date,
        platform,
        campaign_id
    from campaign_spend_days
    union
    select
        date,
        platform,
        campaign_id
    from campaign_order_days
),

campaign_measures as (
    select
        campaign_days.date,
        campaign_days.platform,
        campaign_days.campaign_id,
        campaigns.campaign_name,
        campaigns.channel,
        coalesce(campaign_spend_days.impressions, 0) as impressions,
        coalesce(campaign_spend_days.clicks, 0) as clicks,
        coalesce(campaign_spend_days.spend, 0) as spend,
        coalesce(campaign_spend_days.platform_conversions, 0) as platform_conversions,
        coalesce(campaign_spend_days.platform_conversions_value, 0) as platform_conversions_value,
        coalesce(calendar.is_complete, false) as is_complete,
        coalesce(calendar.is_final, false) as is_final,
        coalesce(campaign_order_days.orders, 0) as attributed_orders,
        coalesce(campaign_order_days.net_revenue, 0) as attributed_net_revenue,
        coalesce(campaign_order_days.contribution_margin, 0) as attributed_contribution_margin
    from campaign_days
    inner join campaigns
        on
            campaign_days.platform = campaigns.platform
            and campaign_days.campaign_id = campaigns.campaign_id
    left join campaign_spend_days
        on
            campaign_days.date = campaign_spend_days.date
            and campaign_days.platform = campaign_spend_days.platform
            and campaign_days.campaign_id = campaign_spend_days.campaign_id
    left join campaign_order_days
        on
            campaign_days.date = campaign_order_days.date
            and campaign_days.platform = campaign_order_days.platform
            and campaign_days.campaign_id = campaign_order_days.campaign_id
    left join {{ ref('int_kpi_calendar') }} as calendar on campaign_days.date = calendar.date
)

select
    date,
    platform,
    campaign_id,
    campaign_name,
    channel,
    impressions,
    clicks,
    spend,
    {{ kpi_ctr('clicks', 'impressions') }} as ctr,
    {{ kpi_cpc('spend', 'clicks') }} as cpc,
    attributed_orders,
    attributed_net_revenue,
    attributed_contribution_margin,
    {{ kpi_roas('attributed_net_revenue', 'spend') }} as roas,
    {{ kpi_margin_after_ad_spend('attributed_contribution_margin', 'spend') }} as margin_after_ad_spend,
    {{ kpi_is_unprofitable('attributed_contribution_margin', 'spend') }} as is_unprofitable,
    platform_conversions,
    platform_conversions_value,
    is_complete,
    is_final
from campaign_measures
