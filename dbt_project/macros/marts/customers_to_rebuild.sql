{#- dim_customers' incremental run: the customers of the fct_orders rows written since its last
    build (a parenthesised subquery of `customer_id`). -#}
{% macro customers_to_rebuild() -%}
    (
        select customer_id from {{ ref('fct_orders') }}
        where {{ loaded_since_last_build() }} and customer_id is not null
    )
{%- endmacro %}
