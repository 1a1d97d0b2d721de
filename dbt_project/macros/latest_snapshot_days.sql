{#-
    As-of lookup without an engine's `asof join`: for each (sku, day) row of `pairs`, the latest
    `snapshot_date` of `snapshots` on or before that day (pairs before a sku's first snapshot get
    no row). Columns: sku, <pair_day>, snapshot_date. The catalog is snapshotted every day, so
    nearly every pair has a snapshot that very day (an equality join); only the others (a day
    without a catalog run, days before the first snapshot) take the range join, which for every
    pair would grow with the square of the history. Used by int_order_lines_enriched (catalog as
    the order saw it) and int_ad_spend_on_stockouts (stock on the spend day).
-#}
{% macro latest_snapshot_days(pairs, pair_day, snapshots) -%}
    select
        pairs.sku,
        pairs.{{ pair_day }},
        same_day.snapshot_date
    from {{ pairs }} as pairs
    inner join {{ snapshots }} as same_day
        on
            pairs.sku = same_day.sku
            and pairs.{{ pair_day }} = same_day.snapshot_date
    union all
    select
        pairs.sku,
        pairs.{{ pair_day }},
        max(earlier.snapshot_date) as snapshot_date
    from {{ pairs }} as pairs
    inner join {{ snapshots }} as earlier
        on
            pairs.sku = earlier.sku
            and pairs.{{ pair_day }} > earlier.snapshot_date
    -- the pairs the equality join matched, found from the pairs' side: a hash table of the
    -- pairs, not of every snapshot (all of the catalog's days at 2 years did not fit dbt's budget)
    where not exists (
        select 1
        from {{ pairs }} as matched
        inner join {{ snapshots }} as same_day
            on
                matched.sku = same_day.sku
                and matched.{{ pair_day }} = same_day.snapshot_date
        where matched.sku = pairs.sku and matched.{{ pair_day }} = pairs.{{ pair_day }}
    )
    group by pairs.sku, pairs.{{ pair_day }}
{%- endmacro %}
