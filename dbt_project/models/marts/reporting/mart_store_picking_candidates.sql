-- One row per store x sku that should be picked in store and sold online, as of the run's day D
-- (marts.md, mart_store_picking_candidates). D = var partition_end, else the latest RFID count
-- date. Thresholds are the picking_* vars of dbt_project.yml.
{%- set window_days = var('picking_depletion_window_days') %}

with

store_stock as (
    select * from {{ ref('fct_store_stock_daily') }}
),

-- Online sales: counted orders, except those the shop's point of sale took in a store.
in_store_orders as (
    select order_id from {{ ref('fct_orders') }}
    where source_name in ({{ reporting_in_store_source_names() }})
),

order_lines as (
    select * from {{ ref('fct_order_lines') }}
    where is_counted and order_id not in (select in_store_orders.order_id from in_store_orders)
),

products as (
    select * from {{ ref('dim_products') }}
),

stores as (
    select * from {{ ref('dim_stores') }}
),

-- The fallback reads the fact itself: a second reference to store_stock would make DuckDB
-- materialise that CTE, all 40 M rows x every column at 2 years (4 s of the mart's 5.6).
run_day as (
    select
        {{ reporting_as_of_date('select max(count_date) from ' ~ ref('fct_store_stock_daily')) }}
            as as_of_date
),

-- Each pair's count history up to D: latest count, first count, depletion over (D-28, D].
pair_history as (
    select
        store_stock.store_id,
        store_stock.sku,
        run_day.as_of_date,
        {{ arg_max_of('store_stock.on_hand_qty', 'store_stock.count_date') }} as on_hand_qty,
        max(store_stock.count_date) as last_count_date,
        min(store_stock.count_date) as first_count_date,
        cast(coalesce(
            sum(store_stock.depletion_qty)
            filter (where store_stock.count_date > run_day.as_of_date - {{ window_days }}),
            0
        ) as bigint) as depletion_28d,
        max(store_stock.count_date) filter (where store_stock.depletion_qty > 0) as last_depletion_date
    from store_stock
    inner join run_day on store_stock.count_date <= run_day.as_of_date
    group by store_stock.store_id, store_stock.sku, run_day.as_of_date
),

online_sales as (
    select
        order_lines.sku,
        cast(sum(order_lines.quantity) as bigint) as online_units_sold_28d
    from order_lines
    inner join run_day
        on
            order_lines.order_date > run_day.as_of_date - {{ window_days }}
            and order_lines.order_date <= run_day.as_of_date
    group by order_lines.sku
),

pairs as (
    select
        pair_history.as_of_date,
        pair_history.store_id,
        pair_history.sku,
        products.gtin,
        products.product_name,
        products.category,
        pair_history.on_hand_qty,
        pair_history.last_count_date,
        pair_history.first_count_date,
        pair_history.depletion_28d,
        cast(pair_history.depletion_28d as {{ type_double() }}) / {{ window_days }} as avg_daily_depletion,
        {{ safe_divide(
            'pair_history.on_hand_qty',
            'cast(pair_history.depletion_28d as ' ~ type_double() ~ ') / ' ~ window_days,
        ) }}
            as days_of_cover,
        {{ days_between('pair_history.last_depletion_date', 'pair_history.as_of_date') }}
            as days_since_last_depletion,
        coalesce(online_sales.online_units_sold_28d, 0) as online_units_sold_28d,
        products.warehouse_available_qty,
        coalesce(products.warehouse_available_qty = 0, false) as online_stockout,
        pair_history.on_hand_qty
        - coalesce(stores.display_min_qty, {{ var('default_display_min_qty') }}) as transferable_qty,
        products.list_price as unit_price,
        products.unit_cost
    from pair_history
    left join products on pair_history.sku = products.sku
    left join stores on pair_history.store_id = stores.store_id
    left join online_sales on pair_history.sku = online_sales.sku
),

candidates as (
    select
        *,
        transferable_qty * (unit_price - unit_cost) as potential_margin
    from pairs
    where
        -- counted recently: a count within the last picking_recent_count_days days, (D-7, D]
        last_count_date > as_of_date - {{ var('picking_recent_count_days') }}
        and transferable_qty >= 1
        -- slow in store
        and (
            days_of_cover >= {{ var('picking_min_days_of_cover') }}
            or (
                days_of_cover is null
                and first_count_date <= as_of_date - {{ var('picking_min_counted_days') }}
            )
        )
        -- sells online
        and online_units_sold_28d >= {{ var('picking_min_online_units') }}
)

select
    as_of_date,
    store_id,
    sku,
    gtin,
    product_name,
    category,
    on_hand_qty,
    last_count_date,
    depletion_28d,
    avg_daily_depletion,
    days_of_cover,
    days_since_last_depletion,
    online_units_sold_28d,
    warehouse_available_qty,
    online_stockout,
    transferable_qty,
    unit_price,
    unit_cost,
    potential_margin,
    row_number() over (
        order by online_stockout desc, potential_margin desc nulls last, store_id asc, sku asc
    ) as priority_rank
from candidates
