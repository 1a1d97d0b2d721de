{{ config(**incremental_config('date')) }}
-- Spend of product-level ads (ad rows that name a sku) on days when the sku had no warehouse
-- stock, one row per day x platform x campaign x sku, without the names (the mart
-- mart_ad_spend_on_stockouts adds the current campaign and product names). The stock of a day is
-- the latest warehouse snapshot on or before that day; a day before the first snapshot of the
-- sku has no known stock and is left out.
-- Incremental: a windowed run recomputes the spend days from its first day on: the ad rows it
-- landed are of those days (one report per day), and a catalog snapshot it landed changes the
-- stock of those days only.
with

product_ad_spend as (
    select * from {{ ref('int_product_ad_spend_unioned') }}
    where
        sku is not null
        {%- if is_windowed_run() %}
            and spend_date >= {{ partition_start_date() }}
        {%- endif %}
),

warehouse_stock as (
    select * from {{ ref('int_warehouse_stock_daily') }}
),

sku_spend_days as (
    select distinct
        spend_date,
        sku
    from product_ad_spend
),

-- the stock snapshot of each spend day: the latest on or before it
stock_snapshot_days as (
    select
        latest_snapshots.spend_date,
        latest_snapshots.sku,
        latest_snapshots.snapshot_date as stock_snapshot_date
    from (
        {{ latest_snapshot_days(
            'sku_spend_days', 'spend_date', 'warehouse_stock', few_pairs=is_windowed_run()
        ) }}
    ) as latest_snapshots
),

stockout_days as (
    select
        stock_snapshot_days.spend_date,
        stock_snapshot_days.sku,
        stock_snapshot_days.stock_snapshot_date,
        warehouse_stock.warehouse_available_qty
    from stock_snapshot_days
    inner join warehouse_stock
        on
            stock_snapshot_days.sku = warehouse_stock.sku
            and stock_snapshot_days.stock_snapshot_date = warehouse_stock.snapshot_date
    where warehouse_stock.warehouse_available_qty <= 0
),

spend_on_stockouts as (
    select
        product_ad_spend.spend_date as date,  -- noqa: RF04
        product_ad_spend.platform,
        product_ad_spend.campaign_id,
        product_ad_spend.sku,
        stockout_days.stock_snapshot_date,
        stockout_days.warehouse_available_qty,
        cast(coalesce(sum(product_ad_spend.impressions), 0) as bigint) as impressions,
        cast(coalesce(sum(product_ad_spend.clicks), 0) as bigint) as clicks,
        coalesce(sum(product_ad_spend.spend), 0) as spend
    from product_ad_spend
    inner join stockout_days
        on
            product_ad_spend.spend_date = stockout_days.spend_date
            and product_ad_spend.sku = stockout_days.sku
    group by
        product_ad_spend.spend_date,
        product_ad_spend.platform,
        product_ad_spend.campaign_id,
        product_ad_spend.sku,
        stockout_days.stock_snapshot_date,
        stockout_days.warehouse_available_qty
)

select
    date,
    platform,
    campaign_id,
    sku,
    stock_snapshot_date,
    warehouse_available_qty,
    impressions,
    clicks,
    spend
from spend_on_stockouts
