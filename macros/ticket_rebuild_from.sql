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
    it). On DuckDB it runs in the model's transaction and the rebuilt rows are then
    appended. -#}
{% macro delete_rebuilt_tickets() -%}
    {{ return(adapter.dispatch('delete_rebuilt_tickets', 'afisha')()) }}
{%- endmacro %}

{% macro default__delete_rebuilt_tickets() -%}
    {%- if this is not none and is_incremental() -%}
        delete from {{ this }} where purchased_on >= {{ ticket_rebuild_from() }}
    {%- endif -%}
{%- endmacro %}

{#- Spark's Parquet tables cannot delete rows, but they can drop partitions: the ticket
    models are partitioned by purchase day, and every day from the boundary on is
    dropped, then written again (insert_overwrite). Dropping first matters for a day
    whose tickets all left the raw data: insert_overwrite alone would keep it. -#}
{% macro spark__delete_rebuilt_tickets() -%}
    {%- if execute and this is not none and is_incremental() -%}
        {%- set boundary = ref('int_tickets_rebuild_boundary') -%}
        {%- set rebuild_from = run_query('select cast(max(rebuild_from_on) as string) from ' ~ boundary).columns[0].values()[0] -%}
        {%- set stale_days = [] -%}
        {%- for partition in run_query('show partitions ' ~ this).columns[0].values() -%}
            {%- set day = partition.split('=')[1] -%}
            {%- if day >= rebuild_from -%}{%- do stale_days.append(day) -%}{%- endif -%}
        {%- endfor -%}
        {%- if stale_days -%}
            alter table {{ this }} drop if exists
            {%- for day in stale_days %} partition (purchased_on = '{{ day }}'){{ "," if not loop.last }}{% endfor %}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- How the four ticket models are materialised: incremental on both engines, by the
    strategy each engine's tables allow. DuckDB deletes the rebuilt days (pre-hook) and
    appends; Spark on Parquet partitions by purchase day and overwrites the rebuilt
    days' partitions. The SQL is the same (a full build starts before any data). -#}
{% macro ticket_model_config() -%}
    {{ return(adapter.dispatch('ticket_model_config', 'afisha')()) }}
{%- endmacro %}

{% macro default__ticket_model_config() -%}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'append'}) }}
{%- endmacro %}

{% macro spark__ticket_model_config() -%}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite', 'partition_by': ['purchased_on']}) }}
{%- endmacro %}

{#- The rebuild boundary reads its own previous build. DuckDB builds the new table
    beside the old one, so it reads the old one by its name; Spark drops a table before
    creating it anew, so a pre-hook first copies it (snapshot_rebuild_boundary). -#}
{% macro rebuild_boundary_previous() -%}
    {{ return(adapter.dispatch('rebuild_boundary_previous', 'afisha')()) }}
{%- endmacro %}

{% macro default__rebuild_boundary_previous() -%}
    {{ return(this) }}
{%- endmacro %}

{% macro spark__rebuild_boundary_previous() -%}
    {{ return(this.incorporate(path={'identifier': this.identifier ~ '__previous'})) }}
{%- endmacro %}

{#- Pre-hooks of int_tickets_rebuild_boundary: `step` is 'drop' or 'copy'. Nothing on
    DuckDB; on Spark, the copy of the previous build rebuild_boundary_previous() names. -#}
{% macro snapshot_rebuild_boundary(step) -%}
    {{ return(adapter.dispatch('snapshot_rebuild_boundary', 'afisha')(step)) }}
{%- endmacro %}

{% macro default__snapshot_rebuild_boundary(step) -%}
{%- endmacro %}

{% macro spark__snapshot_rebuild_boundary(step) -%}
    {%- if execute and load_relation(this) is not none -%}
        {%- set previous = rebuild_boundary_previous() -%}
        {%- if step == 'drop' -%}
            drop table if exists {{ previous }}
        {%- else -%}
            create table {{ previous }} using parquet as select * from {{ this }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
