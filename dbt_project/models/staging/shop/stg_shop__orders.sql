{{ config(**incremental_config('order_id')) }}
-- One row per order: the latest landed version (updated_at, then partition day, then extraction).
-- Incremental: the orders landed by this run (and later days) replace their previous row.
with

order_versions as (

    select
        order_id,
        order_name,
        customer_id,
        {{ to_timestamptz('created_at') }} as created_at,
        {{ to_timestamptz('updated_at') }} as updated_at,
        {{ to_timestamptz('processed_at') }} as processed_at,
        {{ to_timestamptz('cancelled_at') }} as cancelled_at,
        coalesce(is_test, false) as is_test,
        currency_code,
        coalesce(taxes_included, false) as taxes_included,
        source_name,
        landing_page,
        nullif(trim(utm_source), '') as utm_source,
        nullif(trim(utm_medium), '') as utm_medium,
        nullif(trim(utm_campaign), '') as utm_campaign,
        nullif(trim(utm_content), '') as utm_content,
        nullif(trim(utm_term), '') as utm_term,
        _partition_date,
        {{ to_timestamptz('_extracted_at') }} as _extracted_at,
        _source_mode
    from {{ landing_source('shop', 'orders') }}
    where {{ in_landing_window() }}

),

ranked_versions as (

    select
        *,
        row_number() over (
            partition by order_id
            order by updated_at desc, _partition_date desc, _extracted_at desc
        ) as version_rank
    from order_versions

),

latest_versions as (

    select *
    from ranked_versions
    where version_rank = 1

)

select
    order_id,
    order_name,
    customer_id,
    created_at,
    {{ to_shop_date('created_at') }} as order_date,
    updated_at,
    processed_at,
    cancelled_at,
    cancelled_at is not null as is_cancelled,
    is_test,
    currency_code,
    taxes_included,
    source_name,
    landing_page,
    utm_source,
    utm_medium,
    utm_campaign,
    utm_content,
    utm_term,
    _partition_date,
    _extracted_at,
    _source_mode
from latest_versions
