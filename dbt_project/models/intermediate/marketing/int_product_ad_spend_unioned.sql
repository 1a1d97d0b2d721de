-- Product-level ad rows (rows that name a sku): a breakdown of the campaign rows, never a total.
select
    spend_date,
    'google_ads' as platform,
    campaign_id,
    cast(null as {{ type_text() }}) as ad_id,
    sku,
    impressions,
    clicks,
    spend
from {{ ref('stg_google_ads__product_stats') }}

union all

select
    spend_date,
    'meta_ads' as platform,
    campaign_id,
    ad_id,
    sku,
    impressions,
    clicks,
    spend
from {{ ref('stg_meta_ads__ad_insights') }}
where sku is not null
