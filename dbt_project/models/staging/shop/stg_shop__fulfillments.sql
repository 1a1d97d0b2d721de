{{ config(**incremental_config('order_id')) }}
-- Fulfilments of the chosen (latest) version of each order.
-- Incremental: the fulfilments of the orders landed by this run replace their previous ones.
with

orders as (

    select
        order_id,
        updated_at,
        _partition_date,
        _extracted_at
    from {{ ref('stg_shop__orders') }}
    where {{ in_landing_window() }}

),

fulfillments as (

    select
        order_id,
        {{ to_timestamptz('order_updated_at') }} as order_updated_at,
        fulfillment_index,
        {{ to_timestamptz('created_at') }} as created_at,
        lower(status) as status,
        _partition_date,
        {{ to_timestamptz('_extracted_at') }} as _extracted_at
    from {{ landing_source('shop', 'fulfillments') }}
    where {{ in_landing_window() }}

),

ranked as (

    select
        fulfillments.order_id
        || '#'
        || cast(fulfillments.fulfillment_index as {{ type_text() }}) as fulfillment_key,
        fulfillments.order_id,
        fulfillments.fulfillment_index,
        fulfillments.created_at as fulfilled_at,
        fulfillments.status,
        coalesce(fulfillments.status not in ('cancelled', 'error', 'failure'), true) as is_effective,
        row_number() over (
            partition by fulfillments.order_id, fulfillments.fulfillment_index
            order by fulfillments.created_at
        ) as version_rank
    from fulfillments
    inner join orders
        on
            fulfillments.order_id = orders.order_id
            and fulfillments.order_updated_at = orders.updated_at
            and fulfillments._partition_date = orders._partition_date
            and fulfillments._extracted_at = orders._extracted_at

)

select
    fulfillment_key,
    order_id,
    fulfillment_index,
    fulfilled_at,
    status,
    is_effective
from ranked
where version_rank = 1
