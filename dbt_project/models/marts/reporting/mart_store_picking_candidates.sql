-- One row per store x sku that should be picked in store and sold online, as of the run's day D
-- (docs/marts.md, mart_store_picking_candidates). D = var partition_end, else the latest RFID count
-- date. Thresholds are the picking_* vars of dbt_project.yml. Beside the contract's columns, what
-- the picking sheet needs and dbt has: the zones of the last count (last_count_zones).
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
        max(store_stock.count_date) filter (where store_stock.depletion_qty > 0) as last_depletion_date,
        max(store_stock.count_date) filter (where store_stock.receipt_qty > 0) as last_receipt_date,
        {{ arg_max_of('store_stock.gtin14', 'store_stock.count_date') }} as gtin14,
        {{ arg_max_of('store_stock.store_gln', 'store_stock.count_date') }} as store_gln
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

-- avg_daily_depletion: depletion over the days the pair was really observed, min(28, history)
-- (a pair counted for 10 days has 10 days of depletion, not 28)
pair_rates as (
    select
        *,
        {{ days_between('first_count_date', 'as_of_date') }} as history_days,
        {{ safe_divide(
            'depletion_28d',
            'least(' ~ window_days ~ ', ' ~ days_between('first_count_date', 'as_of_date') ~ ')',
        ) }} as avg_daily_depletion
    from pair_history
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
        pair_history.store_gln,
        pair_history.gtin14,
        pair_history.depletion_28d,
        pair_history.history_days,
        pair_history.avg_daily_depletion,
        {{ safe_divide('pair_history.on_hand_qty', 'pair_history.avg_daily_depletion') }} as days_of_cover,
        {{ days_between('pair_history.last_depletion_date', 'pair_history.as_of_date') }}
            as days_since_last_depletion,
        coalesce(online_sales.online_units_sold_28d, 0) as online_units_sold_28d,
        products.warehouse_available_qty,
        -- Shopify allows overselling: an oversold sku has a negative available quantity
        coalesce(products.warehouse_available_qty <= 0, false) as online_stockout,
        pair_history.last_receipt_date,
        pair_history.on_hand_qty
        - coalesce(stores.display_min_qty, {{ var('default_display_min_qty') }}) as transferable_qty,
        products.list_price as unit_price,
        products.unit_cost
    from pair_rates as pair_history
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
        -- counted for long enough to tell slow stock from new stock
        and history_days >= {{ var('picking_min_counted_days') }}
        -- received nothing in (D-14, D]: stock just delivered is not slow stock
        and (
            last_receipt_date is null
            or last_receipt_date <= as_of_date - {{ var('picking_no_receipt_days') }}
        )
        -- slow in store
        and (days_of_cover >= {{ var('picking_min_days_of_cover') }} or days_of_cover is null)
        -- sells online
        and online_units_sold_28d >= {{ var('picking_min_online_units') }}
),

-- where a person finds the item: the zones (read points) of the pair's last count
last_count_events as (
    select
        events.event_id,
        events.store_gln,
        events.event_date
    from {{ ref('stg_rfid__events') }} as events
    inner join run_day
        on
            events.event_date > run_day.as_of_date - {{ var('picking_recent_count_days') }}
            and events.event_date <= run_day.as_of_date
    where events.biz_step = 'cycle_counting'
),

last_count_zones as (
    select
        candidates.store_id,
        candidates.sku,
        {{ sorted_distinct_list(
            "regexp_replace(observations.read_point, '^.*(/254/|[.])', '')"
        ) }} as last_count_zones
    from candidates
    inner join last_count_events
        on
            candidates.store_gln = last_count_events.store_gln
            and candidates.last_count_date = last_count_events.event_date
    inner join {{ ref('stg_rfid__observations') }} as observations
        on
            last_count_events.event_id = observations.event_id
            and candidates.gtin14 = observations.gtin14
    where observations.quantity > 0
    group by candidates.store_id, candidates.sku
)

select
    candidates.as_of_date,
    candidates.store_id,
    candidates.sku,
    candidates.gtin,
    candidates.product_name,
    candidates.category,
    candidates.on_hand_qty,
    candidates.last_count_date,
    candidates.depletion_28d,
    candidates.history_days,
    candidates.avg_daily_depletion,
    candidates.days_of_cover,
    candidates.days_since_last_depletion,
    candidates.online_units_sold_28d,
    candidates.warehouse_available_qty,
    candidates.online_stockout,
    candidates.last_receipt_date,
    candidates.transferable_qty,
    candidates.unit_price,
    candidates.unit_cost,
    candidates.potential_margin,
    row_number() over (
        order by
            candidates.online_stockout desc,
            candidates.potential_margin desc nulls last,
            candidates.store_id asc,
            candidates.sku asc
    ) as priority_rank,
    last_count_zones.last_count_zones
from candidates
left join last_count_zones
    on candidates.store_id = last_count_zones.store_id and candidates.sku = last_count_zones.sku
