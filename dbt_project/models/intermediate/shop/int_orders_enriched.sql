{{ config(**incremental_config('order_id')) }}
-- One row per order (test orders included, flagged): header, channel, line totals, fulfilment.
-- Incremental: the orders landed by this run are recomputed (as in int_order_lines_enriched).
{%- set windowed = is_windowed_run() %}
with

orders as (

    select
        order_id,
        order_name,
        customer_id,
        created_at as ordered_at,
        order_date,
        cancelled_at,
        is_cancelled,
        is_test,
        taxes_included,
        currency_code,
        source_name,
        utm_source,
        utm_medium,
        utm_campaign,
        updated_at,
        _partition_date
    from {{ ref('stg_shop__orders') }}
    where {{ in_landing_window() }}

),

line_totals as (

    select
        order_id,
        count(*) as lines_count,
        sum(quantity) as items_qty,
        count(distinct category) as distinct_categories,
        sum(gross_revenue) as gross_revenue,
        sum(discount_amount) as discounts,
        sum(net_revenue) as net_revenue,
        sum(tax_amount) as tax_amount,
        sum(coalesce(cogs, 0)) as cogs,
        sum(refunded_qty) as refunded_qty,
        sum(refunded_revenue) as refunded_revenue,
        sum(coalesce(refunded_cost, 0)) as refunded_cost,
        count(*) filter (where unit_cost is null) as lines_without_cost
    from {{ ref('int_order_lines_enriched') }}
    where
        {{ in_landing_window() }}
        {%- if windowed %}
            and order_id in {{ orders_landed_in_window() }}
        {%- endif %}
    group by order_id

),

first_fulfillments as (

    select
        order_id,
        min(fulfilled_at) as fulfilled_at
    from {{ ref('stg_shop__fulfillments') }}
    where
        is_effective
        {%- if windowed %}
            and order_id in {{ orders_landed_in_window() }}
        {%- endif %}
    group by order_id

)

select
    orders.order_id,
    orders.order_name,
    orders.customer_id,
    orders.ordered_at,
    orders.order_date,
    {{ to_shop_time('orders.ordered_at') }} as ordered_at_shop_time,
    orders.cancelled_at,
    orders.is_cancelled,
    orders.is_test,
    not orders.is_test and not orders.is_cancelled as is_counted,
    orders.taxes_included,
    orders.currency_code,
    orders.source_name,
    orders.utm_source,
    orders.utm_medium,
    orders.utm_campaign,
    {{ channel_from_utm('orders.utm_source', 'orders.utm_medium') }} as channel,
    cast(coalesce(line_totals.lines_count, 0) as bigint) as lines_count,
    cast(coalesce(line_totals.items_qty, 0) as bigint) as items_qty,
    cast(coalesce(line_totals.distinct_categories, 0) as bigint) as distinct_categories,
    cast(coalesce(line_totals.gross_revenue, 0) as decimal(18, 4)) as gross_revenue,
    cast(coalesce(line_totals.discounts, 0) as decimal(18, 4)) as discounts,
    cast(coalesce(line_totals.net_revenue, 0) as decimal(18, 4)) as net_revenue,
    cast(coalesce(line_totals.tax_amount, 0) as decimal(18, 4)) as tax_amount,
    cast(coalesce(line_totals.cogs, 0) as decimal(18, 4)) as cogs,
    cast(coalesce(line_totals.refunded_qty, 0) as bigint) as refunded_qty,
    cast(coalesce(line_totals.refunded_revenue, 0) as decimal(18, 4)) as refunded_revenue,
    cast(coalesce(line_totals.refunded_cost, 0) as decimal(18, 4)) as refunded_cost,
    cast(coalesce(line_totals.lines_without_cost, 0) as bigint) as lines_without_cost,
    first_fulfillments.fulfilled_at,
    {{ hours_between('orders.ordered_at', 'first_fulfillments.fulfilled_at') }} as processing_hours,
    orders.updated_at,
    orders._partition_date
from orders
left join line_totals on orders.order_id = line_totals.order_id
left join first_fulfillments on orders.order_id = first_fulfillments.order_id
{{ channel_mapping_joins('orders.utm_source', 'orders.utm_medium') }}
