{{ config(**incremental_config('sku')) }}
-- One row per sku: its latest catalog snapshot.
-- Incremental: a windowed run compares the skus of the snapshots it landed with their current row
-- (a backfill of an old range never replaces a later snapshot).
{%- set windowed = is_windowed_run() %}
{%- set columns = [
    'sku', 'variant_id', 'barcode', 'gtin14', 'list_price', 'product_id', 'product_name', 'brand',
    'category', 'colour', 'size', 'unit_cost', 'warehouse_available_qty', 'snapshot_date', 'snapshot_at',
] %}
with

candidates as (

    select {{ columns | join(', ') }}
    from {{ ref('stg_shop__product_variant_snapshots') }}
    {%- if windowed %}
        where {{ in_landing_window('snapshot_date') }}

        union all

        select {{ columns | join(', ') }}
        from {{ this }}
        where sku in (
            select landed.sku
            from {{ ref('stg_shop__product_variant_snapshots') }} as landed
            where {{ in_landing_window('landed.snapshot_date') }}
        )
    {%- endif %}

),

ranked as (

    select
        *,
        row_number() over (partition by sku order by snapshot_date desc, snapshot_at desc) as version_rank
    from candidates

)

select {{ columns | join(', ') }}
from ranked
where version_rank = 1
