{#-
    Incremental facts reprocess the records landed on or after the window start
    `partition_start - lookback_days` (no upper bound: re-running an old day must not roll later
    days back). With `partition_start` null, or on a full refresh / first build: everything.
-#}
{% macro landing_window_start() -%}
    {%- set start = partition_window_var('partition_start') -%}
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

{#-
    A bound of the run's day range: `partition_start` or `partition_end` (an ISO date), none when
    unset (= everything landed). The dbt var when it is set (`dbt build --vars '{partition_start:
    A, partition_end: B}'` by hand, unit-test overrides), else the environment variable
    DBT_PARTITION_START / DBT_PARTITION_END: Dagster passes a run's window that way, because dbt
    re-parses the whole project whenever `--vars` change (orchestration/dbt/vars.py). The
    environment variable is read only when executing, never while parsing, so dbt does not record
    it in the manifest and a run with a new window re-parses nothing. Hence do not use this where
    dbt renders at parse time (config(), yml configs such as a test's `where`): there it is none.
    Unit tests see only vars (`overrides: vars`), never the environment variables.
-#}
{% macro partition_window_var(name) -%}
    {%- set value = var(name, none) -%}
    {%- set unit_test = model is defined and model.resource_type == 'unit_test' -%}
    {%- if (value is none or value == '') and execute and not unit_test -%}
        {%- set value = env_var('DBT_' ~ (name | upper), '') -%}
    {%- endif -%}
    {{ return(value if value else none) }}
{%- endmacro %}
