{#-
    Channel of a (source, medium) pair through the seed `channel_mapping` (see DECISIONLOG):
    both values are compared lower-cased and trimmed; '*' in the seed matches anything (null too).
    The most specific row wins: exact source and medium, then exact source, then exact medium,
    then '*,*'. No source and no medium at all: 'direct'. Nothing matches: 'other'.

    Portable form (no correlated `order by ... limit 1` subquery, which Spark rejects): one left
    join of the seed per specificity level. The seed holds each pair once (a data test), so each
    join adds at most one row. Usage, with the same expressions and an alias prefix:

        select {{ channel_from_utm('o.utm_source', 'o.utm_medium') }} as channel
        from orders as o
        {{ channel_mapping_joins('o.utm_source', 'o.utm_medium') }}
-#}
{% macro channel_mapping_joins(source_expression, medium_expression, alias='channel_map') -%}
    left join {{ ref('channel_mapping') }} as {{ alias }}_exact
        on
            {{ alias }}_exact.utm_source = lower(trim({{ source_expression }}))
            and {{ alias }}_exact.utm_medium = lower(trim({{ medium_expression }}))
    left join {{ ref('channel_mapping') }} as {{ alias }}_source
        on
            {{ alias }}_source.utm_source = lower(trim({{ source_expression }}))
            and {{ alias }}_source.utm_medium = '*'
    left join {{ ref('channel_mapping') }} as {{ alias }}_medium
        on
            {{ alias }}_medium.utm_source = '*'
            and {{ alias }}_medium.utm_medium = lower(trim({{ medium_expression }}))
    left join {{ ref('channel_mapping') }} as {{ alias }}_any
        on
            {{ alias }}_any.utm_source = '*'
            and {{ alias }}_any.utm_medium = '*'
{%- endmacro %}

{% macro channel_from_utm(source_expression, medium_expression, alias='channel_map') -%}
    case
        when
            nullif(trim({{ source_expression }}), '') is null
            and nullif(trim({{ medium_expression }}), '') is null
            then 'direct'
        else coalesce(
            {{ alias }}_exact.channel,
            {{ alias }}_source.channel,
            {{ alias }}_medium.channel,
            {{ alias }}_any.channel,
            'other'
        )
    end
{%- endmacro %}
