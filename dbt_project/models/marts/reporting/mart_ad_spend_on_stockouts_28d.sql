{{ config(materialized='table') }}
-- One row per sku that product-level ads spent on while it had no warehouse stock, over the
-- rolling 28 days up to the last complete day (mart_ad_spend_on_stockouts_28d): the spend of
-- mart_ad_spend_on_stockouts summed over the window, on how many days, by which platforms and
-- campaigns, and the window's total over every sku. What the KPI report's out-of-stock view
-- shows, as published. A table: the window moves every day.
with

rolling_window as (
    {{ kpi_rolling_window() }}
),

window_rows as (
    select
        stockouts.*,
        coalesce(stockouts.campaign_name, stockouts.campaign_id) as campaign_label
    from {{ ref('mart_ad_spend_on_stockouts') }} as stockouts
    cross join rolling_window
    where stockouts.date between rolling_window.window_start_date and rolling_window.as_of_date
),

sku_sums as (
    select
        sku,
        max(product_name) as product_name,
        sum(spend) as spend,
        count(distinct date) as spend_days,
        {{ sorted_distinct_list('platform') }} as platforms,
        {{ sorted_distinct_list('campaign_label') }} as campaigns
    from window_rows
    group by sku
)

select
    rolling_window.as_of_date,
    rolling_window.window_start_date,
    sku_sums.sku,
    sku_sums.product_name,
    sku_sums.spend,
    sku_sums.spend_days,
    sku_sums.platforms,
    sku_sums.campaigns,
    sum(sku_sums.spend) over () as window_spend
from sku_sums
cross join rolling_window
