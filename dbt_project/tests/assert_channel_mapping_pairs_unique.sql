-- The seed channel_mapping holds each (utm_source, utm_medium) pair once, so the match is unambiguous.
select
    utm_source,
    utm_medium,
    count(*) as rows_count
from {{ ref('channel_mapping') }}
group by utm_source, utm_medium
having count(*) > 1
