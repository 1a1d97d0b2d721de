{{ config(**incremental_config('ticket_id')) }}
-- Tickets with their contact reason (seed ticket_reason_mapping), order and business-hours flag.
-- Incremental: the tickets landed by this run (new or updated) are recomputed; only the orders
-- named by those tickets are ranked (ranking every order cost ~0.2 s per read at 2 years, and
-- the view was read by the fact and each of its tests).
with

tickets as (

    select
        ticket_id,
        created_at,
        created_date,
        {{ to_shop_time('created_at') }} as created_at_shop_time,
        updated_at,
        status,
        channel,
        reason_tag,
        order_number,
        case when order_number like '#%' then order_number else '#' || order_number end as order_name,
        satisfaction,
        first_reply_minutes,
        full_resolution_minutes,
        _partition_date
    from {{ ref('stg_zendesk__tickets') }}
    where {{ in_landing_window() }}

),

reasons as (

    select
        reason_tag,
        reason,
        reason_group
    from {{ ref('ticket_reason_mapping') }}

),

ranked_orders as (

    select
        order_id,
        order_name,
        row_number() over (partition by order_name order by created_at desc, order_id asc) as name_rank
    from {{ ref('stg_shop__orders') }}
    where order_name in (select tickets.order_name from tickets)

),

orders as (

    select
        order_id,
        order_name
    from ranked_orders
    where name_rank = 1

),

flagged as (

    select
        tickets.*,
        cast(extract(hour from tickets.created_at_shop_time) as integer) as created_hour,
        cast({{ iso_weekday('tickets.created_at_shop_time') }} as integer) as created_isodow,
        coalesce(reasons.reason, replace(tickets.reason_tag, 'reason_', ''), 'unknown') as reason,
        coalesce(reasons.reason_group, 'other') as reason_group,
        orders.order_id
    from tickets
    left join reasons on tickets.reason_tag = reasons.reason_tag
    left join orders on tickets.order_name = orders.order_name

)

select
    ticket_id,
    created_at,
    created_date,
    created_hour,
    created_isodow,
    updated_at,
    status,
    coalesce(channel, 'unknown') as channel,
    reason_tag,
    reason,
    reason_group,
    order_number,
    order_id,
    first_reply_minutes,
    full_resolution_minutes,
    satisfaction,
    (
        created_isodow not in ({{ var('business_days') | join(', ') }})
        or created_hour < {{ var('business_hours_start') }}
        or created_hour >= {{ var('business_hours_end') }}
    ) as is_out_of_hours,
    _partition_date
from flagged
