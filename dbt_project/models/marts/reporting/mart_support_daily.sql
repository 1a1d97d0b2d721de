-- One row per day x ticket channel x reason group with tickets created that day
-- (docs/marts.md, mart_support_daily).
-- Incremental: the days of the fct_support_tickets rows written since the mart's last build are
-- recomputed whole (a ticket updated moves its day's groups, medians and shares).
{{ config(**incremental_config('date')) }}
{%- set days = periods_loaded_since_last_build(ref('fct_support_tickets'), 'created_date') %}
with

tickets as (
    select * from {{ ref('fct_support_tickets') }}
    {%- if days is not none %}
        where {{ in_periods('created_date', days) }}
    {%- endif %}
),

ticket_groups as (
    select
        created_date as date,  -- noqa: RF04
        coalesce(channel, 'unknown') as channel,
        coalesce(reason_group, 'other') as reason_group,
        {{ ticket_measures() }},
        count(*) filter (where is_out_of_hours) as out_of_hours_tickets,
        {{ median_of('first_reply_minutes') }} as median_first_reply_minutes,
        {{ median_of('full_resolution_minutes') }} as median_full_resolution_minutes
    from tickets
    group by 1, 2, 3
)

select
    date,
    channel,
    reason_group,
    tickets,
    out_of_hours_tickets,
    median_first_reply_minutes,
    median_full_resolution_minutes,
    {{ kpi_csat('good_ratings', 'bad_ratings') }} as csat,
    {{ safe_divide('tickets', 'sum(tickets) over (partition by date)') }} as share_of_tickets,
    {{ run_loaded_at() }} as _loaded_at
from ticket_groups
