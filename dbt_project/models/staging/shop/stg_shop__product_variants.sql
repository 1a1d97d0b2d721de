-- One row per sku: its latest catalog snapshot.
with

ranked as (

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
        snapshot_at,
        row_number() over (partition by sku order by snapshot_date desc, snapshot_at desc) as version_rank
    from {{ ref('stg_shop__product_variant_snapshots') }}

)

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
from ranked
where version_rank = 1
