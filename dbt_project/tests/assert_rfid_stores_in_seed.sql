{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'dim_stores'}}}) }}
-- Stores seen in the RFID counts but missing from the seed `stores`: one row per GLN, named so
-- the retail team can add them (docs/marts.md `dim_stores`).
select
    store_gln,
    min(event_date) as first_seen_date,
    max(event_date) as last_seen_date,
    'store ' || store_gln || ' is counted by RFID but missing from seeds/stores.csv' as message
from {{ ref('stg_rfid__events') }}
where store_gln not in (select stores.gln from {{ ref('stores') }} as stores)
group by store_gln
