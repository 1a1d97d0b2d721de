-- One row per sku: its latest catalog snapshot.
select
    sku,
    variant_id,
    barcode,
    gtin14,
    list_price,
    product_id,
    product_name,
    brand,
    category,
    unit_cost,
    warehouse_available_qty,
    snapshot_date,
    snapshot_at
from {{ ref('stg_shop__product_variant_snapshots') }}
qualify row_number() over (partition by sku order by snapshot_date desc, snapshot_at desc) = 1
