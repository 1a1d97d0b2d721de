{#- A scalar from a JSON text column, as text. `path` is a list of keys. -#}
{% macro json_extract_text(column, path) -%}
    {{ return(adapter.dispatch('json_extract_text')(column, path)) }}
{%- endmacro %}

{% macro default__json_extract_text(column, path) -%}
    (cast({{ column }} as json) #>> '{ {{- path | join(",") -}} }')
{%- endmacro %}

{% macro duckdb__json_extract_text(column, path) -%}
    json_extract_string({{ column }}, '$.{{ path | join(".") }}')
{%- endmacro %}

{% macro spark__json_extract_text(column, path) -%}
    get_json_object({{ column }}, '$.{{ path | join(".") }}')
{%- endmacro %}
