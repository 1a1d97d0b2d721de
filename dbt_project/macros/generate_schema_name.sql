{#-
    Layers land in schemas named exactly as configured (`staging`, `intermediate`, `marts`), not
    dbt's default `<target>_<custom>`: the publication step and the tests read `marts.<table>`.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
