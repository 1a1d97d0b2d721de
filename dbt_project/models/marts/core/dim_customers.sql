{{ config(
    pre_hook="{{ delete_keys_to_rebuild('customer_id', customers_to_rebuild()) }}",
    **incremental_config('customer_id')
) }}
-- One row per customer with at least one counted order. Incremental: the customers of the
-- fct_orders rows written since this table's last build are recomputed from all their orders
-- (aggregating all 4 M orders every day was the model's cost growing with history); the
-- pre-hook deletes them first, so that a customer left without a counted order disappears.
select
    customer_id,
    min(order_date) as first_order_date,
    max(order_date) as last_order_date,
    count(*) as orders_count,
    cast(sum(net_revenue) as decimal(18, 4)) as lifetime_net_revenue,
    cast(sum(refunded_revenue) as decimal(18, 4)) as lifetime_refunded_revenue,
    cast(sum(contribution_margin) as decimal(18, 4)) as lifetime_margin,
    {{ run_loaded_at() }} as _loaded_at
from {{ ref('fct_orders') }}
where
    is_counted
    and customer_id is not null
    {%- if incremental_run() %}
        and customer_id in (select rebuilt.customer_id from {{ customers_to_rebuild() }} as rebuilt)
    {%- endif %}
group by customer_id
