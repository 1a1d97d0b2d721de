{{ config(**incremental_config('order_id')) }}
-- Line items of the chosen (latest) version of each order, money normalised to excluding tax.
-- Incremental: the lines of the orders landed by this run replace all their previous lines.
with

orders as (

    select
        order_id,
        updated_at,
        _partition_date,
        _extracted_at,
        taxes_included
    from {{ ref('stg_shop__orders') }}
    where {{ in_landing_window() }}

),

lines as (

    select
        order_id,
        {{ to_timestamptz('order_updated_at') }} as order_updated_at,
        line_id,
        nullif(trim(sku), '') as sku,
        quantity,
        original_unit_price,
        discount_amount,
        tax_amount,
        _partition_date,
        {{ to_timestamptz('_extracted_at') }} as _extracted_at
    from {{ landing_source('shop', 'order_lines') }}
    where {{ in_landing_window() }}

),

chosen_lines as (

    select
        lines.order_id,
        lines.line_id,
        lines.sku,
        lines.quantity,
        orders.taxes_included,
        cast(lines.original_unit_price as decimal(18, 4)) as original_unit_price,
        cast(coalesce(lines.discount_amount, 0) as decimal(18, 4)) as discount_amount,
        cast(coalesce(lines.tax_amount, 0) as decimal(18, 4)) as tax_amount,
        cast(lines.original_unit_price * lines.quantity as decimal(18, 4)) as gross_amount,
        lines._partition_date,
        -- the same version landed twice by one extract: keep one copy
        row_number() over (partition by lines.line_id order by lines.order_id) as line_copy_rank
    from lines
    inner join orders
        on
            lines.order_id = orders.order_id
            and lines.order_updated_at = orders.updated_at
            and lines._partition_date = orders._partition_date
            and lines._extracted_at = orders._extracted_at

),

net_amounts as (

    select
        *,
        -- marts.md: price x quantity - discounts - (tax lines when taxes are included)
        cast(
            gross_amount - discount_amount - case when taxes_included then tax_amount else 0 end
            as decimal(18, 4)
        ) as net_amount,
        -- share of a tax-included amount that is not tax (1 when prices exclude tax)
        case
            when taxes_included and gross_amount - discount_amount > 0
                then
                    cast(gross_amount - discount_amount - tax_amount as {{ type_double() }})
                    / cast(gross_amount - discount_amount as {{ type_double() }})
            else 1.0
        end as ex_tax_ratio
    from chosen_lines
    where line_copy_rank = 1

)

select
    order_id,
    line_id,
    sku,
    quantity,
    taxes_included,
    original_unit_price,
    discount_amount,
    tax_amount,
    gross_amount,
    ex_tax_ratio,
    net_amount,
    cast({{ round_to('original_unit_price * ex_tax_ratio', 4) }} as decimal(18, 4)) as unit_price_ex_tax,
    cast({{ round_to('gross_amount * ex_tax_ratio', 4) }} as decimal(18, 4)) as gross_amount_ex_tax,
    cast({{ round_to('gross_amount * ex_tax_ratio', 4) }} - net_amount as decimal(18, 4))
        as discount_amount_ex_tax,
    _partition_date
from net_amounts
