{{ config(**incremental_config('count_date')) }}
-- Stock counted by RFID per store x sku x business day (cycle counts only, all zones together),
-- with the previous count of the pair and what left / reached the shelf in between.
-- Incremental: the count days from the first one touched by this run's landed events are
-- recomputed from the events of those days and of the `rfid_previous_count_max_days` before
-- (for each pair's previous count), whatever the length of the history.
{%- set windowed = is_windowed_run() %}
{%- set previous_count_days = var('rfid_previous_count_max_days') | int %}
{%- set previous_counts_from = add_days(first_count_day_landed(), -previous_count_days) %}
with

cycle_count_events as (

    select
        event_id,
        event_time,
        event_date as count_date,
        store_gln,
        read_point,
        -- a zone counted more than once that day: only there do the counts need ranking
        count(*) over (partition by store_gln, event_date, read_point) as zone_counts_that_day
    from {{ ref('stg_rfid__events') }}
    where
        biz_step = 'cycle_counting'
        {%- if windowed %}
            and event_date >= {{ previous_counts_from }}
        {%- endif %}

),

observations as (

    select
        cycle_count_events.store_gln,
        cycle_count_events.count_date,
        cycle_count_events.read_point,
        cycle_count_events.event_time,
        cycle_count_events.zone_counts_that_day,
        observations.gtin14,
        observations.serial,
        observations.is_serialised,
        observations.quantity
    from {{ ref('stg_rfid__observations') }} as observations
    inner join cycle_count_events on observations.event_id = cycle_count_events.event_id
    {%- if windowed %}
    -- the join alone would scan every observation of the history (60 M rows at two years)
        where observations.event_date >= {{ previous_counts_from }}
    {%- endif %}

),

-- serialised items: distinct serials seen that day in the store, all zones and counts together
serialised_counts as (

    select
        store_gln,
        count_date,
        gtin14,
        count(distinct serial) as qty
    from observations
    where is_serialised
    group by store_gln, count_date, gtin14

),

-- class-level quantities: the last count of each zone that day, summed over the zones (zones
-- counted once that day, nearly all of them, need no ranking of their millions of rows)
class_counts as (

    select
        store_gln,
        count_date,
        gtin14,
        sum(quantity) as qty
    from (
        select
            store_gln,
            count_date,
            gtin14,
            quantity
        from observations
        where not is_serialised and zone_counts_that_day = 1
        union all
        select
            store_gln,
            count_date,
            gtin14,
            quantity
        from (
            select
                store_gln,
                count_date,
                gtin14,
                quantity,
                rank() over (
                    partition by store_gln, count_date, read_point, gtin14 order by event_time desc
                ) as count_rank
            from observations
            where not is_serialised and zone_counts_that_day > 1
        ) as ranked_class_counts
        where count_rank = 1
    ) as last_class_counts
    group by store_gln, count_date, gtin14

),

observed as (

    select
        store_gln,
        count_date,
        gtin14,
        sum(qty) as on_hand_qty
    from (
        select * from serialised_counts
        union all
        select * from class_counts
    ) as counts
    group by store_gln, count_date, gtin14

),

store_count_days as (

    select distinct
        store_gln,
        count_date
    from cycle_count_events

),

-- a store's cycle count that misses a GTIN seen there before counted zero units of it
known_pairs as (

    select
        store_gln,
        gtin14,
        min(first_count_date) as first_count_date
    from (
        select
            store_gln,
            gtin14,
            min(count_date) as first_count_date
        from observed
        group by store_gln, gtin14
        {%- if windowed %}
        -- pairs counted before the recomputed days (densified: a row on every store count day)
            union all
            select
                store_gln,
                gtin14,
                min(count_date) as first_count_date
            from {{ this }}
            where count_date >= {{ previous_counts_from }}
            group by store_gln, gtin14
        {%- endif %}
    ) as pairs
    group by store_gln, gtin14

),

densified as (

    select
        store_count_days.store_gln,
        store_count_days.count_date,
        known_pairs.gtin14,
        coalesce(observed.on_hand_qty, 0) as on_hand_qty
    from store_count_days
    inner join known_pairs
        on
            store_count_days.store_gln = known_pairs.store_gln
            and store_count_days.count_date >= known_pairs.first_count_date
    left join observed
        on
            store_count_days.store_gln = observed.store_gln
            and store_count_days.count_date = observed.count_date
            and known_pairs.gtin14 = observed.gtin14

),

ranked_products as (

    select
        gtin14,
        sku,
        row_number() over (partition by gtin14 order by sku) as gtin_rank
    from {{ ref('stg_shop__product_variants') }}
    where gtin14 is not null

),

products as (

    select
        gtin14,
        sku
    from ranked_products
    where gtin_rank = 1

),

stores as (

    select
        gln,
        store_id
    from {{ ref('stores') }}

),

series as (

    select
        coalesce(stores.store_id, densified.store_gln) as store_id,
        densified.store_gln,
        stores.store_id is null as is_unknown_store,
        products.sku,
        densified.gtin14,
        densified.count_date,
        cast(densified.on_hand_qty as bigint) as on_hand_qty,
        cast(lag(densified.on_hand_qty) over (
            partition by densified.store_gln, densified.gtin14 order by densified.count_date
        ) as bigint) as prev_qty,
        lag(densified.count_date) over (
            partition by densified.store_gln, densified.gtin14 order by densified.count_date
        ) as prev_count_date
    from densified
    left join products on densified.gtin14 = products.gtin14
    left join stores on densified.store_gln = stores.gln

)

select
    store_id,
    store_gln,
    is_unknown_store,
    sku,
    gtin14,
    count_date,
    on_hand_qty,
    prev_qty,
    prev_count_date,
    -- the first count of a pair is a baseline: nothing left or reached the shelf yet
    coalesce(greatest(prev_qty - on_hand_qty, 0), 0) as depletion_qty,
    coalesce(greatest(on_hand_qty - prev_qty, 0), 0) as receipt_qty
from series
{%- if windowed %}
    where count_date >= {{ first_count_day_landed() }}
{%- endif %}
