{#-
    `_loaded_at` of the rows an incremental fact writes in this dbt invocation: its start time
    (`run_started_at`, UTC, the same value for every row of one `dbt build`). dbt only changes a
    fact by delete+insert of whole keys or by a rebuild, so the rows a run (re)wrote are the rows
    with the newest `_loaded_at`, and a month whose row count and max(_loaded_at) are unchanged
    is unchanged: the reporting marts recompute only the days such rows touch
    (`kpi_days_touched`) and the publication rewrites only such months. Build-only: never
    published. Under sqlfluff's jinja templater `run_started_at` is undefined: a fixed value.
-#}
{% macro run_loaded_at() -%}
    {%- set started = run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') if run_started_at is defined
        else '2000-01-01 00:00:00' -%}
    cast('{{ started }}' as timestamp)
{%- endmacro %}

{#-
    SQL predicate on `column` (a `_loaded_at`): the row was written after the calling model's
    last build, i.e. later than the newest `_loaded_at` of its own table ({{ this }}), read once
    when the model executes (a literal: DuckDB skips the row groups written before, which a
    daily run appends at the end). `true` in a full build, and when {{ this }} has no
    `_loaded_at` yet (a table built before the column existed: everything is recomputed once).
    Unlike `_loaded_at = run_loaded_at()`, this also picks up the rows an upstream model wrote
    in a run that stopped before this model (a failed blocking test skips what is downstream):
    the next run recomputes them instead of leaving this model stale.
-#}
{% macro loaded_since_last_build(column='_loaded_at') -%}
    {%- set newest = none -%}
    {%- if incremental_run() and not lacks_column('_loaded_at') -%}
        {%- set newest = max_loaded_at(this) -%}
    {%- endif -%}
    {%- if newest is none -%}
        true
    {%- else -%}
        {{ column }} > {{ timestamp_literal(newest) }}
    {%- endif -%}
{%- endmacro %}

{#-
    The newest `_loaded_at` of `relation`, read when the caller executes (none when parsing, or
    when the table is empty). Callers inline it as a literal: DuckDB then skips the row groups
    of older loads by their min/max, where a comparison with a subquery reads every row (0.7 s
    for fct_orders at 2 years).
-#}
{% macro max_loaded_at(relation) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(run_query('select max(_loaded_at) from ' ~ relation).columns[0][0]) }}
{%- endmacro %}

{#- A timestamp value (from `max_loaded_at`) as a SQL literal. -#}
{% macro timestamp_literal(value) -%}
    cast('{{ value }}' as timestamp)
{%- endmacro %}
