-- One row per store x sku that should be picked in store and sold online, as of the run's day D
-- (docs/marts.md, mart_store_picking_candidates). D = var partition_end, else the latest RFID count
-- date. Thresholds are the picking_* vars of dbt_project.yml. Beside the contract's columns, what
-- the picking sheet needs and dbt has: the zones of the last count (last_count_zones).
{%- set window_days = var('picking_depletion_window_days') %}
{%- set as_of_date = reporting_as_of_date('select max(count_date) from ' ~ ref('fct_store_stock_daily')) %}
{%- set month_of_as_of_date = 'cast(date_trunc(\'month\', ' ~ as_of_date ~ ') as date)' %}

with

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

-- D is a literal when the run has a day (partition_end): the filters on it below reach the scans,
-- and DuckDB skips the row groups of the facts' other days.
run_day as (
    select {{ as_of_date }} as as_of_date
),

-- Each pair's count history up to D, in pieces: one per month before D's month
-- (int_store_stock_pair_months), then D's month up to D from the daily counts (a run for an
-- earlier day must not see the counts after it). With D a literal, DuckDB reads only D's month
-- of the fact.
pair_periods as (
    select
        store_id,
        sku,
        first_count_date,
        last_count_date,
        last_on_hand_qty,
        last_gtin14,
        last_store_gln,
        last_depletion_date,
        last_receipt_date
    from {{ ref('int_store_stock_pair_months') }}
    where month_start < {{ month_of_as_of_date }}
    union all
    select
        store_id,
        sku,
        {{ store_stock_pair_summary() }}
    from {{ ref('fct_store_stock_daily') }}
    where count_date >= {{ month_of_as_of_date }} and count_date <= {{ as_of_date }}
    group by store_id, sku
),

-- depletion over (D-28, D]
recent_depletion as (
    select
        store_id,
        sku,
        sum(depletion_qty) as depletion_28d
    from {{ ref('fct_store_stock_daily') }}
    where
        count_date > {{ as_of_date }} - {{ window_days }}
        and count_date <= {{ as_of_date }}
    group by store_id, sku
),

pair_counts as (
    select
        pair_periods.store_id,
        pair_periods.sku,
        run_day.as_of_date,
        {{ arg_max_of('pair_periods.last_on_hand_qty', 'pair_periods.last_count_date') }} as on_hand_qty,
        max(pair_periods.last_count_date) as last_count_date,
        min(pair_periods.first_count_date) as first_count_date,
        max(pair_periods.last_depletion_date) as last_depletion_date,
        max(pair_periods.last_receipt_date) as last_receipt_date,
        {{ arg_max_of('pair_periods.last_gtin14', 'pair_periods.last_count_date') }} as gtin14,
        {{ arg_max_of('pair_periods.last_store_gln', 'pair_periods.last_count_date') }} as store_gln
    from pair_periods
    cross join run_day
    group by pair_periods.store_id, pair_periods.sku, run_day.as_of_date
),

pair_history as (
    select
        pair_counts.*,
        cast(coalesce(recent_depletion.depletion_28d, 0) as bigint) as depletion_28d
    from pair_counts
    left join recent_depletion
        on pair_counts.store_id = recent_depletion.store_id and pair_counts.sku = recent_depletion.sku
),

online_sales as (
    select
        order_lines.sku,
        cast(sum(order_lines.quantity) as bigint) as online_units_sold_28d
    from order_lines
    where
        order_lines.order_date > {{ as_of_date }} - {{ window_days }}
        and order_lines.order_date <= {{ as_of_date }}
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
    where
        events.biz_step = 'cycle_counting'
        and events.event_date > {{ as_of_date }} - {{ var('picking_recent_count_days') }}
        and events.event_date <= {{ as_of_date }}
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
