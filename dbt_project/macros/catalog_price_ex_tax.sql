{#-
    Money in the marts excludes tax (marts.md). Orders say per order whether their prices include
    tax; the catalog does not, so the shop's setting is a var: with `catalog_prices_include_tax`
    (default true, as for a European shop) a variant's price is divided by 1 + `catalog_vat_rate`.
-#}
{% macro catalog_price_ex_tax(price) -%}
    {%- if var('catalog_prices_include_tax') -%}
        cast(cast({{ price }} as decimal(18, 4)) / (1 + {{ var('catalog_vat_rate') }}) as decimal(18, 4))
    {%- else -%}
        cast({{ price }} as decimal(18, 4))
    {%- endif -%}
{%- endmacro %}
