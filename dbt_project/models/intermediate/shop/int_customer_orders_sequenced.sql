-- Counted orders (not test, not cancelled) of known customers in sequence, with the returning
-- and upsell flags. Guest orders (no customer id) have no sequence.
-- Incremental: every order of the customers with an order landed by this run is re-sequenced
-- (the pre-hook first deletes those customers: one whose orders are all cancelled now has none).
{{ config(
    pre_hook="{{ delete_keys_to_rebuild('customer_id', customers_landed_in_window()) }}",
    **incremental_config('customer_id')
) }}
{%- set windowed = is_windowed_run() %}
with

{%- if windowed %}

    changed_customers as (

        select landed.customer_id from {{ customers_landed_in_window() }} as landed

    ),
{%- endif %}

counted_orders as (

    select
        order_id,
        customer_id,
        ordered_at,
        row_number() over (
            partition by customer_id order by ordered_at, order_id
        ) as customer_order_number
    from {{ ref('int_orders_enriched') }}
    where
        is_counted
        and customer_id is not null
        {%- if windowed %}
            and customer_id in (select changed_customers.customer_id from changed_customers)
        {%- endif %}

),

-- highest ex-tax original unit price per order and category
order_category_prices as (

    select
        counted_orders.customer_id,
        counted_orders.order_id,
        counted_orders.customer_order_number,
        order_lines.category,
        max(order_lines.unit_price_ex_tax) as max_unit_price
    from {{ ref('int_order_lines_enriched') }} as order_lines
    inner join counted_orders on order_lines.order_id = counted_orders.order_id
    where order_lines.category is not null
    group by
        counted_orders.customer_id,
        counted_orders.order_id,
        counted_orders.customer_order_number,
        order_lines.category

),

prices_vs_before as (

    select
        order_id,
        max_unit_price,
        max(max_unit_price) over (
            partition by customer_id, category
            order by customer_order_number
            rows between unbounded preceding and 1 preceding
        ) as previous_max_unit_price
    from order_category_prices

),

upsell_orders as (

    select distinct order_id
    from prices_vs_before
    where max_unit_price > previous_max_unit_price

)

select
    counted_orders.order_id,
    counted_orders.customer_id,
    counted_orders.customer_order_number,
    counted_orders.customer_order_number = 1 as is_first_order,
    counted_orders.customer_order_number > 1 as is_returning_customer_order,
    case
        when counted_orders.customer_order_number > 1 then upsell_orders.order_id is not null
    end as is_upsell_order
from counted_orders
left join upsell_orders on counted_orders.order_id = upsell_orders.order_id
