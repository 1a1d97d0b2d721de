-- One row per day x platform x campaign x sku (docs/marts.md, mart_ad_spend_on_stockouts): the spend
-- of product-level ads on days when the sku had no warehouse stock (int_ad_spend_on_stockouts),
-- with the latest campaign name and the product name.
with

spend_on_stockouts as (
    select * from {{ ref('int_ad_spend_on_stockouts') }}
),

campaigns as (
    select
        platform,
        campaign_id,
        {{ arg_max_of('campaign_name', 'spend_date') }} as campaign_name
    from {{ ref('int_ad_spend_unioned') }}
    group by platform, campaign_id
),

products as (
    select * from {{ ref('dim_products') }}
)

select
    spend_on_stockouts.date,
    spend_on_stockouts.platform,
    spend_on_stockouts.campaign_id,
    campaigns.campaign_name,
    spend_on_stockouts.sku,
    products.product_name,
    spend_on_stockouts.stock_snapshot_date,
    spend_on_stockouts.warehouse_available_qty,
    spend_on_stockouts.impressions,
    spend_on_stockouts.clicks,
    spend_on_stockouts.spend
from spend_on_stockouts
left join campaigns
    on
        spend_on_stockouts.platform = campaigns.platform
        and spend_on_stockouts.campaign_id = campaigns.campaign_id
left join products on spend_on_stockouts.sku = products.sku
