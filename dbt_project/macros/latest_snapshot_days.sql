{#-
    As-of lookup without an engine's `asof join`: for each (sku, day) row of `pairs`, the latest
    `snapshot_date` of `snapshots` on or before that day (pairs before a sku's first snapshot get
    no row). Columns: sku, <pair_day>, snapshot_date. The catalog is snapshotted every day, so
    nearly every pair has a snapshot that very day (an equality join); only the others (a day
    without a catalog run, days before the first snapshot) take the range join, which for every
    pair would grow with the square of the history. Used by int_order_lines_enriched (catalog as
    the order saw it) and int_ad_spend_on_stockouts (stock on the spend day).

    `few_pairs` (a windowed run: the pairs of the run's days) finds the pairs without a same-day
    snapshot from the pairs' side: the other way DuckDB hashes every snapshot (3.4 million at two
    years) and ran a daily dbt out of its 244 MiB. Many pairs (a full build: millions) take the
    other way: from the pairs' side a 2-year full build spilled 20 GB in this lookup and did not
    finish; from the snapshots' side it takes 20 s.
-#}
-- The Jinja branch of `few_pairs` confuses sqlfluff's indentation rule inside the macro; the
-- models that render it are linted.
-- noqa: disable=LT02
{% macro latest_snapshot_days(pairs, pair_day, snapshots, few_pairs=false) -%}
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
    where not exists (
        select 1
        {% if few_pairs %}
        from {{ pairs }} as matched
        inner join {{ snapshots }} as same_day
            on
                matched.sku = same_day.sku
                and matched.{{ pair_day }} = same_day.snapshot_date
        where matched.sku = pairs.sku and matched.{{ pair_day }} = pairs.{{ pair_day }}
        {% else %}
        from {{ snapshots }} as same_day
        where same_day.sku = pairs.sku and same_day.snapshot_date = pairs.{{ pair_day }}
        {% endif %}
    )
    group by pairs.sku, pairs.{{ pair_day }}
{%- endmacro %}
