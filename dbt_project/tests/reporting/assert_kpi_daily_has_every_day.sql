-- mart_kpi_daily has one row for every day between its first and last day (a date spine): no gap,
-- even on days when a source has no rows. Returns a row when days are missing.
with

day_range as (
    select
        count(*) as row_count,
        count(distinct date) as distinct_days,
        {{ days_between('min(date)', 'max(date)') }} + 1 as expected_days
    from {{ ref('mart_kpi_daily') }}
)

select *
from day_range
where row_count > 0 and (row_count != expected_days or distinct_days != expected_days)
