{#- The first purchase day an incremental ticket model rebuilds on this run (see
    int_tickets_rebuild_boundary); a full build starts before any data, so both paths
    run the same SQL: what was known before this day is summed once (state), the
    rebuilt days are windowed. -#}
{% macro ticket_rebuild_from() -%}
    {#- ref outside the branch, so that dbt sees the dependency when it parses; unit tests
        that do not mock `this` run the models as a full build. -#}
    {%- set boundary = ref('int_tickets_rebuild_boundary') -%}
    {%- if this is not none and is_incremental() -%}
        (select max(rebuild_from_on) from {{ boundary }})
    {%- else -%}
        cast('1900-01-01' as date)
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of the incremental ticket models: drop the rows about to be rebuilt, so a
    ticket that left the raw data leaves the model too (a merge on the key would keep
    it). Runs in the model's transaction; the rebuilt rows are then appended. -#}
{% macro delete_rebuilt_tickets() -%}
    {%- if this is not none and is_incremental() -%}
        delete from {{ this }} where purchased_on >= {{ ticket_rebuild_from() }}
    {%- endif -%}
{%- endmacro %}

{#- The ticket models are incremental where the engine can delete rows (DuckDB). Spark
    on plain Parquet cannot delete, so there they are rebuilt whole each run; the SQL is
    the same (a full build starts before any data). -#}
{% macro ticket_model_materialization() -%}
    {{ return(adapter.dispatch('ticket_model_materialization', 'afisha')()) }}
{%- endmacro %}

{% macro default__ticket_model_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__ticket_model_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
