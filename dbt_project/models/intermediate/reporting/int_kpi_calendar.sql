{{ config(materialized='table') }}
-- One row per day that any KPI source landed: which sources landed it, whether it is complete and
-- final (docs/marts.md "Complete and final"), the GA4 quality flags of its sessions and the counted
-- orders of that day still waiting to ship 48 h after the data's as-of time. Decided from the
-- landing partitions (macros/reporting/kpi_calendar.sql), never from the calendar: an old order
-- landed again by a late refund creates no day here. A table, rebuilt each run: the as-of day
-- moves every day, and so do is_final and the waiting orders.
{%- set ad_datasets = {'google_ads': 'campaign_stats', 'meta_ads': 'campaign_insights'} %}
{%- set platforms = var('kpi_ad_platforms') %}
{%- set sources = [
    ('orders', 'shop', 'orders'), ('sessions', 'ga4', 'sessions'), ('tickets', 'zendesk', 'tickets'),
] %}
{%- for platform in platforms %}
    {%- do sources.append((platform, platform, ad_datasets[platform])) %}
{%- endfor %}
with

landed as (
    {%- for name, source_name, dataset in sources %}
        select
            partition_date,
            '{{ name }}' as landed_source
        from ({{ landed_partition_days(source_name, dataset) }}) as {{ name }}_days
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

landed_days as (
    select
        partition_date as date,  -- noqa: RF04
        {%- for name, source_name, dataset in sources %}
            count(*) filter (where landed_source = '{{ name }}') > 0 as {{ name }}_landed,
        {%- endfor %}
        count(distinct landed_source) = {{ sources | length }} as is_complete
    from landed
    group by partition_date
),

-- the data's as-of time: the end of the latest day whose orders have landed
as_of as (
    select
        max(date) as as_of_date,
        {{ shop_day_end('max(date)') }} as as_of_time
    from landed_days
    where orders_landed
),

waiting_orders as (
    select
        orders.order_date,
        count(*) as unshipped_over_48h
    from {{ ref('fct_orders') }} as orders
    cross join as_of
    where
        orders.is_counted
        and orders.fulfilled_at is null
        and {{ hours_between('orders.ordered_at', 'as_of.as_of_time') }} > 48
    group by orders.order_date
),

ga4_metadata as (
    select * from {{ ref('stg_ga4__report_metadata') }}
)

select
    landed_days.date,
    {%- for name, source_name, dataset in sources %}
        landed_days.{{ name }}_landed,
    {%- endfor %}
    landed_days.is_complete,
    (
        landed_days.is_complete
        and {{ days_between('landed_days.date', 'as_of.as_of_date') }} >= {{ var('maturity_days') }}
    ) as is_final,
    as_of.as_of_date,
    cast(coalesce(waiting_orders.unshipped_over_48h, 0) as bigint) as unshipped_over_48h,
    ga4_metadata.subject_to_thresholding as sessions_thresholded,
    ga4_metadata.data_loss_from_other_row as sessions_other_row_merged,
    ga4_metadata.is_sampled as sessions_sampled
from landed_days
cross join as_of
left join waiting_orders on landed_days.date = waiting_orders.order_date
left join ga4_metadata on landed_days.date = ga4_metadata.report_date
