-- One row per period x KPI of the seed kpi_targets (docs/marts.md, mart_kpi_scorecard): the actual of
-- the period against its target. Actuals are recomputed from the additive daily measures summed
-- over the period (never averaged daily ratios), with the formulas of kpi_formulas.sql.
-- comparison (seed): yoy_growth / pop_growth: target = baseline + |baseline| x growth, baseline =
-- the same period a year earlier / the previous period; at_least: actual >= target;
-- greater_than: actual > target. attainment = actual / target. Status: see the model's YAML.
{%- set scorecard_kpis = [
    'conversion_rate', 'csat', 'average_basket', 'margin_after_ad_spend', 'net_revenue',
    'contribution_margin', 'orders', 'sessions', 'new_customers', 'ad_spend', 'cac', 'roas',
    'units_per_order', 'cross_sell_rate', 'upsell_rate', 'return_rate', 'shipped_within_48h_rate',
    'contact_rate',
] %}
{%- set at_risk_tolerance = var('scorecard_at_risk_tolerance', 0.10) %}

with

-- the complete days (the calendar of mart_kpi_daily) with their measures
daily_measures as (
    select
        calendar.date,
        calendar.is_final,
        calendar.unshipped_over_48h,
        measures.sessions,
        measures.orders,
        measures.net_revenue,
        measures.contribution_margin,
        measures.units,
        measures.refunded_units,
        measures.cross_sell_orders,
        measures.returning_customer_orders,
        measures.upsell_orders,
        measures.new_customers,
        measures.fulfilled_orders,
        measures.shipped_within_48h_orders,
        measures.ad_spend,
        measures.tickets,
        measures.good_ratings,
        measures.bad_ratings
    from {{ ref('int_kpi_calendar') }} as calendar
    left join {{ ref('int_kpi_measures_daily') }} as measures on calendar.date = measures.date
    where calendar.is_complete
),

kpi_targets as (
    select * from {{ ref('kpi_targets') }}
),

period_days as (
    select
        'month' as grain,
        cast(date_trunc('month', date) as date) as period_start,
        *
    from daily_measures
    union all
    select
        'quarter' as grain,
        cast(date_trunc('quarter', date) as date) as period_start,
        *
    from daily_measures
),

period_measures as (
    select
        grain,
        period_start,
        count(*) as complete_days,
        count(*) filter (where is_final) as final_days,
        sum(unshipped_over_48h) as unshipped_over_48h,
        sum(sessions) as sessions,
        sum(orders) as orders,
        sum(net_revenue) as net_revenue,
        sum(contribution_margin) as contribution_margin,
        sum(units) as units,
        sum(refunded_units) as refunded_units,
        sum(cross_sell_orders) as cross_sell_orders,
        sum(returning_customer_orders) as returning_customer_orders,
        sum(upsell_orders) as upsell_orders,
        sum(new_customers) as new_customers,
        sum(fulfilled_orders) as fulfilled_orders,
        sum(shipped_within_48h_orders) as shipped_within_48h_orders,
        sum(ad_spend) as ad_spend,
        sum(tickets) as tickets,
        sum(good_ratings) as good_ratings,
        sum(bad_ratings) as bad_ratings
    from period_days
    group by grain, period_start
),

period_kpis as (
    select
        grain,
        period_start,
        {{ kpi_conversion_rate('orders', 'sessions') }} as conversion_rate,
        {{ kpi_csat('good_ratings', 'bad_ratings') }} as csat,
        {{ kpi_average_basket('net_revenue', 'orders') }} as average_basket,
        {{ kpi_margin_after_ad_spend('contribution_margin', 'ad_spend') }} as margin_after_ad_spend,
        cast(net_revenue as {{ type_double() }}) as net_revenue,
        cast(contribution_margin as {{ type_double() }}) as contribution_margin,
        cast(orders as {{ type_double() }}) as orders,
        cast(sessions as {{ type_double() }}) as sessions,
        cast(new_customers as {{ type_double() }}) as new_customers,
        cast(ad_spend as {{ type_double() }}) as ad_spend,
        {{ kpi_cac('ad_spend', 'new_customers') }} as cac,
        {{ kpi_roas('net_revenue', 'ad_spend') }} as roas,
        {{ kpi_units_per_order('units', 'orders') }} as units_per_order,
        {{ kpi_cross_sell_rate('cross_sell_orders', 'orders') }} as cross_sell_rate,
        {{ kpi_upsell_rate('upsell_orders', 'returning_customer_orders') }} as upsell_rate,
        {{ kpi_return_rate('refunded_units', 'units') }} as return_rate,
        {{ kpi_shipped_within_48h_rate() }}
            as shipped_within_48h_rate,
        {{ kpi_contact_rate('tickets', 'orders') }} as contact_rate
    from period_measures
),

-- One row per grain x period x KPI (the KPIs the scorecard knows how to compute).
kpi_actuals as (
    {%- for kpi in scorecard_kpis %}
        select
            grain,
            period_start,
            '{{ kpi }}' as kpi,
            {{ kpi }} as actual
        from period_kpis
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

-- Every period of the KPI's grain in the data range; actual is null for a KPI it cannot compute.
scorecard_periods as (
    select
        kpi_targets.kpi,
        kpi_targets.grain,
        kpi_targets.comparison,
        kpi_targets.target as target_value,
        kpi_targets.owner,
        periods.period_start,
        periods.complete_days,
        periods.final_days,
        {{ days_in_period('periods.period_start', "case periods.grain when 'quarter' then 3 else 1 end") }}
            as period_days,
        kpi_actuals.actual
    from kpi_targets
    inner join period_measures as periods
        on kpi_targets.grain = periods.grain
    left join kpi_actuals
        on
            kpi_targets.kpi = kpi_actuals.kpi
            and periods.grain = kpi_actuals.grain
            and periods.period_start = kpi_actuals.period_start
),

with_baseline as (
    select
        scorecard_periods.*,
        case scorecard_periods.comparison
            when 'yoy_growth'
                then {{ add_months('scorecard_periods.period_start', -12) }}
            when 'pop_growth'
                then {{ add_months(
                    'scorecard_periods.period_start',
                    "case scorecard_periods.grain when 'quarter' then -3 else -1 end"
                ) }}
        end as baseline_period_start
    from scorecard_periods
),

with_target as (
    select
        with_baseline.*,
        baseline_actuals.actual as baseline,
        case
            when with_baseline.comparison in ('yoy_growth', 'pop_growth')
                then baseline_actuals.actual + abs(baseline_actuals.actual) * with_baseline.target_value
            else with_baseline.target_value
        end as target  -- noqa: RF04
    from with_baseline
    left join kpi_actuals as baseline_actuals
        on
            with_baseline.kpi = baseline_actuals.kpi
            and with_baseline.grain = baseline_actuals.grain
            and cast(with_baseline.baseline_period_start as date) = baseline_actuals.period_start
),

with_tracking as (
    select
        with_target.*,
        case
            when with_target.actual is null or with_target.target is null then 'no_data'
            when with_target.comparison = 'greater_than' and with_target.actual > with_target.target
                then 'on_track'
            when with_target.comparison != 'greater_than' and with_target.actual >= with_target.target
                then 'on_track'
            when
                with_target.actual
                >= with_target.target - {{ at_risk_tolerance }} * abs(with_target.target)
                then 'at_risk'
            else 'off_track'
        end as tracking_status,
        with_target.complete_days = with_target.period_days as is_complete_period,
        with_target.final_days = with_target.period_days as is_final_period
    from with_target
)

-- A period that is not final (a day missing or within the maturity window) is `provisional`:
-- refunds and fulfilments may still move its figures; tracking_status says where it stands.
select
    period_start,
    kpi,
    owner,
    actual,
    baseline,
    target,
    {{ safe_divide('actual', 'target') }} as attainment,
    case when is_final_period then tracking_status else 'provisional' end as status,
    grain,
    comparison,
    is_complete_period,
    is_final_period,
    tracking_status
from with_tracking
