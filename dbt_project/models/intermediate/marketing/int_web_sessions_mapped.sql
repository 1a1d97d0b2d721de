-- GA4 sessions with their channel (same mapping as the orders' UTMs).
select
    web_sessions.session_date,
    {{ channel_from_utm('web_sessions.session_source', 'web_sessions.session_medium') }} as channel,
    web_sessions.session_source,
    web_sessions.session_medium,
    web_sessions.session_campaign_name,
    web_sessions.sessions,
    web_sessions.total_users,
    web_sessions.add_to_carts
from {{ ref('stg_ga4__sessions') }} as web_sessions
{{ channel_mapping_joins('web_sessions.session_source', 'web_sessions.session_medium') }}
