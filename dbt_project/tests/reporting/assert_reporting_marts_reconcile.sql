{{ config(meta={'dagster': {'ref': {'name': 'mart_kpi_daily'}}}) }}
-- The marts tell one story: per day, the channel rows add up to the KPI day (sessions, orders,
-- net revenue, new customers, ad spend), the campaign rows to its ad spend, the support rows to
-- its tickets; per month, the days add up to the month. Returns every mismatch.
with

kpi_daily as (
    select * from {{ ref('mart_kpi_daily') }}
),

channel_days as (
    select
        date,
        sum(sessions) as sessions,
        sum(orders) as orders,
        sum(net_revenue) as net_revenue,
        sum(new_customers) as new_customers,
        sum(ad_spend) as ad_spend
    from {{ ref('mart_channel_daily') }}
    group by date
),

campaign_days as (
    select
        date,
        sum(spend) as spend
    from {{ ref('mart_campaign_daily') }}
    group by date
),

support_days as (
    select
        date,
        sum(tickets) as tickets
    from {{ ref('mart_support_daily') }}
    group by date
),

daily_months as (
    select
        cast(date_trunc('month', date) as date) as month_start,
        sum(sessions) as sessions,
        sum(orders) as orders,
        sum(cancelled_orders) as cancelled_orders,
        sum(net_revenue) as net_revenue,
        sum(new_customers) as new_customers,
        sum(ad_spend) as ad_spend,
        sum(tickets) as tickets
    from kpi_daily
    group by cast(date_trunc('month', date) as date)
),

daily_mismatches as (
    select
        'day' as grain,
        kpi_daily.date as period_start,
        'channels vs kpi_daily' as comparison
    from kpi_daily
    left join channel_days on kpi_daily.date = channel_days.date
    left join campaign_days on kpi_daily.date = campaign_days.date
    left join support_days on kpi_daily.date = support_days.date
    where
        kpi_daily.sessions != coalesce(channel_days.sessions, 0)
        or kpi_daily.orders != coalesce(channel_days.orders, 0)
        or abs(kpi_daily.net_revenue - coalesce(channel_days.net_revenue, 0)) > 0.01
        or kpi_daily.new_customers != coalesce(channel_days.new_customers, 0)
        or abs(kpi_daily.ad_spend - coalesce(channel_days.ad_spend, 0)) > 0.01
        or abs(kpi_daily.ad_spend - coalesce(campaign_days.spend, 0)) > 0.01
        or kpi_daily.tickets != coalesce(support_days.tickets, 0)
),

monthly_mismatches as (
    select
        'month' as grain,
        kpi_monthly.month_start as period_start,
        'days vs kpi_monthly' as comparison
    from {{ ref('mart_kpi_monthly') }} as kpi_monthly
    full outer join daily_months on kpi_monthly.month_start = daily_months.month_start
    where
        kpi_monthly.month_start is null
        or daily_months.month_start is null
        or kpi_monthly.sessions != daily_months.sessions
        or kpi_monthly.orders != daily_months.orders
        or kpi_monthly.cancelled_orders != daily_months.cancelled_orders
        or abs(kpi_monthly.net_revenue - daily_months.net_revenue) > 0.01
        or kpi_monthly.new_customers != daily_months.new_customers
        or abs(kpi_monthly.ad_spend - daily_months.ad_spend) > 0.01
        or kpi_monthly.tickets != daily_months.tickets
)

select * from daily_mismatches
union all
select * from monthly_mismatches
