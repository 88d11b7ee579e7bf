{#- Make the landing Parquet files readable as source('landing', ...).

    DuckDB reads them in place (the sources' external_location). Spark needs a table
    in its metastore: each run points an external table at each file, so the tables
    always show what ingest wrote last. -#}
{% macro register_landing_sources() -%}
    {{ return(adapter.dispatch('register_landing_sources', 'afisha')()) }}
{%- endmacro %}

{% macro default__register_landing_sources() -%}
    select 1
{%- endmacro %}

{% macro spark__register_landing_sources() -%}
    {%- if execute -%}
        {%- set landing_dir = env_var('AFISHA_LANDING_DIR', 'data/landing') -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() if source.source_name == 'landing' -%}
            {%- if source.schema not in schemas -%}
                {%- do run_query('create schema if not exists ' ~ source.schema) -%}
                {%- do schemas.append(source.schema) -%}
            {%- endif -%}
            {%- do run_query('drop table if exists ' ~ source.schema ~ '.' ~ source.identifier) -%}
            {%- do run_query(
                'create table ' ~ source.schema ~ '.' ~ source.identifier
                ~ " using parquet location '" ~ landing_dir ~ '/' ~ source.identifier ~ ".parquet'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
