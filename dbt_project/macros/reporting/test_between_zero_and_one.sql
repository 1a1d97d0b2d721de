{#- Rates are fractions in [0, 1] (docs/marts.md conventions); null is allowed (zero denominator). -#}
{% test between_zero_and_one(model, column_name) %}
    select {{ column_name }} as failing_value
    from {{ model }}
    where {{ column_name }} < 0 or {{ column_name }} > 1
{% endtest %}
