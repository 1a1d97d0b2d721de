{{ config(meta={'dagster': {'ref': {'name': 'fct_orders'}}}) }}
-- fct_orders totals equal the sum of their fct_order_lines (formulas computed once). A
-- partitioned run checks the orders it landed (macros/tests/test_window.sql).
{%- set start = partition_start_date() %}
with

orders as (

    select *
    from {{ ref('fct_orders') }}
    {%- if start %}
        where _partition_date >= {{ start }}
    {%- endif %}

),

line_totals as (

    select
        order_id,
        sum(net_revenue) as net_revenue,
        sum(quantity) as items_qty,
        sum(refunded_qty) as refunded_qty,
        sum(refunded_revenue) as refunded_revenue
    from {{ ref('fct_order_lines') }}
    where order_id in (select orders.order_id from orders)
    group by order_id

)

select
    orders.order_id,
    orders.net_revenue,
    line_totals.net_revenue as lines_net_revenue
from orders
left join line_totals on orders.order_id = line_totals.order_id
where
    coalesce(line_totals.net_revenue, 0) <> orders.net_revenue
    or coalesce(line_totals.items_qty, 0) <> orders.items_qty
    or coalesce(line_totals.refunded_qty, 0) <> orders.refunded_qty
    or coalesce(line_totals.refunded_revenue, 0) <> orders.refunded_revenue
