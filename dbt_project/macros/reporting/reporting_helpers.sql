{#- The run's day range as SQL date literals (null when the var is not set). -#}
{% macro reporting_partition_end() -%}
    {%- set partition_end = partition_window_var('partition_end') -%}
    {%- if partition_end -%}
        cast('{{ partition_end }}' as date)
    {%- else -%}
        cast(null as date)
    {%- endif -%}
{%- endmacro %}

{#-
    The run's day D (architecture.md): var partition_end when set, else `fallback_sql`, an
    expression giving the latest data day of the mart's own source.
-#}
{% macro reporting_as_of_date(fallback_sql) -%}
    {%- if partition_window_var('partition_end') -%}
        {{ reporting_partition_end() }}
    {%- else -%}
        ({{ fallback_sql }})
    {%- endif -%}
{%- endmacro %}

{#- ISO weekday number (1 = Monday) -> English name. -#}
{% macro reporting_weekday_name(isodow) -%}
    case {{ isodow }}
        when 1 then 'Monday'
        when 2 then 'Tuesday'
        when 3 then 'Wednesday'
        when 4 then 'Thursday'
        when 5 then 'Friday'
        when 6 then 'Saturday'
        when 7 then 'Sunday'
    end
{%- endmacro %}

{#- True when an (ISO weekday, hour) slot is inside the support business hours (vars). -#}
{% macro reporting_is_business_hours(isodow, hour) -%}
    (
        {{ isodow }} in ({{ var('business_days') | join(', ') }})
        and {{ hour }} >= {{ var('business_hours_start') }}
        and {{ hour }} < {{ var('business_hours_end') }}
    )
{%- endmacro %}

{#-
    The shop's order source names that are in-store sales (Shopify POS), as a SQL list:
    var picking_in_store_source_names (default ['pos']). Their units are not online sales.
-#}
{% macro reporting_in_store_source_names() -%}
    {%- for source_name in var('picking_in_store_source_names', ['pos']) -%}
        '{{ source_name }}'{% if not loop.last %}, {% endif %}
    {%- endfor -%}
{%- endmacro %}
