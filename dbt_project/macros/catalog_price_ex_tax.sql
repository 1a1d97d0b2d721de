{#-
    Money in the marts excludes tax (docs/marts.md). Whether a variant's price includes tax is the
    shop's setting `taxesIncluded`, landed with the catalog as `shop_taxes_included`: when true,
    the price is divided by 1 + `catalog_vat_rate`. Files landed before that column existed read
    it as null: for them the var `catalog_prices_include_tax` (default true, as for a European
    shop) decides, as it did before.
-#}
{% macro catalog_price_ex_tax(price, taxes_included='shop_taxes_included') -%}
    cast(
        case
            when coalesce({{ taxes_included }}, {{ 'true' if var('catalog_prices_include_tax') else 'false' }})
                then cast({{ price }} as decimal(18, 4)) / (1 + {{ var('catalog_vat_rate') }})
            else cast({{ price }} as decimal(18, 4))
        end
        as decimal(18, 4)
    )
{%- endmacro %}
