{#- Every campaign of `ad_spend` (a relation or CTE of int_ad_spend_unioned) with its latest name
    and channel: a select statement. -#}
{% macro latest_campaigns(ad_spend) -%}
    select
        platform,
        campaign_id,
        {{ arg_max_of('campaign_name', 'spend_date') }} as campaign_name,
        {{ arg_max_of('channel', 'spend_date') }} as channel
    from {{ ad_spend }}
    group by platform, campaign_id
{%- endmacro %}

{#-
    mart_campaign_daily's incremental run, beside the days its inputs changed: every day of the
    mart's rows of a campaign whose latest name or channel is no longer the one those rows carry,
    and every order day of a campaign the mart has no row of yet (orders can name a campaign
    before its first spend: they become attributable when it appears). ISO dates, read once
    when the model executes; empty outside an incremental run.
-#}
{% macro campaign_days_to_rebuild() -%}
    {%- if not execute or not incremental_run() -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        with
        latest as ({{ latest_campaigns(ref('int_ad_spend_unioned')) }}),
        built as (select distinct platform, campaign_id, campaign_name, channel from {{ this }}),
        moved as (
            select latest.platform, latest.campaign_id, built.campaign_id is null as is_new
            from latest
            left join built
                on latest.platform = built.platform and latest.campaign_id = built.campaign_id
            where
                built.campaign_id is null
                or latest.campaign_name is distinct from built.campaign_name
                or latest.channel is distinct from built.channel
        )
        select distinct built_days.date
        from {{ this }} as built_days
        inner join moved
            on built_days.platform = moved.platform and built_days.campaign_id = moved.campaign_id
        union
        select distinct orders.order_date
        from {{ ref('fct_orders') }} as orders
        inner join moved on orders.utm_campaign = moved.campaign_id and moved.is_new
        where orders.is_counted and orders.order_date is not null
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | map('string') | list) }}
{%- endmacro %}
