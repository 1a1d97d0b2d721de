-- One row per business day from the earliest to the latest data day (orders, sessions, ad spend,
-- tickets), even on days when a source has no rows: the additive components of the daily KPIs.
with

orders as (
    select * from {{ ref('fct_orders') }}
),

web_sessions as (
    select * from {{ ref('int_web_sessions_mapped') }}
),

ad_spend as (
    select * from {{ ref('int_ad_spend_unioned') }}
),

tickets as (
    select * from {{ ref('fct_support_tickets') }}
),

order_days as (
    select
        order_date as date,  -- noqa: RF04
        {{ order_measures() }}
    from orders
    group by order_date
),

session_days as (
    select
        session_date as date,  -- noqa: RF04
        {{ session_measures() }}
    from web_sessions
    group by session_date
),

ad_spend_days as (
    select
        spend_date as date,  -- noqa: RF04
        {{ ad_spend_measures() }}
    from ad_spend
    group by spend_date
),

ticket_days as (
    select
        created_date as date,  -- noqa: RF04
        {{ ticket_measures() }}
    from tickets
    group by created_date
),

data_days as (
    select date from order_days
    union
    select date from session_days
    union
    select date from ad_spend_days
    union
    select date from ticket_days
),

-- A backfill of an old range (partition_end in the past) never truncates the spine; a run whose
-- last days have no data yet still gets rows up to its day D.
spine_bounds as (
    select
        min(date) as first_day,
        greatest(max(date), coalesce({{ reporting_partition_end() }}, max(date))) as last_day
    from data_days
),

spine as (
    select {{ date_series('first_day', 'last_day') }} as date  -- noqa: RF04
    from spine_bounds
    where first_day is not null
)

select
    spine.date,
    {{ coalesced_kpi_measures('order_days', 'session_days', 'ad_spend_days', 'ticket_days') }}
from spine
left join order_days on spine.date = order_days.date
left join session_days on spine.date = session_days.date
left join ad_spend_days on spine.date = ad_spend_days.date
left join ticket_days on spine.date = ticket_days.date
