{#-
    The business days whose KPI measures this incremental run may change, as a subquery of
    `day`: the order days of the fct_orders rows and the ticket days of the fct_support_tickets
    rows this dbt run (re)wrote (`_loaded_at`, macros/run_loaded_at.sql: an order landed again,
    and the other orders of its customers whose sequence flags moved), and the session and ad
    spend days landed in the run's window (their staging keeps one version per day and key, so a
    restated day lands again), and the days whose partitions the run landed (a day becomes
    complete when its last source lands, even an empty one: int_kpi_calendar). Only meaningful
    in a windowed incremental run (is_windowed_run). The caller declares the staging refs and
    int_kpi_calendar with `-- depends_on:` (this macro is not rendered when dbt parses).
-#}
{% macro kpi_days_touched() -%}
    {%- set start = partition_start_date() -%}
    {%- set end = partition_window_var('partition_end') -%}
    {%- set last_day = "cast('" ~ end ~ "' as date)" if end else 'date' -%}
    (
        select date as day from {{ ref('int_kpi_calendar') }}
        where date >= {{ start }} and date <= {{ last_day }}
        union
        select order_date as day from {{ ref('fct_orders') }}
        where _loaded_at = {{ run_loaded_at() }}
        union
        select created_date as day from {{ ref('fct_support_tickets') }}
        where _loaded_at = {{ run_loaded_at() }}
        union
        select session_date as day from {{ ref('stg_ga4__sessions') }}
        where _partition_date >= {{ start }}
        union
        select spend_date as day from {{ ref('stg_google_ads__campaign_stats') }}
        where _partition_date >= {{ start }}
        union
        select spend_date as day from {{ ref('stg_meta_ads__campaign_insights') }}
        where _partition_date >= {{ start }}
    )
{%- endmacro %}

{#-
    The days (grain 'day') or months (grain 'month': month starts) that int_kpi_measures_daily
    (re)wrote in this dbt run, as a sorted list of ISO dates read once when the calling model
    executes. The reporting marts recompute these periods; as literals, the filters of
    `in_periods` are pushed into the scans (DuckDB skips row groups by their min/max). The caller
    refs or declares (`-- depends_on:`) int_kpi_measures_daily.
-#}
{% macro kpi_periods_rewritten(grain='day') -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {{ return(periods_where(
        ref('int_kpi_measures_daily'), 'date', grain, '_loaded_at = ' ~ run_loaded_at()
    )) }}
{%- endmacro %}

{#- The distinct periods (grain 'day' or 'month': month starts) of `day_column` among the rows
    of `relation` matching `condition`, as a sorted list of ISO dates, read now (execute time). -#}
{% macro periods_where(relation, day_column, grain, condition) -%}
    {%- set periods = run_query(
        "select distinct cast(date_trunc('" ~ grain ~ "', " ~ day_column ~ ") as date) from "
        ~ relation ~ " where " ~ condition
    ) -%}
    {{ return(periods.columns[0].values() | map('string') | list | sort) }}
{%- endmacro %}

{#- SQL: `day_column` falls in one of `periods` (kpi_periods_rewritten); none: false. -#}
{% macro in_periods(day_column, periods, grain='day') -%}
    {%- if periods | length == 0 -%}
        false
    {%- else -%}
        {%- set period = day_column if grain == 'day'
            else "cast(date_trunc('" ~ grain ~ "', " ~ day_column ~ ") as date)" -%}
        {%- set literals = [] -%}
        {%- for start in periods -%}
            {%- do literals.append("cast('" ~ start ~ "' as date)") -%}
        {%- endfor -%}
        {{ day_column }} >= {{ literals[0] }} and {{ period }} in ({{ literals | join(', ') }})
    {%- endif -%}
{%- endmacro %}

{#-
    The periods (values of `period_column`, ISO dates) of this incremental model that are not
    final yet (`not is_final`): a windowed run recomputes them as well as the periods it
    rewrote, because their is_final flag and their late orders move with the data's as-of day
    whatever changed. A table built before the column had them all recomputed once (`[none]`
    is returned: the caller rebuilds every period).
-#}
{% macro kpi_unsettled_periods(period_column) -%}
    {%- if not execute or not incremental_run() -%}
        {{ return([]) }}
    {%- endif -%}
    {%- if lacks_column('is_final') -%}
        {{ return([none]) }}
    {%- endif -%}
    {%- set periods = run_query(
        "select distinct " ~ period_column ~ " from " ~ this ~ " where not is_final"
    ) -%}
    {{ return(periods.columns[0].values() | map('string') | list) }}
{%- endmacro %}
