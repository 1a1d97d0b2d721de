{#-
    Channel of a (source, medium) pair through the seed `channel_mapping` (see DECISIONLOG):
    both values are compared lower-cased and trimmed; '*' in the seed matches anything (null too).
    The most specific row wins: exact source and medium, then exact source, then exact medium,
    then '*,*'. No source and no medium at all: 'direct'. Nothing matches: 'other'.
-#}
{% macro channel_from_utm(source_expression, medium_expression) -%}
    case
        when
            nullif(trim({{ source_expression }}), '') is null
            and nullif(trim({{ medium_expression }}), '') is null
            then 'direct'
        else coalesce((
            select m.channel
            from {{ ref('channel_mapping') }} as m
            where
                (m.utm_source = lower(trim({{ source_expression }})) or m.utm_source = '*')
                and (m.utm_medium = lower(trim({{ medium_expression }})) or m.utm_medium = '*')
            order by
                case when m.utm_source = '*' then 1 else 0 end * 2
                + case when m.utm_medium = '*' then 1 else 0 end
            limit 1
        ), 'other')
    end
{%- endmacro %}
