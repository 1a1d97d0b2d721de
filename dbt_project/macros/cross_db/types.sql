{#-
    Type names that differ between engines. DuckDB and Spark spell a 64-bit float `double`,
    Postgres `double precision`; text is `varchar` on DuckDB / Postgres, `string` on Spark (whose
    `varchar` needs a length). decimal(p, s), bigint, integer, boolean and date are portable.
-#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}

{% macro postgres__type_double() -%}
    double precision
{%- endmacro %}

{% macro type_text() -%}
    {{ return(adapter.dispatch('type_text')()) }}
{%- endmacro %}

{% macro default__type_text() -%}
    varchar
{%- endmacro %}

{% macro spark__type_text() -%}
    string
{%- endmacro %}
