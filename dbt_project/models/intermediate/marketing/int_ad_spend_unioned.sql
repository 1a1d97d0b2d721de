-- Campaign-level spend of every ad platform: the spend totals (product rows never add here).
with

unioned as (

    select
        spend_date,
        'google_ads' as platform,
        campaign_id,
        campaign_name,
        impressions,
        clicks,
        spend,
        platform_conversions,
        platform_conversions_value
    from {{ ref('stg_google_ads__campaign_stats') }}

    union all

    select
        spend_date,
        'meta_ads' as platform,
        campaign_id,
        campaign_name,
        impressions,
        clicks,
        spend,
        platform_conversions,
        platform_conversions_value
    from {{ ref('stg_meta_ads__campaign_insights') }}

)

select
    spend_date,
    platform,
    campaign_id,
    campaign_name,
    {{ channel_from_utm('platform', "'(ad_platform)'") }} as channel,
    impressions,
    clicks,
    spend,
    cast(platform_conversions as double) as platform_conversions,
    platform_conversions_value
from unioned
