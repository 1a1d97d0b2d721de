-- The 7 x 24 grid of ISO weekday x hour of day (shop time) over the trailing
-- support_hourly_window_days days up to the run's day D (docs/marts.md, mart_support_hourly): when
-- customers ask for help, against when they order. Every cell is present, with zeros.
with

tickets as (
    select * from {{ ref('fct_support_tickets') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_counted
),

-- D = var partition_end, else the latest day with a ticket or an order.
run_window as (
    select
        as_of_date,
        as_of_date - {{ var('support_hourly_window_days') }} + 1 as window_start_date
    from (
        select
            {{ reporting_as_of_date(
                'greatest((select max(created_date) from tickets), (select max(order_date) from orders))'
            ) }} as as_of_date
    ) as run_day
),

weekdays as (
    select {{ integer_series(1, 7) }} as isodow
),

hours_of_day as (
    select {{ integer_series(0, 23) }} as hour_of_day
),

slots as (
    select
        cast(weekdays.isodow as integer) as isodow,
        cast(hours_of_day.hour_of_day as integer) as hour  -- noqa: RF04
    from weekdays
    cross join hours_of_day
),

ticket_slots as (
    select
        tickets.created_isodow as isodow,
        tickets.created_hour as hour,  -- noqa: RF04
        count(*) as tickets
    from tickets
    inner join run_window
        on tickets.created_date between run_window.window_start_date and run_window.as_of_date
    group by 1, 2
),

order_slots as (
    select
        orders.order_isodow as isodow,
        orders.order_hour as hour,  -- noqa: RF04
        count(*) as orders
    from orders
    inner join run_window
        on orders.order_date between run_window.window_start_date and run_window.as_of_date
    group by 1, 2
),

slot_measures as (
    select
        run_window.as_of_date,
        run_window.window_start_date,
        slots.isodow,
        slots.hour,
        coalesce(ticket_slots.tickets, 0) as tickets,
        coalesce(order_slots.orders, 0) as orders
    from slots
    cross join run_window
    left join ticket_slots on slots.isodow = ticket_slots.isodow and slots.hour = ticket_slots.hour
    left join order_slots on slots.isodow = order_slots.isodow and slots.hour = order_slots.hour
    -- no ticket, no order and no partition_end: D is unknown, the grid is empty
    where run_window.as_of_date is not null
)

select
    as_of_date,
    window_start_date,
    isodow,
    {{ reporting_weekday_name('isodow') }} as weekday,  -- noqa: RF04
    hour,
    {{ reporting_is_business_hours('isodow', 'hour') }} as is_business_hours,
    tickets,
    {{ safe_divide('tickets', 'sum(tickets) over ()') }} as share_of_tickets,
    sum(tickets) over () as window_tickets,
    {{ safe_divide(
        'sum(case when not ' ~ reporting_is_business_hours('isodow', 'hour') ~ ' then tickets else 0 end) over ()',
        'sum(tickets) over ()'
    ) }} as out_of_hours_share,
    orders,
    {{ kpi_tickets_per_100_orders('tickets', 'orders') }} as tickets_per_100_orders
from slot_measures
