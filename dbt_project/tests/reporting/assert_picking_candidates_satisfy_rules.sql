{{ config(meta={'dagster': {'ref': {'name': 'mart_store_picking_candidates'}}}) }}
-- Every row of mart_store_picking_candidates satisfies each candidate rule of marts.md, re-derived
-- here from fct_store_stock_daily (not from the mart's own columns where it matters), and the
-- priority ranks follow the contract's ordering. Returns the offending rows with the broken rule.
{%- set window_days = var('picking_depletion_window_days') %}

with

candidates as (
    select * from {{ ref('mart_store_picking_candidates') }}
),

store_stock as (
    select * from {{ ref('fct_store_stock_daily') }}
),

pair_history as (
    select
        candidates.store_id,
        candidates.sku,
        max(store_stock.count_date) as last_count_date,
        min(store_stock.count_date) as first_count_date,
        {{ arg_max_of('store_stock.on_hand_qty', 'store_stock.count_date') }} as on_hand_qty,
        max(store_stock.count_date) filter (where store_stock.receipt_qty > 0) as last_receipt_date,
        coalesce(
            sum(store_stock.depletion_qty)
            filter (where store_stock.count_date > candidates.as_of_date - {{ window_days }}),
            0
        ) as depletion_28d
    from candidates
    inner join store_stock
        on
            candidates.store_id = store_stock.store_id
            and candidates.sku = store_stock.sku
            and candidates.as_of_date >= store_stock.count_date
    group by candidates.store_id, candidates.sku
),

online_sales as (
    select
        candidates.store_id,
        candidates.sku,
        coalesce(sum(order_lines.quantity), 0) as online_units_sold_28d
    from candidates
    left join {{ ref('fct_order_lines') }} as order_lines
        on
            candidates.sku = order_lines.sku
            and order_lines.is_counted
            and candidates.as_of_date - {{ window_days }} < order_lines.order_date
            and candidates.as_of_date >= order_lines.order_date
            and order_lines.order_id not in (
                select orders.order_id from {{ ref('fct_orders') }} as orders
                where orders.source_name in ({{ reporting_in_store_source_names() }})
            )
    group by candidates.store_id, candidates.sku
),

expected_ranks as (
    select
        store_id,
        sku,
        row_number() over (
            order by online_stockout desc, potential_margin desc nulls last, store_id asc, sku asc
        ) as expected_rank
    from candidates
),

checks as (
    select
        candidates.store_id,
        candidates.sku,
        case
            when pair_history.store_id is null
                then 'no RFID count on or before as_of_date'
            when candidates.on_hand_qty != pair_history.on_hand_qty
                then 'on_hand_qty is not the latest count'
            when candidates.last_count_date != pair_history.last_count_date
                then 'last_count_date is not the latest count date'
            when
                pair_history.last_count_date <= candidates.as_of_date - {{ var('picking_recent_count_days') }}
                then 'not counted in the last picking_recent_count_days days'
            when candidates.depletion_28d != pair_history.depletion_28d
                then 'depletion_28d differs from the counts'
            when candidates.transferable_qty < 1
                then 'transferable_qty < 1'
            when
                pair_history.first_count_date
                > candidates.as_of_date - {{ var('picking_min_counted_days') }}
                then 'counted for less than picking_min_counted_days days'
            when
                pair_history.last_receipt_date
                > candidates.as_of_date - {{ var('picking_no_receipt_days') }}
                then 'received stock in the last picking_no_receipt_days days'
            when
                not (
                    candidates.days_of_cover >= {{ var('picking_min_days_of_cover') }}
                    or pair_history.depletion_28d = 0
                )
                then 'not slow in store'
            when
                pair_history.depletion_28d > 0
                and abs(
                    candidates.avg_daily_depletion
                    - pair_history.depletion_28d
                    / cast(
                        least(
                            {{ window_days }},
                            {{ days_between('pair_history.first_count_date', 'candidates.as_of_date') }}
                        )
                        as {{ type_double() }}
                    )
                ) > 0.000001
                then 'avg_daily_depletion is not depletion_28d / min(28, history_days)'
            when candidates.online_units_sold_28d != online_sales.online_units_sold_28d
                then 'online_units_sold_28d differs from the order lines'
            when online_sales.online_units_sold_28d < {{ var('picking_min_online_units') }}
                then 'does not sell online'
            when candidates.online_stockout != coalesce(candidates.warehouse_available_qty <= 0, false)
                then 'online_stockout inconsistent with warehouse_available_qty'
            when candidates.priority_rank != expected_ranks.expected_rank
                then 'priority_rank out of order'
        end as broken_rule
    from candidates
    left join pair_history
        on candidates.store_id = pair_history.store_id and candidates.sku = pair_history.sku
    left join online_sales
        on candidates.store_id = online_sales.store_id and candidates.sku = online_sales.sku
    left join expected_ranks
        on candidates.store_id = expected_ranks.store_id and candidates.sku = expected_ranks.sku
)

select * from checks
where broken_rule is not null
