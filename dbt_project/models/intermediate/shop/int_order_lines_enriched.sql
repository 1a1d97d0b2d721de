{{ config(**incremental_config('order_id')) }}
-- Every line of every order (test orders included, flagged), with ex-tax amounts, the sku's
-- catalog attributes and cost, and its refunds. The one place line money is computed.
-- Incremental: every line of the orders landed by this run is recomputed (an order lands again
-- whenever it changes: edits, refunds, fulfilments).
{%- set rebuild = lacks_column('_partition_date') %}
{%- set windowed = is_windowed_run() and not rebuild %}
with

orders as (

    select
        order_id,
        customer_id,
        created_at as ordered_at,
        order_date,
        is_test,
        is_cancelled,
        _partition_date
    from {{ ref('stg_shop__orders') }}
    where {{ in_landing_window(rebuild=rebuild) }}

),

lines as (

    select
        order_id,
        line_id,
        sku,
        quantity,
        taxes_included,
        original_unit_price,
        unit_price_ex_tax,
        gross_amount_ex_tax,
        discount_amount_ex_tax,
        net_amount,
        tax_amount,
        ex_tax_ratio
    from {{ ref('stg_shop__order_lines') }}
    -- the lines of the orders landed by this run: staging rewrote them with this run's landing
    -- day (a day filter skips the older row groups; an order-id filter reads every line)
    where {{ in_landing_window(rebuild=rebuild) }}

),

-- the catalog as the order saw it: the latest snapshot on or before the order day (else the
-- sku's first snapshot), so that a later cost change does not rewrite past margins. Every step
-- reads the snapshots table itself: a CTE of the snapshots, read by several steps, was held
-- whole in memory (every sku's every day, 3.4 M rows at 2 years) and ran dbt out of its memory
-- budget. (DuckDB still hashes the snapshots' keys for the semi joins below: measured, it fits.)
{%- set catalog_snapshots = ref('stg_shop__product_variant_snapshots') %}
first_snapshot_days as (

    select
        sku,
        min(snapshot_date) as snapshot_date
    from {{ catalog_snapshots }}
    {%- if windowed %}
        where sku in (select lines.sku from lines)
    {%- endif %}
    group by sku

),

first_snapshots as (

    select
        snapshots.sku,
        snapshots.category,
        snapshots.unit_cost
    from {{ catalog_snapshots }} as snapshots
    where exists (
        select 1
        from first_snapshot_days
        where
            first_snapshot_days.sku = snapshots.sku
            and first_snapshot_days.snapshot_date = snapshots.snapshot_date
    )

),

-- the catalog snapshot each (sku, order day) pair saw: far fewer pairs than lines
sku_order_days as (

    select distinct
        lines.sku,
        orders.order_date
    from lines
    inner join orders on lines.order_id = orders.order_id

),

as_of_snapshot_days as (

    {{ latest_snapshot_days('sku_order_days', 'order_date', catalog_snapshots, few_pairs=windowed) }}

),

used_snapshots as (

    select
        snapshots.sku,
        snapshots.snapshot_date,
        snapshots.category,
        snapshots.unit_cost
    from {{ catalog_snapshots }} as snapshots
    where exists (
        select 1
        from as_of_snapshot_days
        where
            as_of_snapshot_days.sku = snapshots.sku
            and as_of_snapshot_days.snapshot_date = snapshots.snapshot_date
    )

),

as_of_snapshots as (

    select
        as_of_snapshot_days.sku,
        as_of_snapshot_days.order_date,
        used_snapshots.category,
        used_snapshots.unit_cost
    from as_of_snapshot_days
    inner join used_snapshots
        on
            as_of_snapshot_days.sku = used_snapshots.sku
            and as_of_snapshot_days.snapshot_date = used_snapshots.snapshot_date

),

refunds as (

    select
        line_id,
        sum(refunded_qty) as refunded_qty,
        sum(refund_subtotal) as refund_subtotal,
        min(refund_created_at) as first_refunded_at
    from {{ ref('stg_shop__refund_lines') }}
    {%- if windowed %}
        where order_id in {{ orders_landed_in_window() }}
    {%- endif %}
    group by line_id

)

select
    lines.line_id,
    lines.order_id,
    orders.customer_id,
    orders.ordered_at,
    orders.order_date,
    orders.is_test,
    orders.is_cancelled,
    not orders.is_test and not orders.is_cancelled as is_counted,
    lines.sku,
    coalesce(snapshot_as_of.category, first_snapshots.category) as category,
    lines.quantity,
    lines.taxes_included,
    lines.original_unit_price,
    lines.unit_price_ex_tax,
    lines.gross_amount_ex_tax as gross_revenue,
    lines.discount_amount_ex_tax as discount_amount,
    lines.net_amount as net_revenue,
    lines.tax_amount,
    coalesce(snapshot_as_of.unit_cost, first_snapshots.unit_cost) as unit_cost,
    cast(
        lines.quantity * coalesce(snapshot_as_of.unit_cost, first_snapshots.unit_cost) as decimal(18, 4)
    ) as cogs,
    cast(coalesce(refunds.refunded_qty, 0) as bigint) as refunded_qty,
    -- the refund subtotal follows the order's tax setting: same ex-tax share as the line
    cast(coalesce({{ round_to('refunds.refund_subtotal * lines.ex_tax_ratio', 4) }}, 0) as decimal(18, 4))
        as refunded_revenue,
    cast(
        coalesce(refunds.refunded_qty, 0) * coalesce(snapshot_as_of.unit_cost, first_snapshots.unit_cost)
        as decimal(18, 4)
    ) as refunded_cost,
    refunds.first_refunded_at,
    orders._partition_date
from lines
inner join orders on lines.order_id = orders.order_id
left join as_of_snapshots as snapshot_as_of
    on
        lines.sku = snapshot_as_of.sku
        and orders.order_date = snapshot_as_of.order_date
left join first_snapshots on lines.sku = first_snapshots.sku
left join refunds on lines.line_id = refunds.line_id
