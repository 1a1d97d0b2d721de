{#-
    The KPI marts of a calendar period longer than a day (mart_kpi_weekly, mart_kpi_monthly),
    written once: the period's measures are recomputed from the facts at the period's grain
    (never an average or a sum of daily ratios: distinct customers and medians do not add up),
    over the period's complete days only (int_kpi_calendar: the days mart_kpi_daily holds), with
    the ratios of macros/reporting/kpi_formulas.sql. A period is complete / final when all its
    days are.
    Incremental: a windowed run recomputes the periods of the days int_kpi_measures_daily wrote
    in this dbt run and the periods not final yet (their as-of dependent columns move every
    day); a period is recomputed whole. The calling model declares
    `-- depends_on: {{ ref('int_kpi_measures_daily') }}`.
-#}

{#- SQL: the first day of the period (grain 'week': the ISO week's Monday) of a date. -#}
{% macro kpi_period_start(grain, day_column) -%}
    cast(date_trunc('{{ grain }}', {{ day_column }}) as date)
{%- endmacro %}

{#- SQL: the number of days of the period starting at `period_start`. -#}
{% macro kpi_period_days(grain, period_start) -%}
    {%- if grain == 'week' -%}
        7
    {%- else -%}
        {{ days_in_period(period_start) }}
    {%- endif -%}
{%- endmacro %}

{#- SQL condition: `day_column` is a day of the model's `complete_days` CTE and, in a windowed
    run, in one of the `periods` it rewrites (the period mart's and mart_channel_daily's sources
    all read their facts this way). -#}
{% macro in_complete_days(day_column, windowed, periods, grain='day') -%}
    {{ day_column }} in (select complete_days.date from complete_days)
    {%- if windowed %}
        and {{ in_periods(day_column, periods, grain) }}
    {%- endif %}
{%- endmacro %}

-- The SQL layout of the model below is linted where it is rendered (mart_kpi_weekly,
-- mart_kpi_monthly): inside the macro, its Jinja branches confuse the indentation rules.
-- noqa: disable=LT02,LT05
{#- The whole model: one row per period with a complete day, keyed by `period_column`. Monthly
    adds its customers (active_customers, repeat_customers, repeat_customer_rate). -#}
{% macro kpi_period_mart(grain, period_column, with_customers=false) -%}
    {%- set unsettled = kpi_unsettled_periods(period_column) %}
    {%- set windowed = is_windowed_run() and none not in unsettled %}
    {%- set periods_rewritten = (kpi_periods_rewritten(grain) + unsettled) | unique | sort if windowed else [] %}
    {%- set day_period = kpi_period_start(grain, 'date') %}
    with

    complete_days as (
        select * from {{ ref('int_kpi_calendar') }}
        where
            is_complete
            {%- if windowed %}
                and {{ in_periods('date', periods_rewritten, grain) }}
            {%- endif %}
    ),

    -- Every period with a complete day, so a period without orders still has its row.
    periods as (
        select
            {{ day_period }} as period_start,
            count(*) = {{ kpi_period_days(grain, day_period) }} as is_complete,
            count(*) filter (where is_final) = {{ kpi_period_days(grain, day_period) }} as is_final,
            sum(unshipped_over_48h) as unshipped_over_48h,
            bool_or(sessions_thresholded) as sessions_thresholded,
            bool_or(sessions_other_row_merged) as sessions_other_row_merged,
            bool_or(sessions_sampled) as sessions_sampled
        from complete_days
        group by {{ day_period }}
    ),

    orders as (
        select
            *,
            {{ kpi_period_start(grain, 'order_date') }} as period_start
        from {{ ref('fct_orders') }}
        where {{ in_complete_days('order_date', windowed, periods_rewritten, grain) }}
    ),

    web_sessions as (
        select * from {{ ref('int_web_sessions_mapped') }}
        where {{ in_complete_days('session_date', windowed, periods_rewritten, grain) }}
    ),

    ad_spend as (
        select * from {{ ref('int_ad_spend_unioned') }}
        where {{ in_complete_days('spend_date', windowed, periods_rewritten, grain) }}
    ),

    tickets as (
        select * from {{ ref('fct_support_tickets') }}
        where {{ in_complete_days('created_date', windowed, periods_rewritten, grain) }}
    ),

    order_periods as (
        select
            period_start,
            {{ order_measures() }}
        from orders
        group by period_start
    ),

    {%- if with_customers %}

        -- A repeat customer had a counted order before the one they placed this period.
        customer_periods as (
            select
                period_start,
                count(distinct customer_id) as active_customers,
                count(distinct customer_id) filter (where is_returning_customer_order) as repeat_customers
            from orders
            where is_counted
            group by period_start
        ),
    {%- endif %}

    session_periods as (
        select
            {{ kpi_period_start(grain, 'session_date') }} as period_start,
            {{ session_measures() }}
        from web_sessions
        group by {{ kpi_period_start(grain, 'session_date') }}
    ),

    ad_spend_periods as (
        select
            {{ kpi_period_start(grain, 'spend_date') }} as period_start,
            {{ ad_spend_measures() }}
        from ad_spend
        group by {{ kpi_period_start(grain, 'spend_date') }}
    ),

    ticket_periods as (
        select
            {{ kpi_period_start(grain, 'created_date') }} as period_start,
            {{ ticket_measures() }}
        from tickets
        group by {{ kpi_period_start(grain, 'created_date') }}
    ),

    period_measures as (
        select
            periods.period_start,
            periods.is_complete,
            periods.is_final,
            periods.unshipped_over_48h,
            periods.sessions_thresholded,
            periods.sessions_other_row_merged,
            periods.sessions_sampled,
            {%- if with_customers %}
                coalesce(customer_periods.active_customers, 0) as active_customers,
                coalesce(customer_periods.repeat_customers, 0) as repeat_customers,
            {%- endif %}
            {{ coalesced_kpi_measures('order_periods', 'session_periods', 'ad_spend_periods', 'ticket_periods') }}
        from periods
        left join order_periods on periods.period_start = order_periods.period_start
        {%- if with_customers %}
            left join customer_periods on periods.period_start = customer_periods.period_start
        {%- endif %}
        left join session_periods on periods.period_start = session_periods.period_start
        left join ad_spend_periods on periods.period_start = ad_spend_periods.period_start
        left join ticket_periods on periods.period_start = ticket_periods.period_start
    )

    select
        period_start as {{ period_column }},
        {{ kpi_columns() }},
        {%- if with_customers %}
            active_customers,
            repeat_customers,
            {{ kpi_repeat_customer_rate('repeat_customers', 'active_customers') }} as repeat_customer_rate,
        {%- endif %}
        is_complete,
        is_final,
        sessions_thresholded,
        sessions_other_row_merged,
        sessions_sampled
    from period_measures
{%- endmacro %}

{#- The rolling window of the channel and campaign views: the 28 days up to the last complete
    day (mart_kpi_daily's last day, the KPI report's day). -#}
{% macro kpi_rolling_window_days() -%}
    28
{%- endmacro %}

{#- SQL (one row): as_of_date (the last complete day) and window_start_date (the window's
    first day, kpi_rolling_window_days() - 1 days before). -#}
{% macro kpi_rolling_window() -%}
    select
        max(date) as as_of_date,
        {{ add_days('max(date)', 1 - kpi_rolling_window_days() | int) }} as window_start_date
    from {{ ref('int_kpi_calendar') }}
    where is_complete
{%- endmacro %}

{#- The rolling-window marts' (mart_channel_28d, mart_campaign_28d) first CTEs: `rolling_window`
    (kpi_rolling_window()) and `window_days` (kpi_rolling_window_day_counts()), followed by a
    comma for the model's own CTEs. -#}
{% macro kpi_rolling_window_ctes() -%}
    rolling_window as (
        {{ kpi_rolling_window() }}
    ),

    window_days as (
        {{ kpi_rolling_window_day_counts() }}
    ),
{%- endmacro %}

{#- SQL select-list items is_complete and is_final of a rolling-window mart: every day of the
    window is; the model cross joins `window_days`. -#}
{% macro kpi_rolling_window_flags() -%}
    window_days.complete_days = {{ kpi_rolling_window_days() }} as is_complete,
    window_days.final_days = {{ kpi_rolling_window_days() }} as is_final
{%- endmacro %}

{#- SQL (one row): how many days of the rolling window are complete and final; the model
    defines the CTE `rolling_window` (kpi_rolling_window()) first. -#}
{% macro kpi_rolling_window_day_counts() -%}
    select
        count(*) filter (where calendar.is_complete) as complete_days,
        count(*) filter (where calendar.is_final) as final_days
    from {{ ref('int_kpi_calendar') }} as calendar
    cross join rolling_window
    where calendar.date between rolling_window.window_start_date and rolling_window.as_of_date
{%- endmacro %}
