{#-
    Incremental facts reprocess the records landed on or after the window start
    `partition_start - lookback_days` (no upper bound: re-running an old day must not roll later
    days back). With `partition_start` null, or on a full refresh / first build: everything.
-#}
{% macro landing_window_start() -%}
    {%- set start = var('partition_start', none) -%}
    {%- if start is none or start == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return("(cast('" ~ start ~ "' as date) - " ~ (var('lookback_days') | int) ~ ")") }}
{%- endmacro %}

{#- A SQL predicate: true when `date_column` falls in the incremental window (true on a full build). -#}
{% macro in_incremental_window(date_column) -%}
    {%- set start = landing_window_start() -%}
    {%- if is_incremental() and start is not none -%}
        {{ date_column }} >= {{ start }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
