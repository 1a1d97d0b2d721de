-- One row per store: the seed `stores`, plus stores seen in the RFID counts but missing from the
-- seed (store_id = their GLN, no name, the default display minimum).
with

seeded_stores as (

    select
        store_id,
        store_name,
        city,
        gln,
        display_min_qty
    from {{ ref('stores') }}

),

unknown_stores as (

    select distinct store_gln as gln
    from {{ ref('stg_rfid__events') }}
    where store_gln not in (select seeded_stores.gln from seeded_stores)

)

select
    store_id,
    store_name,
    city,
    gln,
    display_min_qty,
    true as is_in_seed
from seeded_stores

union all

select
    gln as store_id,
    cast(null as {{ type_text() }}) as store_name,
    cast(null as {{ type_text() }}) as city,
    gln,
    {{ var('default_display_min_qty') }} as display_min_qty,
    false as is_in_seed
from unknown_stores
