{#- A ratio whose denominator is 0 (or null) is null, never 0 and never an error (docs/marts.md). -#}
{% macro safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as {{ type_double() }}) / nullif(cast({{ denominator }} as {{ type_double() }}), 0))
{%- endmacro %}
