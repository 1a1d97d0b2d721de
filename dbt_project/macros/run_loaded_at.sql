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
