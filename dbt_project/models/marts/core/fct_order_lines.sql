{{
    config(
        materialized='incremental',
        unique_key='order_id',
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
    )
}}
-- One row per line of a (non-test) order. Incremental: the lines of the orders landed since the
-- window start replace every line of those orders (unique_key order_id: a line removed by an
-- order edit disappears too).
with

changed_orders as (

    select order_id
    from {{ ref('stg_shop__orders') }}
    where not is_test and {{ in_incremental_window('_partition_date') }}

)

select
    lines.line_id,
    lines.order_id,
    lines.customer_id,
    lines.ordered_at,
    lines.order_date,
    lines.is_cancelled,
    lines.is_counted,
    lines.sku,
    lines.category,
    lines.quantity,
    lines.taxes_included,
    lines.original_unit_price,
    lines.unit_price_ex_tax as unit_price,
    lines.gross_revenue,
    lines.discount_amount,
    lines.net_revenue,
    lines.tax_amount,
    lines.unit_cost,
    lines.cogs,
    lines.refunded_qty,
    lines.refunded_revenue,
    lines.refunded_cost,
    cast(
        lines.net_revenue - lines.refunded_revenue - (coalesce(lines.cogs, 0) - coalesce(lines.refunded_cost, 0))
        as decimal(18, 4)
    ) as contribution_margin,
    lines.first_refunded_at
from {{ ref('int_order_lines_enriched') }} as lines
where
    not lines.is_test
    and lines.order_id in (select changed_orders.order_id from changed_orders)
