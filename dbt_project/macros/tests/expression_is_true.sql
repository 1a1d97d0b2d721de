{#-
    Generic test: every row satisfies `expression` (optionally only the rows matching `where`).
    Usage (model level):  - expression_is_true: {expression: "net_revenue = gross_revenue - discounts"}
-#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
{% endtest %}
