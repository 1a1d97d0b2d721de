{{ config(**incremental_config('event_id')) }}
-- One row per EPCIS ObjectEvent; biz_step normalised to its short form (URN prefix removed).
-- Incremental: the events landed by this run (and later days) replace their previous row.
with

ranked as (

    select
        event_id,
        {{ to_timestamptz('event_time') }} as event_time,
        {{ to_shop_date(to_timestamptz('event_time')) }} as event_date,
        event_time_zone_offset,
        lower(replace(biz_step, 'urn:epcglobal:cbv:bizstep:', '')) as biz_step,
        store_gln,
        read_point,
        _partition_date,
        {{ to_timestamptz('_extracted_at') }} as _extracted_at,
        row_number() over (
            partition by event_id order by _partition_date desc, _extracted_at desc
        ) as version_rank
    from {{ landing_source('rfid', 'events') }}
    where {{ in_landing_window() }}

)

select
    event_id,
    event_time,
    event_date,
    event_time_zone_offset,
    biz_step,
    store_gln,
    read_point,
    _partition_date,
    _extracted_at
from ranked
where version_rank = 1
