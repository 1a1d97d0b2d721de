-- One row per sku: its latest catalog snapshot (attributes, cost, warehouse stock).
select
    sku,
    gtin14 as gtin,
    barcode,
    variant_id,
    product_id,
    product_name,
    brand,
    category,
    colour,
    size,
    list_price,
    unit_cost,
    warehouse_available_qty,
    snapshot_date as stock_snapshot_date
from {{ ref('stg_shop__product_variants') }}
