{{ config(**incremental_config('session_date')) }}
-- One row per date x source x medium x campaign (the latest landing of that day).
-- Incremental: a day partition holds the whole report of that day (one API report per day), so
-- a run reads the partitions of its window and replaces those days (session_date).
with

ranked as (

    select
        date as session_date,
        session_source,
        session_medium,
        session_campaign_name,
        sessions,
        coalesce(total_users, 0) as total_users,
        coalesce(add_to_carts, 0) as add_to_carts,
        _partition_date,
        {{ to_timestamptz('_extracted_at') }} as _extracted_at,
        row_number() over (
            partition by date, session_source, session_medium, session_campaign_name
            order by _partition_date desc, _extracted_at desc
        ) as version_rank
    from {{ landing_source('ga4', 'sessions') }}
    where {{ in_landing_window() }}

)

select
    session_date,
    session_source,
    session_medium,
    session_campaign_name,
    sessions,
    total_users,
    add_to_carts,
    _partition_date,
    _extracted_at
from ranked
where version_rank = 1
