{#-
    dbt-spark 1.11's seed loader (session method) pastes each value between quotes without
    escaping, so a seed value holding a quote ("Lyon Presqu'île" in stores.csv) breaks the insert.
    This override renders escaped Spark string literals instead of bindings (root-project macros
    win adapter.dispatch). Everything else is dbt-spark's `spark__load_csv_rows`.
-#}
{% macro spark_string_literal(value) -%}
{%- if value is none -%}
null
{%- else -%}
'{{ (value | string).replace("\\", "\\\\").replace("'", "\\'") }}'
{%- endif -%}
{%- endmacro %}

{% macro spark__load_csv_rows(model, agate_table) %}
{% set batch_size = get_batch_size() %}
{% set column_override = model['config'].get('column_types', {}) %}
{% set statements = [] %}
{% for chunk in agate_table.rows | batch(batch_size) %}
{% set sql %}
insert into {{ this.render() }} values
{% for row in chunk -%}
({%- for col_name in agate_table.column_names -%}
{%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
{%- set type = column_override.get(col_name, inferred_type) -%}
cast({{ spark_string_literal(row[loop.index0]) }} as {{ type }})
{%- if not loop.last %},{% endif -%}
{%- endfor -%})
{%- if not loop.last %},{% endif %}
{%- endfor %}
{% endset %}
{% do adapter.add_query(sql, abridge_sql_log=True) %}
{% if loop.index0 == 0 %}
{% do statements.append(sql) %}
{% endif %}
{% endfor %}
{{ return(statements[0]) }}
{% endmacro %}
