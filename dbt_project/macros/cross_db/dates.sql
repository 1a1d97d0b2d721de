{#- Date arithmetic and series. `date - integer` and `date + integer` are portable (a date). -#}

{#- `expression` (a date) plus `months` months (may be an expression); cast the result to date. -#}
{% macro add_months(expression, months) -%}
    {{ return(adapter.dispatch('add_months')(expression, months)) }}
{%- endmacro %}

{% macro default__add_months(expression, months) -%}
    ({{ expression }} + interval '1 month' * ({{ months }}))
{%- endmacro %}

{% macro duckdb__add_months(expression, months) -%}
    ({{ expression }} + to_months(cast({{ months }} as integer)))
{%- endmacro %}

{% macro spark__add_months(expression, months) -%}
    add_months({{ expression }}, {{ months }})
{%- endmacro %}

{#- `expression` (a date, or a timestamp from add_months) plus `days` days, as a date. -#}
{% macro add_days(expression, days) -%}
    {{ return(adapter.dispatch('add_days')(expression, days)) }}
{%- endmacro %}

{% macro default__add_days(expression, days) -%}
    (cast({{ expression }} as date) + ({{ days }}))
{%- endmacro %}

{% macro duckdb__add_days(expression, days) -%}
    cast({{ expression }} + to_days(cast({{ days }} as integer)) as date)
{%- endmacro %}

{% macro spark__add_days(expression, days) -%}
    date_add(cast({{ expression }} as date), {{ days }})
{%- endmacro %}

{#- ISO day of week of a timestamp (1 = Monday .. 7 = Sunday). -#}
{% macro iso_weekday(expression) -%}
    {{ return(adapter.dispatch('iso_weekday')(expression)) }}
{%- endmacro %}

{% macro default__iso_weekday(expression) -%}
    extract(isodow from {{ expression }})
{%- endmacro %}

{% macro spark__iso_weekday(expression) -%}
    extract(dayofweek_iso from {{ expression }})
{%- endmacro %}

{#-
    A select-list expression that yields one row per day from `start_expression` to
    `end_expression` (dates, both included), as a date: `select {{ date_series(a, b) }} as day`.
-#}
{% macro date_series(start_expression, end_expression) -%}
    {{ return(adapter.dispatch('date_series')(start_expression, end_expression)) }}
{%- endmacro %}

{% macro default__date_series(start_expression, end_expression) -%}
    cast(generate_series(
        cast({{ start_expression }} as timestamp), cast({{ end_expression }} as timestamp), interval '1 day'
    ) as date)
{%- endmacro %}

{% macro duckdb__date_series(start_expression, end_expression) -%}
    cast(unnest(generate_series({{ start_expression }}, {{ end_expression }}, interval 1 day)) as date)
{%- endmacro %}

{% macro spark__date_series(start_expression, end_expression) -%}
    explode(sequence(
        cast({{ start_expression }} as date), cast({{ end_expression }} as date), interval 1 day
    ))
{%- endmacro %}

{#- A select-list expression that yields one row per integer from `start` to `stop` (included). -#}
{% macro integer_series(start, stop) -%}
    {{ return(adapter.dispatch('integer_series')(start, stop)) }}
{%- endmacro %}

{% macro default__integer_series(start, stop) -%}
    generate_series({{ start }}, {{ stop }})
{%- endmacro %}

{% macro duckdb__integer_series(start, stop) -%}
    unnest(range({{ start }}, {{ stop }} + 1))
{%- endmacro %}

{% macro spark__integer_series(start, stop) -%}
    explode(sequence({{ start }}, {{ stop }}))
{%- endmacro %}
