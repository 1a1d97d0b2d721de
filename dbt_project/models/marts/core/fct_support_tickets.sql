{{ config(**incremental_config('ticket_id')) }}
-- One row per support ticket (its latest version). Incremental: tickets landed since the window
-- start (new or updated) are replaced.
select
    ticket_id,
    created_at,
    created_date,
    created_hour,
    created_isodow,
    updated_at,
    status,
    channel,
    reason_tag,
    reason,
    reason_group,
    order_number,
    order_id,
    first_reply_minutes,
    full_resolution_minutes,
    satisfaction,
    is_out_of_hours,
    {{ run_loaded_at() }} as _loaded_at
from {{ ref('int_tickets_enriched') }}
where {{ in_landing_window() }}
{%- if not is_windowed_run() %}
    -- every row rewritten: in day order (DECISIONLOG "Row order")
    order by created_date
{%- endif %}
