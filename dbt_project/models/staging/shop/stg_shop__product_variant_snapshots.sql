{{ config(**incremental_config('snapshot_date')) }}
-- One row per sku per catalog snapshot day (the day partition D of the run that read it).
-- Incremental: the snapshot days landed by this run replace those days.
with

variants as (

    select
        variant_id,
        sku,
        nullif(trim(barcode), '') as barcode,
        -- normalise to GTIN-14 (the extractor already does; fall back on the barcode)
        coalesce(nullif(trim(gtin14), ''), lpad(nullif(trim(barcode), ''), 14, '0')) as gtin14,
        {{ catalog_price_ex_tax('price') }} as list_price,
        product_id,
        product_title as product_name,
        vendor as brand,
        lower(nullif(trim(product_type), '')) as category,
        -- the values of the options named as colour / size (the extractor resolves the names)
        nullif(trim(colour), '') as colour,
        nullif(trim(size), '') as size,
        cast(unit_cost as decimal(18, 4)) as unit_cost,
        coalesce(warehouse_available_qty, 0) as warehouse_available_qty,
        {{ to_timestamptz('snapshot_at') }} as snapshot_at,
        _partition_date,
        {{ to_timestamptz('_extracted_at') }} as _extracted_at
    from {{ landing_source('shop', 'product_variants') }}
    where sku is not null and trim(sku) <> '' and {{ in_landing_window() }}

),

ranked as (

    select
        _partition_date as snapshot_date,
        sku,
        variant_id,
        barcode,
        gtin14,
        list_price,
        product_id,
        product_name,
        brand,
        category,
        colour,
        size,
        unit_cost,
        warehouse_available_qty,
        snapshot_at,
        _extracted_at,
        row_number() over (
            partition by _partition_date, sku order by snapshot_at desc, _extracted_at desc, variant_id asc
        ) as version_rank
    from variants

)

select
    snapshot_date,
    sku,
    variant_id,
    barcode,
    gtin14,
    list_price,
    product_id,
    product_name,
    brand,
    category,
    colour,
    size,
    unit_cost,
    warehouse_available_qty,
    snapshot_at,
    _extracted_at
from ranked
where version_rank = 1
