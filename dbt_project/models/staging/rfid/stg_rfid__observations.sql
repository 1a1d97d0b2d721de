-- EPCs seen by each event (of its latest landing): a serial, or a class with a quantity, with
-- the event's business day (readers of a few days filter on it: DuckDB then skips the rest).
-- Incremental: the observations of the events landed by this run replace their previous ones.
-- A table built before it had event_date gets it first, in place (the pre-hook).
{{ config(
    pre_hook="{{ add_column_in_place('event_date', ref('stg_rfid__events'), 'event_id') }}",
    **incremental_config('event_id')
) }}
with

events as (

    select
        event_id,
        event_date,
        _partition_date,
        _extracted_at
    from {{ ref('stg_rfid__events') }}
    where {{ in_landing_window() }}

)

select
    observations.event_id,
    events.event_date,
    observations.store_gln,
    observations.read_point,
    observations.gtin14,
    observations.serial,
    observations.serial is not null as is_serialised,
    observations.quantity
from {{ landing_source('rfid', 'observations') }} as observations
inner join events
    on
        observations.event_id = events.event_id
        and observations._partition_date = events._partition_date
        and {{ to_timestamptz('observations._extracted_at') }} = events._extracted_at
where
    observations.quantity >= 0
    and {{ in_landing_window('observations._partition_date') }}
