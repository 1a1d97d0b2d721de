{#-
    What landed, read from the landing partitions themselves (docs/marts.md "Complete and final"): a
    day partition exists once its extract ran, even when it found no record (the landing writer
    always writes the day, empty or not), so a day's completeness is decided by the partitions,
    never by the calendar or by the rows.
-#}

{#- The glob of a landed dataset's day files (layout of orchestration/lib/landing_schemas.py). -#}
{% macro landing_files_glob(source_name, dataset) -%}
    {{ landing_root() }}/{{ source_name }}/{{ dataset }}/*/*.parquet
{%- endmacro %}

{#-
    SQL: the day partitions of one landed dataset, one row per day (column `partition_date`).
    DuckDB and Spark list the files (an empty day has a file and no row); on Postgres the
    landing loader records the days it loaded, empty ones included, in `_landed_partitions`
    of the landing schema (orchestration/lib/landing_loader.py).
-#}
{#- Held days (orchestration/publication/day_gate.py) count as not landed: no KPI day from them. -#}
{% macro landed_partition_days(source_name, dataset) -%}
    select landed.partition_date
    from ({{ adapter.dispatch('landed_partition_days')(source_name, dataset) }}) as landed
    where true{{ not_held_day('landed.partition_date') }}
{%- endmacro %}

{% macro default__landed_partition_days(source_name, dataset) -%}
    select partition_date
    from {{ source(source_name, dataset).schema }}._landed_partitions
    where source = '{{ source_name }}' and dataset = '{{ dataset }}'
{%- endmacro %}

{% macro duckdb__landed_partition_days(source_name, dataset) -%}
    select distinct
        cast(regexp_extract(file, 'date=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) as date) as partition_date
    from glob('{{ landing_files_glob(source_name, dataset) }}')
{%- endmacro %}

{#- binaryFile lists the files; only `path` is selected, so their content is not read. -#}
{% macro spark__landed_partition_days(source_name, dataset) -%}
    select distinct
        cast(regexp_extract(path, 'date=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) as date) as partition_date
    from binaryFile.`{{ landing_files_glob(source_name, dataset) }}`
{%- endmacro %}

{#-
    True when a landed dataset has at least one file. A dataset added to the landing contract
    after a warehouse was first filled (GA4 report_metadata) has no folder until its extract
    runs: DuckDB's read_parquet fails on a glob without files, so the staging model reads an
    empty relation instead. Postgres: the landing loader creates every table of the contract,
    empty or not; Spark: the landing views need the files (on-run-start).
-#}
{% macro landing_dataset_landed(source_name, dataset) -%}
    {{ return(adapter.dispatch('landing_dataset_landed')(source_name, dataset)) }}
{%- endmacro %}

{% macro default__landing_dataset_landed(source_name, dataset) -%}
    {{ return(true) }}
{%- endmacro %}

{% macro duckdb__landing_dataset_landed(source_name, dataset) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set found = run_query(
        "select count(*) from glob('" ~ landing_files_glob(source_name, dataset) ~ "')"
    ) -%}
    {{ return(found.columns[0].values()[0] > 0) }}
{%- endmacro %}

{#- The instant a business day ends (midnight after it, shop time zone), as a timestamptz. -#}
{% macro shop_day_end(date_expression) -%}
    {{ return(adapter.dispatch('shop_day_end')(date_expression)) }}
{%- endmacro %}

{% macro default__shop_day_end(date_expression) -%}
    (cast({{ add_days(date_expression, 1) }} as timestamp) at time zone '{{ var("shop_timezone") }}')
{%- endmacro %}

{% macro duckdb__shop_day_end(date_expression) -%}
    timezone('{{ var("shop_timezone") }}', cast({{ add_days(date_expression, 1) }} as timestamp))
{%- endmacro %}

{% macro spark__shop_day_end(date_expression) -%}
    to_utc_timestamp(cast({{ add_days(date_expression, 1) }} as timestamp), '{{ var("shop_timezone") }}')
{%- endmacro %}

{#- SQL: the number of days of the period of `months` months starting at `period_start`. -#}
{% macro days_in_period(period_start, months=1) -%}
    {{ days_between(period_start, 'cast(' ~ add_months(period_start, months) ~ ' as date)') }}
{%- endmacro %}
