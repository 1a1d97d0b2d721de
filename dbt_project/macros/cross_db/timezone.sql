{#- Dialect-specific time handling. `default__` is Postgres; DuckDB and Spark override. -#}

{#- A UTC instant as a timestamptz (landing timestamps are UTC). -#}
{% macro to_timestamptz(expression) -%}
    {{ return(adapter.dispatch('to_timestamptz')(expression)) }}
{%- endmacro %}

{% macro default__to_timestamptz(expression) -%}
    cast({{ expression }} as timestamp with time zone)
{%- endmacro %}

{% macro duckdb__to_timestamptz(expression) -%}
    cast({{ expression }} as timestamptz)
{%- endmacro %}

{#- Spark's `timestamp` is an instant (TIMESTAMP_LTZ); the session time zone is UTC (profile). -#}
{% macro spark__to_timestamptz(expression) -%}
    cast({{ expression }} as timestamp)
{%- endmacro %}

{#- The wall-clock time of a timestamptz in the shop's time zone (var shop_timezone). -#}
{% macro to_shop_time(expression) -%}
    {{ return(adapter.dispatch('to_shop_time')(expression)) }}
{%- endmacro %}

{% macro default__to_shop_time(expression) -%}
    ({{ expression }} at time zone '{{ var("shop_timezone") }}')
{%- endmacro %}

{% macro duckdb__to_shop_time(expression) -%}
    timezone('{{ var("shop_timezone") }}', {{ expression }})
{%- endmacro %}

{#- The instant rendered in the shop's zone, read back in the (UTC) session zone = wall clock. -#}
{% macro spark__to_shop_time(expression) -%}
    from_utc_timestamp({{ expression }}, '{{ var("shop_timezone") }}')
{%- endmacro %}

{#- The business day of a timestamptz: its date in the shop's time zone. -#}
{% macro to_shop_date(expression) -%}
    cast({{ to_shop_time(expression) }} as date)
{%- endmacro %}

{#- Hours (fractional) from one timestamptz to another. -#}
{% macro hours_between(start_expression, end_expression) -%}
    {{ return(adapter.dispatch('hours_between')(start_expression, end_expression)) }}
{%- endmacro %}

{% macro default__hours_between(start_expression, end_expression) -%}
    (extract(epoch from ({{ end_expression }} - {{ start_expression }})) / 3600.0)
{%- endmacro %}

{% macro duckdb__hours_between(start_expression, end_expression) -%}
    ((epoch({{ end_expression }}) - epoch({{ start_expression }})) / 3600.0)
{%- endmacro %}

{% macro spark__hours_between(start_expression, end_expression) -%}
    (cast(unix_micros({{ end_expression }}) - unix_micros({{ start_expression }}) as double) / 3600000000.0)
{%- endmacro %}

{#- Whole days from one date to another. -#}
{% macro days_between(start_expression, end_expression) -%}
    {{ return(adapter.dispatch('days_between')(start_expression, end_expression)) }}
{%- endmacro %}

{% macro default__days_between(start_expression, end_expression) -%}
    ({{ end_expression }} - {{ start_expression }})
{%- endmacro %}

{% macro duckdb__days_between(start_expression, end_expression) -%}
    date_diff('day', {{ start_expression }}, {{ end_expression }})
{%- endmacro %}

{#- Spark: date - date is an interval, not a number. -#}
{% macro spark__days_between(start_expression, end_expression) -%}
    datediff({{ end_expression }}, {{ start_expression }})
{%- endmacro %}
