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
    unioned.spend_date,
    unioned.platform,
    unioned.campaign_id,
    unioned.campaign_name,
    {{ channel_from_utm('unioned.platform', "'(ad_platform)'") }} as channel,
    unioned.impressions,
    unioned.clicks,
    unioned.spend,
    cast(unioned.platform_conversions as {{ type_double() }}) as platform_conversions,
    unioned.platform_conversions_value
from unioned
{{ channel_mapping_joins('unioned.platform', "'(ad_platform)'") }}
