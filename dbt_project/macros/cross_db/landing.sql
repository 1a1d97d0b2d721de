{#-
    Where the sources come from on each engine (DECISIONLOG "Engines"):
    - duckdb: `read_parquet` globs over the landing files (source meta `external_location`);
    - postgres: tables `landing.<source>__<dataset>` copied from the same files by
      `python -m orchestration.lib.landing_loader` before dbt runs (Postgres cannot read Parquet);
    - spark: views `landing.<source>__<dataset>` over the same Parquet globs, (re)created by this
      macro on-run-start (dbt_project.yml). Permanent views, so that the staging views over them
      stay valid for whoever reads the metastore after the run.
    Paths: {WAREHOUSE_DIR}/landing/<source>/<dataset>/date=YYYY-MM-DD/*.parquet.
-#}
{% macro create_landing_relations() -%}
    {{ return(adapter.dispatch('create_landing_relations')()) }}
{%- endmacro %}

{% macro default__create_landing_relations() -%}
    {#- duckdb reads the files itself; postgres tables are loaded outside dbt -#}
{%- endmacro %}

{% macro spark__create_landing_relations() -%}
    {%- if execute -%}
        {%- set schemas = [] -%}
        {%- for node in graph.sources.values() if node.resource_type == 'source' -%}
            {%- if node.schema not in schemas -%}
                {%- do run_query('create database if not exists ' ~ node.schema) -%}
                {%- do schemas.append(node.schema) -%}
            {%- endif -%}
            {%- set glob = landing_root() ~ '/' ~ node.source_name ~ '/' ~ node.name ~ '/*/*.parquet' -%}
            {%- do run_query(
                'create or replace view ' ~ node.schema ~ '.' ~ node.identifier
                ~ ' as select * from parquet.`' ~ glob ~ '`'
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- The landing zone's folder: {WAREHOUSE_DIR}/landing (the sources' `external_location`). -#}
{% macro landing_root() -%}
    {{ return(env_var('WAREHOUSE_DIR', '../warehouse') ~ '/landing') }}
{%- endmacro %}
