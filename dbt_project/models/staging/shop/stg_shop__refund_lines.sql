{{ config(**incremental_config('order_id')) }}
-- Refund line items of the chosen (latest) version of each order.
-- Incremental: the refund lines of the orders landed by this run replace their previous ones.
with

orders as (

    select
        order_id,
        updated_at,
        _partition_date,
        _extracted_at,
        taxes_included
    from {{ ref('stg_shop__orders') }}
    where {{ in_landing_window() }}

),

refund_lines as (

    select
        order_id,
        {{ to_timestamptz('order_updated_at') }} as order_updated_at,
        refund_id,
        {{ to_timestamptz('refund_created_at') }} as refund_created_at,
        line_id,
        quantity,
        subtotal,
        _partition_date,
        {{ to_timestamptz('_extracted_at') }} as _extracted_at
    from {{ landing_source('shop', 'refund_lines') }}
    where {{ in_landing_window() }}

),

ranked as (

    select
        refund_lines.refund_id,
        refund_lines.line_id,
        refund_lines.order_id,
        refund_lines.refund_created_at,
        {{ to_shop_date('refund_lines.refund_created_at') }} as refund_date,
        refund_lines.quantity as refunded_qty,
        -- tax-included when the order's prices include tax (Shopify), see DECISIONLOG
        cast(refund_lines.subtotal as decimal(18, 4)) as refund_subtotal,
        orders.taxes_included,
        row_number() over (
            partition by refund_lines.refund_id, refund_lines.line_id order by refund_lines.quantity desc
        ) as version_rank
    from refund_lines
    inner join orders
        on
            refund_lines.order_id = orders.order_id
            and refund_lines.order_updated_at = orders.updated_at
            and refund_lines._partition_date = orders._partition_date
            and refund_lines._extracted_at = orders._extracted_at

)

select
    refund_id,
    line_id,
    order_id,
    refund_created_at,
    refund_date,
    refunded_qty,
    refund_subtotal,
    taxes_included
from ranked
where version_rank = 1
