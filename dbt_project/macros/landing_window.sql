{#-
    Incremental staging tables (DECISIONLOG "Incremental staging") read only the landing
    partitions of this run and later: `_partition_date >= partition_start`. The landing is
    partitioned by the day a record was extracted (orders by `updatedAt`), so every new version of
    a record lands in a partition >= the run's first day, and the latest version of a record is
    always in the partitions read. No lookback here: late data arrives as new versions in new
    partitions. On DuckDB the predicate skips other days' files from their Parquet footers (one
    `_partition_date` per file), and on a full build / first build it is `true`.
-#}
{% macro in_landing_window(partition_column='_partition_date') -%}
    {%- set start = partition_window_var('partition_start') -%}
    {%- if is_incremental() and start is not none and start != '' -%}
        {{ partition_column }} >= cast('{{ start }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#-
    The first business day whose RFID cycle counts this run may change: the earliest count day
    among the cycle-count events landed by this run (a store may upload late). Null when the run
    landed no count. Only meaningful in an incremental run with a partition window.
-#}
{% macro first_count_day_landed() -%}
    (
        select min(event_date)
        from {{ ref('stg_rfid__events') }}
        where biz_step = 'cycle_counting' and _partition_date >= cast('{{ partition_window_var("partition_start") }}' as date)
    )
{%- endmacro %}

{#- True in an incremental run with a partition window (else the model rebuilds everything). -#}
{% macro is_windowed_run() -%}
    {%- set start = partition_window_var('partition_start') -%}
    {{ return(is_incremental() and start is not none and start != '') }}
{%- endmacro %}

{#-
    The orders whose latest version was landed by this run (or later days): the orders an
    incremental run of the order models recomputes. A subquery of order ids.
-#}
{% macro orders_landed_in_window() -%}
    (
        select order_id
        from {{ ref('stg_shop__orders') }}
        where _partition_date >= cast('{{ partition_window_var("partition_start") }}' as date)
    )
{%- endmacro %}
