{#- Aggregates and numeric functions whose name or signature differs between engines. -#}

{#-
    Median (interpolated: the mean of the two middle values of an even count) of `expression`
    over the rows where `condition` holds (all rows when none).
-#}
{% macro median_of(expression, condition=none) -%}
    {{ return(adapter.dispatch('median_of')(expression, condition)) }}
{%- endmacro %}

{% macro default__median_of(expression, condition=none) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
    {%- if condition is not none %} filter (where {{ condition }}){% endif %}
{%- endmacro %}

{% macro duckdb__median_of(expression, condition=none) -%}
    median({{ expression }})
    {%- if condition is not none %} filter (where {{ condition }}){% endif %}
{%- endmacro %}

{% macro spark__median_of(expression, condition=none) -%}
    {%- if condition is not none -%}
        median(case when {{ condition }} then {{ expression }} end)
    {%- else -%}
        median({{ expression }})
    {%- endif -%}
{%- endmacro %}

{#- The `value` of the row with the greatest `order_by` (nulls of order_by ignored). -#}
{% macro arg_max_of(value, order_by) -%}
    {{ return(adapter.dispatch('arg_max_of')(value, order_by)) }}
{%- endmacro %}

{% macro default__arg_max_of(value, order_by) -%}
    (array_agg({{ value }} order by {{ order_by }} desc) filter (where {{ order_by }} is not null))[1]
{%- endmacro %}

{% macro duckdb__arg_max_of(value, order_by) -%}
    arg_max({{ value }}, {{ order_by }})
{%- endmacro %}

{% macro spark__arg_max_of(value, order_by) -%}
    max_by({{ value }}, {{ order_by }})
{%- endmacro %}

{#- round(expression, digits) for any numeric type (Postgres rounds only numeric to n digits). -#}
{% macro round_to(expression, digits) -%}
    {{ return(adapter.dispatch('round_to')(expression, digits)) }}
{%- endmacro %}

{% macro default__round_to(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}

{% macro postgres__round_to(expression, digits) -%}
    round(cast({{ expression }} as numeric), {{ digits }})
{%- endmacro %}

{#- The distinct values of `expression`, sorted, joined with ', ' (nulls left out). -#}
{% macro sorted_distinct_list(expression) -%}
    {{ return(adapter.dispatch('sorted_distinct_list')(expression)) }}
{%- endmacro %}

{% macro default__sorted_distinct_list(expression) -%}
    string_agg(distinct {{ expression }}, ', ' order by {{ expression }})
{%- endmacro %}

{% macro spark__sorted_distinct_list(expression) -%}
    array_join(array_sort(collect_set({{ expression }})), ', ')
{%- endmacro %}
