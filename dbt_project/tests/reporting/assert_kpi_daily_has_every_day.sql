-- mart_kpi_daily's calendar is exactly the complete days (int_kpi_calendar: every source landed
-- the day): no complete day missing, even one without any row, and no other day (an old order
-- landed again by a late refund never creates a day). Returns each offending day.
with

kpi_days as (
    select date from {{ ref('mart_kpi_daily') }}
),

complete_days as (
    select date from {{ ref('int_kpi_calendar') }}
    where is_complete
)

select
    coalesce(kpi_days.date, complete_days.date) as date,  -- noqa: RF04
    case
        when kpi_days.date is null then 'complete day missing from mart_kpi_daily'
        else 'mart_kpi_daily day that is not complete'
    end as problem
from kpi_days
full outer join complete_days on kpi_days.date = complete_days.date
where kpi_days.date is null or complete_days.date is null
