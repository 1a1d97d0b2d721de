{#-
    The contract's KPI formulas (docs/marts.md), written once and used by every mart.
    Each macro takes the SQL expressions of its components (column names by default) and returns
    one expression. Ratios go through safe_divide: a denominator of 0 gives null, never 0.
-#}

{% macro kpi_conversion_rate(orders='orders', sessions='sessions') -%}
    {{ safe_divide(orders, sessions) }}
{%- endmacro %}

{% macro kpi_average_basket(net_revenue='net_revenue', orders='orders') -%}
    {{ safe_divide(net_revenue, orders) }}
{%- endmacro %}

{% macro kpi_units_per_order(units='units', orders='orders') -%}
    {{ safe_divide(units, orders) }}
{%- endmacro %}

{% macro kpi_cross_sell_rate(cross_sell_orders='cross_sell_orders', orders='orders') -%}
    {{ safe_divide(cross_sell_orders, orders) }}
{%- endmacro %}

{% macro kpi_upsell_rate(
    upsell_orders='upsell_orders', returning_customer_orders='returning_customer_orders'
) -%}
    {{ safe_divide(upsell_orders, returning_customer_orders) }}
{%- endmacro %}

{#- No spend recorded is no paid acquisition, not a free customer: null when ad_spend is 0. -#}
{% macro kpi_cac(ad_spend='ad_spend', new_customers='new_customers') -%}
    case when {{ ad_spend }} != 0 then {{ safe_divide(ad_spend, new_customers) }} end
{%- endmacro %}

{% macro kpi_roas(net_revenue='net_revenue', ad_spend='ad_spend') -%}
    {{ safe_divide(net_revenue, ad_spend) }}
{%- endmacro %}

{#- Refunded units go back to stock, so their cost is given back; a line without a known cost
    counts no cost (fct_orders.lines_without_cost says how many). One order or one line: the
    caller passes the columns of its grain. -#}
{% macro kpi_contribution_margin(
    net_revenue='net_revenue',
    refunded_revenue='refunded_revenue',
    cogs='cogs',
    refunded_cost='refunded_cost'
) -%}
    cast(
        {{ net_revenue }}
        - {{ refunded_revenue }}
        - (coalesce({{ cogs }}, 0) - coalesce({{ refunded_cost }}, 0))
        as decimal(18, 4)
    )
{%- endmacro %}

{% macro kpi_margin_after_ad_spend(contribution_margin='contribution_margin', ad_spend='ad_spend') -%}
    (cast({{ contribution_margin }} as {{ type_double() }}) - cast({{ ad_spend }} as {{ type_double() }}))
{%- endmacro %}

{#- Unprofitable: the margin left after ad spend is negative while money was spent on ads. -#}
{% macro kpi_is_unprofitable(contribution_margin='contribution_margin', ad_spend='ad_spend') -%}
    ({{ ad_spend }} > 0 and {{ kpi_margin_after_ad_spend(contribution_margin, ad_spend) }} < 0)
{%- endmacro %}

{% macro kpi_return_rate(refunded_units='refunded_units', units='units') -%}
    {{ safe_divide(refunded_units, units) }}
{%- endmacro %}

{#- An order still waiting 48 h after the data's as-of time is late, not missing: it stays in the
    denominator (int_kpi_calendar.unshipped_over_48h). -#}
{% macro kpi_shipped_within_48h_rate(
    shipped_within_48h_orders='shipped_within_48h_orders',
    fulfilled_orders='fulfilled_orders',
    unshipped_over_48h='unshipped_over_48h'
) -%}
    {{ safe_divide(shipped_within_48h_orders, '(' ~ fulfilled_orders ~ ' + ' ~ unshipped_over_48h ~ ')') }}
{%- endmacro %}

{% macro kpi_contact_rate(tickets='tickets', orders='orders') -%}
    {{ safe_divide(tickets, orders) }}
{%- endmacro %}

{% macro kpi_csat(good_ratings='good_ratings', bad_ratings='bad_ratings') -%}
    {{ safe_divide(good_ratings, '(' ~ good_ratings ~ ' + ' ~ bad_ratings ~ ')') }}
{%- endmacro %}

{% macro kpi_repeat_customer_rate(
    repeat_customers='repeat_customers', active_customers='active_customers'
) -%}
    {{ safe_divide(repeat_customers, active_customers) }}
{%- endmacro %}

{% macro kpi_ctr(clicks='clicks', impressions='impressions') -%}
    {{ safe_divide(clicks, impressions) }}
{%- endmacro %}

{% macro kpi_cpc(spend='spend', clicks='clicks') -%}
    {{ safe_divide(spend, clicks) }}
{%- endmacro %}

{% macro kpi_tickets_per_100_orders(tickets='tickets', orders='orders') -%}
    (100 * {{ safe_divide(tickets, orders) }})
{%- endmacro %}

{#-
    The KPI columns of the contract in its order, from the period's additive measures: the one
    select list of mart_kpi_daily, mart_kpi_weekly and mart_kpi_monthly.
-#}
{% macro kpi_columns() -%}
sessions,
orders,
cancelled_orders,
{{ kpi_conversion_rate('orders', 'sessions') }} as conversion_rate,
net_revenue,
{{ kpi_average_basket('net_revenue', 'orders') }} as average_basket,
{{ kpi_units_per_order('units', 'orders') }} as units_per_order,
{{ kpi_cross_sell_rate('cross_sell_orders', 'orders') }} as cross_sell_rate,
{{ kpi_upsell_rate('upsell_orders', 'returning_customer_orders') }} as upsell_rate,
new_customers,
ad_spend,
{{ kpi_cac('ad_spend', 'new_customers') }} as cac,
{{ kpi_roas('net_revenue', 'ad_spend') }} as roas,
contribution_margin,
{{ kpi_margin_after_ad_spend('contribution_margin', 'ad_spend') }} as margin_after_ad_spend,
{{ kpi_return_rate('refunded_units', 'units') }} as return_rate,
median_processing_hours,
{{ kpi_shipped_within_48h_rate('shipped_within_48h_orders', 'fulfilled_orders', 'unshipped_over_48h') }}
    as shipped_within_48h_rate,
unshipped_over_48h,
tickets,
{{ kpi_contact_rate('tickets', 'orders') }} as contact_rate,
{{ kpi_csat('good_ratings', 'bad_ratings') }} as csat
{%- endmacro %}
