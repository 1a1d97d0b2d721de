{{ config(**incremental_config('date')) }}
-- depends_on: {{ ref('stg_ga4__sessions') }}
-- depends_on: {{ ref('stg_google_ads__campaign_stats') }}
-- depends_on: {{ ref('stg_meta_ads__campaign_insights') }}
-- depends_on: {{ ref('int_kpi_calendar') }}
-- One row per business day from the earliest to the latest data day (orders, sessions, ad spend,
-- tickets), even on days when a source has no rows: the additive components of the daily KPIs.
-- Incremental: a windowed run recomputes the days its changes touch (kpi_days_touched) and adds
-- the spine days beyond the table's first and last day; the other days keep their rows.
{%- set windowed = is_windowed_run() %}
with

{%- if windowed %}

    touched_days as (
        select day from {{ kpi_days_touched() }} as touched
    ),
{%- endif %}

orders as (
    select * from {{ ref('fct_orders') }}
    {%- if windowed %}
        where order_date in (select touched_days.day from touched_days)
    {%- endif %}
),

web_sessions as (
    select * from {{ ref('int_web_sessions_mapped') }}
    {%- if windowed %}
        where session_date in (select touched_days.day from touched_days)
    {%- endif %}
),

ad_spend as (
    select * from {{ ref('int_ad_spend_unioned') }}
    {%- if windowed %}
        where spend_date in (select touched_days.day from touched_days)
    {%- endif %}
),

tickets as (
    select * from {{ ref('fct_support_tickets') }}
    {%- if windowed %}
        where created_date in (select touched_days.day from touched_days)
    {%- endif %}
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
-- last days have no data yet still gets rows up to its day D. A windowed run writes its touched
-- days and the spine days beyond the table's first and last day.
{%- if windowed %}

    existing_bounds as (
        select
            min(date) as first_day,
            max(date) as last_day
        from {{ this }}
    ),
{%- else %}

    existing_bounds as (
        select
            cast(null as date) as first_day,
            cast(null as date) as last_day
    ),
{%- endif %}

spine_bounds as (
    select
        least(min(data_days.date), min(existing_bounds.first_day)) as first_day,
        greatest(
            max(data_days.date),
            max(existing_bounds.last_day),
            coalesce({{ reporting_partition_end() }}, max(data_days.date), max(existing_bounds.last_day))
        ) as last_day
    from existing_bounds
    left join data_days on true
),

spine as (
    select spine_days.date
    from (
        select {{ date_series('first_day', 'last_day') }} as date  -- noqa: RF04
        from spine_bounds
        where first_day is not null
    ) as spine_days
    cross join existing_bounds
    where
        existing_bounds.first_day is null
        or spine_days.date not between existing_bounds.first_day and existing_bounds.last_day
        {%- if windowed %}
            or spine_days.date in (select touched_days.day from touched_days)
        {%- endif %}
)

select
    spine.date,
    {{ coalesced_kpi_measures('order_days', 'session_days', 'ad_spend_days', 'ticket_days') }},
    {{ run_loaded_at() }} as _loaded_at
from spine
left join order_days on spine.date = order_days.date
left join session_days on spine.date = session_days.date
left join ad_spend_days on spine.date = ad_spend_days.date
left join ticket_days on spine.date = ticket_days.date
