{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'fct_support_tickets'}}}) }}
-- Contact-reason tags seen on tickets but missing from the seed `ticket_reason_mapping`: one row
-- per tag, named so the support team can map it. Until then its tickets fall in the group
-- `other` (docs/marts.md `reason_group`), which would otherwise hide the gap.
select
    reason_tag,
    count(*) as tickets,
    min(created_date) as first_seen_date,
    max(created_date) as last_seen_date,
    'contact reason ' || reason_tag || ' is missing from seeds/ticket_reason_mapping.csv' as message
from {{ ref('fct_support_tickets') }}
where
    reason_tag is not null
    and reason_tag not in (
        select reason_mapping.reason_tag from {{ ref('ticket_reason_mapping') }} as reason_mapping
    )
group by reason_tag
