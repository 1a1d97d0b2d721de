{{ config(**incremental_fact_config('count_date', spark_partition_by='count_date')) }}
-- One row per store x sku x day with an RFID cycle count. Incremental: every count day since
-- the window start is replaced (a day's pairs are rebuilt together; later days follow because
-- prev_qty depends on the day before). Counts of GTINs unknown to the catalog are left out.
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
    receipt_qty
from {{ ref('int_rfid_counts_daily') }}
where
    sku is not null
    and {{ in_incremental_window('count_date') }}
