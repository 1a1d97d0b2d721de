{#-
    The materialisation of an incremental model, per engine (one place for every incremental model:
    the staging tables that keep the latest version of each landed record, and the facts):
    - duckdb / postgres: incremental, delete+insert on `unique_key` (DECISIONLOG "Versions and
      late data");
    - spark (Parquet tables: no Delta, no merge, no delete): `insert_overwrite` of the partitions
      `spark_partition_by` when the unique key is a partition-sized key (count_date), else a full
      rebuild (`table`): the recomputed rows come from views over every landed day anyway, so a
      rebuild gives the same rows as the day-by-day runs.
    Usage: {{ config(**incremental_config('order_id')) }}
    `target` is undefined under sqlfluff's jinja templater: there it configures duckdb.
-#}
{% macro incremental_config(unique_key, spark_partition_by=none) -%}
{%- set target_type = target.type if target is defined else 'duckdb' -%}
{%- set spark_overwrite = {'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite'} -%}
{%- set delete_insert = {'materialized': 'incremental', 'incremental_strategy': 'delete+insert'} -%}
{%- if target_type == 'spark' and spark_partition_by is not none -%}
{%- do spark_overwrite.update({'partition_by': [spark_partition_by], 'file_format': 'parquet'}) -%}
{%- do spark_overwrite.update({'on_schema_change': 'sync_all_columns'}) -%}
{{ return(spark_overwrite) }}
{%- elif target_type == 'spark' -%}
{{ return({'materialized': 'table', 'file_format': 'parquet'}) }}
{%- else -%}
{%- do delete_insert.update({'unique_key': unique_key, 'on_schema_change': 'sync_all_columns'}) -%}
{{ return(delete_insert) }}
{%- endif -%}
{%- endmacro %}
