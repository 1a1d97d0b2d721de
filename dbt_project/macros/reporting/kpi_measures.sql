{#-
    The additive measure sets the KPI formulas are computed from, written once. Each macro returns
    a list of aggregate expressions (with their aliases) over the rows of one core model; the
    caller chooses the grain with its `group by` (day, month, day x channel, day x campaign...).
-#}

{#- Over fct_orders. Counted orders = not cancelled (test orders are not in fct_orders). -#}
{% macro order_measures() -%}
    count(*) filter (where is_counted) as orders,
    count(*) filter (where is_cancelled) as cancelled_orders,
    coalesce(sum(net_revenue) filter (where is_counted), 0) as net_revenue,
    coalesce(sum(contribution_margin) filter (where is_counted), 0) as contribution_margin,
    cast(coalesce(sum(items_qty) filter (where is_counted), 0) as bigint) as units,
    cast(coalesce(sum(refunded_qty) filter (where is_counted), 0) as bigint) as refunded_units,
    count(*) filter (where is_counted and distinct_categories >= 2) as cross_sell_orders,
    count(*) filter (where is_counted and is_returning_customer_order) as returning_customer_orders,
    count(*) filter (where is_counted and is_upsell_order) as upsell_orders,
    count(distinct customer_id) filter (where is_counted and is_first_order) as new_customers,
    count(*) filter (where is_counted and is_shipped_within_48h is not null) as fulfilled_orders,
    count(*) filter (where is_counted and is_shipped_within_48h) as shipped_within_48h_orders,
    {{ median_of('processing_hours', 'is_counted and processing_hours is not null') }}
        as median_processing_hours
{%- endmacro %}

{#- Over int_web_sessions_mapped. -#}
{% macro session_measures() -%}
    cast(coalesce(sum(sessions), 0) as bigint) as sessions
{%- endmacro %}

{#- Over int_ad_spend_unioned: campaign-level totals only (product rows never add to spend). -#}
{% macro ad_spend_measures() -%}
    coalesce(sum(spend), 0) as ad_spend
{%- endmacro %}

{#- Over fct_support_tickets. -#}
{% macro ticket_measures() -%}
    count(*) as tickets,
    count(*) filter (where satisfaction = 'good') as good_ratings,
    count(*) filter (where satisfaction = 'bad') as bad_ratings
{%- endmacro %}

{#- The measure sets of one period, joined onto its spine: counts and sums of a period with no
    row are 0, never null (the median stays null). Used by the daily and monthly measures so a
    new measure is added in one place. -#}
{% macro coalesced_kpi_measures(orders, sessions, ad_spend, tickets) -%}
    coalesce({{ sessions }}.sessions, 0) as sessions,
    coalesce({{ orders }}.orders, 0) as orders,
    coalesce({{ orders }}.cancelled_orders, 0) as cancelled_orders,
    coalesce({{ orders }}.net_revenue, 0) as net_revenue,
    coalesce({{ orders }}.contribution_margin, 0) as contribution_margin,
    coalesce({{ orders }}.units, 0) as units,
    coalesce({{ orders }}.refunded_units, 0) as refunded_units,
    coalesce({{ orders }}.cross_sell_orders, 0) as cross_sell_orders,
    coalesce({{ orders }}.returning_customer_orders, 0) as returning_customer_orders,
    coalesce({{ orders }}.upsell_orders, 0) as upsell_orders,
    coalesce({{ orders }}.new_customers, 0) as new_customers,
    coalesce({{ orders }}.fulfilled_orders, 0) as fulfilled_orders,
    coalesce({{ orders }}.shipped_within_48h_orders, 0) as shipped_within_48h_orders,
    {{ orders }}.median_processing_hours,
    coalesce({{ ad_spend }}.ad_spend, 0) as ad_spend,
    coalesce({{ tickets }}.tickets, 0) as tickets,
    coalesce({{ tickets }}.good_ratings, 0) as good_ratings,
    coalesce({{ tickets }}.bad_ratings, 0) as bad_ratings
{%- endmacro %}
