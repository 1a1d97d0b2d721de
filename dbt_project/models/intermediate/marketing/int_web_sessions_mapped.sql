-- GA4 sessions with their channel (same mapping as the orders' UTMs).
select
    session_date,
    {{ channel_from_utm('session_source', 'session_medium') }} as channel,
    session_source,
    session_medium,
    session_campaign_name,
    sessions,
    total_users,
    add_to_carts
from {{ ref('stg_ga4__sessions') }}
