{{ config(**incremental_config('ticket_id')) }}
-- One row per ticket: its latest version (updated_at, then partition day, then extraction).
-- Incremental: the tickets landed by this run (and later days) replace their previous row.
with

ticket_versions as (

    select
        ticket_id,
        {{ to_timestamptz('created_at') }} as created_at,
        {{ to_timestamptz('updated_at') }} as updated_at,
        lower(status) as status,
        lower(channel) as channel,
        lower(nullif(trim(reason_tag), '')) as reason_tag,
        nullif(trim(order_number), '') as order_number,
        lower(satisfaction_score) as satisfaction_score,
        first_reply_minutes,
        full_resolution_minutes,
        first_reply_minutes_business,
        full_resolution_minutes_business,
        reopens,
        replies,
        _partition_date,
        {{ to_timestamptz('_extracted_at') }} as _extracted_at
    from {{ landing_source('zendesk', 'tickets') }}
    where {{ in_landing_window() }}

),

ranked as (

    select
        ticket_id,
        created_at,
        {{ to_shop_date('created_at') }} as created_date,
        updated_at,
        status,
        channel,
        reason_tag,
        order_number,
        satisfaction_score,
        -- only good / bad are ratings; offered / unoffered are no rating
        case when satisfaction_score in ('good', 'bad') then satisfaction_score end as satisfaction,
        first_reply_minutes,
        full_resolution_minutes,
        first_reply_minutes_business,
        full_resolution_minutes_business,
        reopens,
        replies,
        _partition_date,
        _extracted_at,
        row_number() over (
            partition by ticket_id order by updated_at desc, _partition_date desc, _extracted_at desc
        ) as version_rank
    from ticket_versions

)

select
    ticket_id,
    created_at,
    created_date,
    updated_at,
    status,
    channel,
    reason_tag,
    order_number,
    satisfaction_score,
    satisfaction,
    first_reply_minutes,
    full_resolution_minutes,
    first_reply_minutes_business,
    full_resolution_minutes_business,
    reopens,
    replies,
    _partition_date,
    _extracted_at
from ranked
where version_rank = 1
