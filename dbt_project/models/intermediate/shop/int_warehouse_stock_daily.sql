-- Warehouse stock per sku per catalog snapshot day (stock history comes from the daily runs).
select
    snapshot_date,
    sku,
    warehouse_available_qty
from {{ ref('stg_shop__product_variant_snapshots') }}
