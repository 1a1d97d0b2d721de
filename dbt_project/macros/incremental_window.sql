{#-
    A bound of the run's day range: `partition_start` or `partition_end` (an ISO date), none when
    unset (= everything landed). The dbt var when it is set (`dbt build --vars '{partition_start:
    A, partition_end: B}'` by hand, unit-test overrides), else the environment variable
    DBT_PARTITION_START / DBT_PARTITION_END: Dagster passes a run's window that way, because dbt
    re-parses the whole project whenever `--vars` change (orchestration/dbt/vars.py). The
    environment variable is read only when executing, never while parsing, so dbt does not record
    it in the manifest and a run with a new window re-parses nothing. Hence do not use this where
    dbt renders at parse time (config(), yml configs such as a test's `where`): there it is none.
    Unit tests see only vars (`overrides: vars`), never the environment variables.
-#}
{% macro partition_window_var(name) -%}
    {%- set value = var(name, none) -%}
    {%- set unit_test = model is defined and model.resource_type == 'unit_test' -%}
    {%- if (value is none or value == '') and execute and not unit_test -%}
        {%- set value = env_var('DBT_' ~ (name | upper), '') -%}
    {%- endif -%}
    {{ return(value if value else none) }}
{%- endmacro %}

{#-
    Incremental staging tables (DECISIONLOG "Incremental staging") read only the landing
    partitions of this run and later: `_partition_date >= partition_start`. The landing is
    partitioned by the day a record was extracted (orders by `updatedAt`), so every new version of
    a record lands in a partition >= the run's first day, and the latest version of a record is
    always in the partitions read. No lookback here: late data arrives as new versions in new
    partitions. On DuckDB a daily run opens only the window's files (`landing_source`), and on a
    full build / first build it is `true`, as with `rebuild` (see `lacks_column`).
-#}
{% macro in_landing_window(partition_column='_partition_date', rebuild=false) -%}
    {%- set start = partition_window_var('partition_start') -%}
    {%- if start is not none and start != '' and not rebuild and incremental_run() -%}
        {{ partition_column }} >= cast('{{ start }}' as date)
    {%- else -%}
        true
    {%- endif -%}
    {{- not_held_day(partition_column) -}}
{%- endmacro %}

{#-
    A landing dataset as a staging model reads it: `source(source_name, table_name)`, narrowed on
    DuckDB to the files of the run's window when the run reads only its window
    (`in_landing_window`, which the model still applies). The dbt step lists, per dataset, the
    days from the run's first day on that landed and are not held (environment variable
    DBT_LANDING_WINDOW, orchestration/publication/day_gate.py `landing_window`): the source's
    glob would make DuckDB open the footer of every file of the dataset (`union_by_name` reads
    every file's schema), ~0.4 s per dataset at 2 years of days, for the one day a daily run
    reads. Without the list (a long window, a full build, dbt by hand, other engines, unit
    tests) it is the source itself. Read only when executing, like the window.
-#}
{% macro landing_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set days = landing_window_days(source_name ~ '/' ~ table_name) -%}
    {%- if not days -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set folder = landing_root() ~ '/' ~ source_name ~ '/' ~ table_name -%}
    {%- set files = [] -%}
    {%- for day in days -%}
        {%- do files.append("'" ~ folder ~ '/date=' ~ day ~ "/*.parquet'") -%}
    {%- endfor -%}
    {%- set options = 'hive_partitioning = false, union_by_name = true' -%}
    {{ return('read_parquet([' ~ files | join(', ') ~ '], ' ~ options ~ ')') }}
{%- endmacro %}

{#- The days of DBT_LANDING_WINDOW for `dataset` ("shop/orders"), none when they do not apply. -#}
{% macro landing_window_days(dataset) -%}
    {%- set unit_test = model is defined and model.resource_type == 'unit_test' -%}
    {%- if not execute or unit_test or target.type != 'duckdb' or not is_windowed_run() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set listed = env_var('DBT_LANDING_WINDOW', '') -%}
    {%- set window = fromjson(listed) if listed else none -%}
    {%- if window is none or window.since != partition_window_var('partition_start') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set days = window.days.get(dataset, []) -%}
    {%- do check_iso_dates(days, 'DBT_LANDING_WINDOW') -%}
    {{ return(days or none) }}
{%- endmacro %}

{#-
    The landed days no build may read (orchestration/publication/day_gate.py): days whose checks
    have not passed, outside the run's own days. The environment variable DBT_HELD_DAYS
    (comma-separated ISO dates) set by the dbt step, read only when executing, like the window
    (no re-parse when it changes); a full build excludes them too. Appended to
    `in_landing_window`: ` and <column> not in (...)`, or nothing.
-#}
{% macro not_held_day(partition_column='_partition_date') -%}
    {%- set unit_test = model is defined and model.resource_type == 'unit_test' -%}
    {%- set held = env_var('DBT_HELD_DAYS', '') if execute and not unit_test else '' -%}
    {%- set days = held.split(',') | map('trim') | reject('equalto', '') | list -%}
    {%- do check_iso_dates(days, 'DBT_HELD_DAYS') -%}
    {%- if days -%}
        {{ ' ' }}and {{ partition_column }} not in ({% for day in days %}cast('{{ day }}' as date){{ ', ' if not loop.last }}{% endfor %})
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

{#- The count days a windowed run of fct_store_stock_daily replaces: from the first count day
    landed (else every day). -#}
{% macro in_count_window(column='count_date') -%}
    {%- if is_windowed_run() -%}
        {{ column }} >= {{ first_count_day_landed() }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- True in an incremental run with a partition window (else the model rebuilds everything). -#}
{% macro is_windowed_run() -%}
    {%- set start = partition_window_var('partition_start') -%}
    {{ return(start is not none and start != '' and incremental_run()) }}
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

{#- The customers with an order landed in the run's window (all customers outside a windowed
    incremental run): a parenthesised subquery of `customer_id`. -#}
{% macro customers_landed_in_window() -%}
    (
        select distinct customer_id
        from {{ ref('int_orders_enriched') }}
        where {{ in_landing_window() }} and customer_id is not null
    )
{%- endmacro %}

{#-
    Pre-hook of a model incremental by `key` whose rows of a key can all disappear: dbt's
    delete+insert replaces only the keys present in the new rows, so a key left without any row
    (a customer whose only order was cancelled) would keep its old rows. In an incremental run,
    delete first the keys of `keys_sql`, a parenthesised subquery of the keys (column `key`)
    the model recomputes.
-#}
{% macro delete_keys_to_rebuild(key, keys_sql) -%}
    {%- if incremental_run() -%}
        delete from {{ this }} where {{ key }} in (select {{ key }} from {{ keys_sql }} as rebuilt)
    {%- endif -%}
{%- endmacro %}

{#-
    True in an incremental run when the model's existing table lacks `column`: a warehouse built
    before the model had it (dbt adds the column with nulls, `on_schema_change`). Such a model
    reads every landed partition once (`in_landing_window(rebuild=true)`), so that every row gets
    the column and later runs can select by it.
-#}
{% macro lacks_column(column) -%}
    {%- if not execute or not incremental_run() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set names = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {{ return(column | lower not in names) }}
{%- endmacro %}

{#-
    Pre-hook of an incremental model that gained `column`, a value of a lookup table `lookup`
    (one row per `key`): in an incremental run where the existing table lacks it, the table is
    rewritten once with the column looked up for every row it holds, before the run adds its own
    rows. A CREATE TABLE AS streams to disk; reading every landed partition again through dbt's
    temporary table instead ran a daily run out of its memory at two years (60 M RFID
    observations: 20 s this way). A left join: a row without a match keeps a null, not lost.
-#}
{% macro add_column_in_place(column, lookup, key) -%}
    {%- if lacks_column(column) -%}
        {%- set rewritten = this.incorporate(path={'identifier': this.identifier ~ '__with_' ~ column}) -%}
        {%- do run_query(
            'create table ' ~ rewritten ~ ' as select existing.*, lookup.' ~ column
            ~ ' from ' ~ this ~ ' as existing left join ' ~ lookup ~ ' as lookup'
            ~ ' on existing.' ~ key ~ ' = lookup.' ~ key
        ) -%}
        {%- do run_query('drop table ' ~ this) -%}
        {%- do run_query('alter table ' ~ rewritten ~ ' rename to ' ~ this.identifier) -%}
    {%- endif -%}
{%- endmacro %}

{#-
    dbt's is_incremental(), false in a unit test that gives no `this` (dbt's macro then fails on
    the missing relation): such unit tests exercise the full build.
-#}
{% macro incremental_run() -%}
    {{ return(this is not none and is_incremental()) }}
{%- endmacro %}

{#- Fails the build unless every one of `days` (from the environment variable `variable`) is an
    ISO date: dbt writes them into SQL. -#}
{% macro check_iso_dates(days, variable) -%}
    {%- for day in days -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', day) -%}
            {{ exceptions.raise_compiler_error(variable ~ ': not an ISO date: ' ~ day) }}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}

{#-
    The periods (grain 'day', or 'month': month starts; sorted ISO dates) of `day_column` among
    the rows of `relation`, an incremental fact, written since the calling model's last build
    (`loaded_since_last_build`): what an incremental model summing that fact by period rebuilds.
    Read once when the model executes, for `in_periods` to filter by literals (DuckDB then skips
    the row groups of other periods). None outside an incremental run: every period is built.
-#}
{% macro periods_loaded_since_last_build(relation, day_column, grain='day') -%}
    {%- if not execute or not incremental_run() -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(periods_where(
        relation, day_column, grain,
        loaded_since_last_build() ~ ' and ' ~ day_column ~ ' is not null'
    )) }}
{%- endmacro %}
