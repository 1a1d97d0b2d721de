-- One row per customer with at least one counted order.
select
    customer_id,
    min(order_date) as first_order_date,
    max(order_date) as last_order_date,
    count(*) as orders_count,
    cast(sum(net_revenue) as decimal(18, 4)) as lifetime_net_revenue,
    cast(sum(refunded_revenue) as decimal(18, 4)) as lifetime_refunded_revenue,
    cast(sum(contribution_margin) as decimal(18, 4)) as lifetime_margin
from {{ ref('fct_orders') }}
where is_counted and customer_id is not null
group by customer_id
