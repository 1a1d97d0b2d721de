{#-
    Data tests of incremental models check the rows the run wrote, not the whole history: dbt's
    get_where_subquery (which applies a test's `where` config) also applies the tested model's
    `meta.test_window` when the run has a partition window (var partition_start). Without a
    window (a full build, `dbt build` by hand) every test reads the whole table, as before.
    A daily run therefore tests what it changed at a cost that does not grow with history
    (bench/README.md); a backfill's window starts at its first day, so it tests what it built.

    meta.test_window (on the model):
      {column: c}                       c >= partition_start
      {column: c, lookback_var: v}      c >= partition_start - var(v) days
      {column: c, landed_in: model}     c in (select c from model where _partition_date >= partition_start)
      {latest_load: true}               _loaded_at = the model's max(_loaded_at): the rows the
                                        latest dbt run wrote (macros/run_loaded_at.sql), the max
                                        inlined as a literal (max_loaded_at)
-#}
{% macro get_where_subquery(relation) -%}
    {%- set predicates = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do predicates.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set window = test_window_predicate(relation) -%}
    {%- if window -%}
        {%- do predicates.append(window) -%}
    {%- endif -%}
    {%- if predicates -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ predicates | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#- The tested model's window predicate for this run, or none. -#}
{% macro test_window_predicate(relation) -%}
    {%- set start = partition_window_var('partition_start') -%}
    {%- set attached = model.attached_node if model is defined else none -%}
    {%- if start is none or start == '' or not attached or attached not in graph.nodes -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set window = graph.nodes[attached].config.meta.get('test_window') -%}
    {%- if not window -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set start_date = partition_start_date() -%}
    {%- if window.get('latest_load') -%}
        {%- set newest = max_loaded_at(relation) -%}
        {%- set newest_sql = '(select max(_loaded_at) from ' ~ relation ~ ')' if newest is none
            else timestamp_literal(newest) -%}
        {{ return('_loaded_at = ' ~ newest_sql) }}
    {%- elif window.get('landed_in') -%}
        {%- set landed = graph.nodes['model.' ~ project_name ~ '.' ~ window.landed_in].relation_name -%}
        {{ return(window.column ~ ' in (select ' ~ window.column ~ ' from ' ~ landed
                  ~ ' where _partition_date >= ' ~ start_date ~ ')') }}
    {%- elif window.get('lookback_var') -%}
        {{ return(window.column ~ ' >= ' ~ add_days(start_date, -(var(window.lookback_var) | int))) }}
    {%- else -%}
        {{ return(window.column ~ ' >= ' ~ start_date) }}
    {%- endif -%}
{%- endmacro %}

{#- `cast('<partition_start>' as date)`; none without a partition window. -#}
{% macro partition_start_date() -%}
    {%- set start = partition_window_var('partition_start') -%}
    {%- if start is none or start == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return("cast('" ~ start ~ "' as date)") }}
{%- endmacro %}
