{#-
    The summary of a store x sku pair's daily counts (rows of fct_store_stock_daily, grouped by
    the caller) that mart_store_picking_candidates combines across periods: first and last count,
    the stock and identifiers of the last count, the last depletion and the last receipt. One
    definition for int_store_stock_pair_months (a month) and the mart (D's month up to D), so the
    two pieces it unions cannot disagree.
-#}
{% macro store_stock_pair_summary() -%}
    min(count_date) as first_count_date,
    max(count_date) as last_count_date,
    {{ arg_max_of('on_hand_qty', 'count_date') }} as last_on_hand_qty,
    {{ arg_max_of('gtin14', 'count_date') }} as last_gtin14,
    {{ arg_max_of('store_gln', 'count_date') }} as last_store_gln,
    max(count_date) filter (where depletion_qty > 0) as last_depletion_date,
    max(count_date) filter (where receipt_qty > 0) as last_receipt_date
{%- endmacro %}
