{{ config(**incremental_config('month_start', spark_partition_by='month_start')) }}
-- One row per store x sku x month with an RFID count: what mart_store_picking_candidates needs of
-- a pair's history before the month of its day D, so that the mart reads one row per pair and
-- month instead of every count since the first one (40 M rows at two years of the large
-- profile). Incremental: the months of the fct_store_stock_daily rows written since this model's
-- last build are rebuilt whole, from that fact (its rows of a month are all there).
{%- set months = periods_loaded_since_last_build(ref('fct_store_stock_daily'), 'count_date', 'month') %}

select
    cast(date_trunc('month', count_date) as date) as month_start,
    store_id,
    sku,
    {{ store_stock_pair_summary() }},
    {{ run_loaded_at() }} as _loaded_at
from {{ ref('fct_store_stock_daily') }}
{%- if months is not none %}
    where {{ in_periods('count_date', months, 'month') }}
{%- endif %}
group by cast(date_trunc('month', count_date) as date), store_id, sku
