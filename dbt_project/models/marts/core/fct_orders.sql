{{ config(**incremental_config('order_id')) }}
-- One row per (non-test) order. Incremental: the orders landed since the window start, and the
-- other orders of their customers whose sequence flags moved, are recomputed and replaced.
with

changed_orders as (

    select
        order_id,
        customer_id
    from {{ ref('int_orders_enriched') }}
    where not is_test and {{ in_landing_window() }}

),

changed_customers as (

    select distinct customer_id
    from changed_orders
    where customer_id is not null

),

-- the sequences of those customers' orders: every order to rebuild that has one is among them
customer_sequences as (

    select
        order_id,
        customer_order_number,
        is_first_order,
        is_returning_customer_order,
        is_upsell_order
    from {{ ref('int_customer_orders_sequenced') }}
    where customer_id in (select changed_customers.customer_id from changed_customers)

),
-- the other orders of those customers whose sequence flags moved (an earlier order cancelled, an
-- order landed late): only they are rewritten with the changed orders, so the reporting marts
-- recompute the days of the rows that changed, not of every order of every changed customer
{%- if incremental_run() %}

    -- their flags as the previous runs wrote them; narrowed to those customers before the join:
    -- joined whole, every order of the history was the join's build side (3.5 s at two years)
    previous_sequences as (

        select
            order_id,
            customer_order_number,
            is_first_order,
            is_returning_customer_order,
            is_upsell_order
        from {{ this }}
        where customer_id in (select changed_customers.customer_id from changed_customers)

    ),

    resequenced_orders as (

        select sequenced.order_id
        from customer_sequences as sequenced
        left join previous_sequences as previous on sequenced.order_id = previous.order_id
        where
            previous.order_id is null
            or sequenced.customer_order_number is distinct from previous.customer_order_number
            or sequenced.is_first_order is distinct from previous.is_first_order
            or sequenced.is_returning_customer_order is distinct from previous.is_returning_customer_order
            or sequenced.is_upsell_order is distinct from previous.is_upsell_order

    ),
{%- else %}

    resequenced_orders as (

        select order_id from customer_sequences

    ),
{%- endif %}

resequenced_only as (

    select order_id from resequenced_orders
    except
    select order_id from changed_orders

),

-- The changed orders are read from the row groups of their landing days; only the other orders
-- to rebuild (usually none) are looked up by id: a lookup of every order to rebuild by id read
-- every column of every order of the history (2 s at two years). Each read of
-- int_orders_enriched names its own columns: a shared `select *` CTE would be materialised whole.
orders_to_rebuild as (

    select orders.*
    from {{ ref('int_orders_enriched') }} as orders
    where not orders.is_test and {{ in_landing_window() }}
    union all
    select orders.*
    from {{ ref('int_orders_enriched') }} as orders
    inner join resequenced_only on orders.order_id = resequenced_only.order_id
    where not orders.is_test

)

select
    orders_to_rebuild.order_id,
    orders_to_rebuild.order_name,
    orders_to_rebuild.customer_id,
    orders_to_rebuild.ordered_at,
    orders_to_rebuild.order_date,
    cast(extract(hour from orders_to_rebuild.ordered_at_shop_time) as integer) as order_hour,
    cast({{ iso_weekday('orders_to_rebuild.ordered_at_shop_time') }} as integer) as order_isodow,
    orders_to_rebuild.channel,
    orders_to_rebuild.utm_source,
    orders_to_rebuild.utm_medium,
    orders_to_rebuild.utm_campaign,
    orders_to_rebuild.source_name,
    orders_to_rebuild.currency_code,
    orders_to_rebuild.taxes_included,
    orders_to_rebuild.is_cancelled,
    orders_to_rebuild.cancelled_at,
    orders_to_rebuild.is_counted,
    customer_sequences.customer_order_number,
    coalesce(customer_sequences.is_first_order, false) as is_first_order,
    coalesce(customer_sequences.is_returning_customer_order, false) as is_returning_customer_order,
    customer_sequences.is_upsell_order,
    orders_to_rebuild.lines_count,
    orders_to_rebuild.items_qty,
    orders_to_rebuild.distinct_categories,
    orders_to_rebuild.gross_revenue,
    orders_to_rebuild.discounts,
    orders_to_rebuild.net_revenue,
    orders_to_rebuild.tax_amount,
    orders_to_rebuild.cogs,
    orders_to_rebuild.refunded_revenue,
    orders_to_rebuild.refunded_qty,
    orders_to_rebuild.refunded_cost,
    {{ kpi_contribution_margin(
        'orders_to_rebuild.net_revenue',
        'orders_to_rebuild.refunded_revenue',
        'orders_to_rebuild.cogs',
        'orders_to_rebuild.refunded_cost'
    ) }} as contribution_margin,
    orders_to_rebuild.lines_without_cost,
    orders_to_rebuild.fulfilled_at,
    orders_to_rebuild.processing_hours,
    case
        when orders_to_rebuild.fulfilled_at is not null then orders_to_rebuild.processing_hours <= 48
    end as is_shipped_within_48h,
    orders_to_rebuild.updated_at,
    orders_to_rebuild._partition_date,
    {{ run_loaded_at() }} as _loaded_at
from orders_to_rebuild
left join customer_sequences on orders_to_rebuild.order_id = customer_sequences.order_id
{%- if not is_windowed_run() %}
    -- every row rewritten: in day order (DECISIONLOG "Row order")
    order by orders_to_rebuild.order_date
{%- endif %}
