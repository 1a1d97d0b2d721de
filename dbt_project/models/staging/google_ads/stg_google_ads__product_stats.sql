{{ config(**incremental_config('spend_date')) }}
-- Shopping breakdown: one row per date x campaign x sku. Never added to spend totals.
-- Incremental: a day partition holds the whole report of that day (one API report per day), so
-- a run reads the partitions of its window and replaces those days (spend_date).
with

ranked as (

    select
        date as spend_date,
        campaign_id,
        sku,
        coalesce(impressions, 0) as impressions,
        coalesce(clicks, 0) as clicks,
        cast(cost_micros / 1000000.0 as decimal(18, 4)) as spend,
        coalesce(conversions, 0) as platform_conversions,
        cast(coalesce(conversions_value, 0) as decimal(18, 4)) as platform_conversions_value,
        _partition_date,
        {{ to_timestamptz('_extracted_at') }} as _extracted_at,
        row_number() over (
            partition by date, campaign_id, sku order by _partition_date desc, _extracted_at desc
        ) as version_rank
    from {{ landing_source('google_ads', 'product_stats') }}
    where {{ in_landing_window() }}

)

select
    spend_date,
    campaign_id,
    sku,
    impressions,
    clicks,
    spend,
    platform_conversions,
    platform_conversions_value,
    _partition_date,
    _extracted_at
from ranked
where version_rank = 1
