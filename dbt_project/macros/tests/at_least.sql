{#-
    Hard lower bounds of mart columns (amounts, counts, durations): a correct model never breaks
    them, so they fail the build (severity error) instead of waiting for the Great Expectations
    checks, which keep the statistics (shares, volumes). Null passes (no value to bound).
    Usage (column level):  data_tests: [non_negative]
                           data_tests: [{at_least: {arguments: {min_value: 1}}}]
-#}
{% test at_least(model, column_name, min_value) %}
    select {{ column_name }} as failing_value
    from {{ model }}
    where {{ column_name }} < {{ min_value }}
{% endtest %}

{% test non_negative(model, column_name) %}
    {{ test_at_least(model, column_name, 0) }}
{% endtest %}
