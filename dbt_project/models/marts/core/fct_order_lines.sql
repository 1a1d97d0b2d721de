{{ config(**incremental_config('order_id')) }}
-- One row per line of a (non-test) order. Incremental: the lines of the orders landed since the
-- window start replace every line of those orders (unique_key order_id: a line removed by an
-- order edit disappears too).
with

changed_orders as (

    select order_id
    from {{ ref('stg_shop__orders') }}
    where not is_test and {{ in_landing_window() }}

)

select
    order_lines.line_id,
    order_lines.order_id,
    order_lines.customer_id,
    order_lines.ordered_at,
    order_lines.order_date,
    order_lines.is_cancelled,
    order_lines.is_counted,
    order_lines.sku,
    order_lines.category,
    order_lines.quantity,
    order_lines.taxes_included,
    order_lines.original_unit_price,
    order_lines.unit_price_ex_tax as unit_price,
    order_lines.gross_revenue,
    order_lines.discount_amount,
    order_lines.net_revenue,
    order_lines.tax_amount,
    order_lines.unit_cost,
    order_lines.cogs,
    order_lines.refunded_qty,
    order_lines.refunded_revenue,
    order_lines.refunded_cost,
    {{ kpi_contribution_margin(
        'order_lines.net_revenue',
        'order_lines.refunded_revenue',
        'order_lines.cogs',
        'order_lines.refunded_cost'
    ) }} as contribution_margin,
    order_lines.first_refunded_at,
    {{ run_loaded_at() }} as _loaded_at
from {{ ref('int_order_lines_enriched') }} as order_lines
where
    not order_lines.is_test
    and {{ in_landing_window('order_lines._partition_date') }}
    and order_lines.order_id in (select changed_orders.order_id from changed_orders)
{%- if not is_windowed_run() %}
    -- every row rewritten: in day order (DECISIONLOG "Row order")
    order by order_lines.order_date
{%- endif %}
