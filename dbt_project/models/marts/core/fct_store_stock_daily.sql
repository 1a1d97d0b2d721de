{{ config(**incremental_config('count_date', spark_partition_by='count_date')) }}
-- depends_on: {{ ref('stg_rfid__events') }}
-- One row per store x sku x day with an RFID cycle count. Incremental: every count day from the
-- first one touched by this run's landed events is replaced (a day's pairs are rebuilt together;
-- later days follow because prev_qty depends on the day before), as in int_rfid_counts_daily.
-- Counts of GTINs unknown to the catalog are left out.
select
    store_id || '|' || sku || '|' || cast(count_date as {{ type_text() }}) as store_stock_key,
    store_id,
    store_gln,
    is_unknown_store,
    sku,
    gtin14,
    count_date,
    on_hand_qty,
    prev_qty,
    prev_count_date,
    depletion_qty,
    receipt_qty,
    {{ run_loaded_at() }} as _loaded_at
from {{ ref('int_rfid_counts_daily') }}
where
    sku is not null
    and {{ in_count_window() }}
{%- if not is_windowed_run() %}
    -- every row rewritten: month by month, each pair's days together (DECISIONLOG "Row order")
    order by date_trunc('month', count_date), store_id, sku
{%- endif %}
