{#- Select the given columns from a source table that another job writes (ml/ scoring).
    Until that job has run the table does not exist; then the same columns come back
    typed and empty, so a first `dbt build` on a new warehouse succeeds.
    `columns` is a list of [name, type] pairs. -#}
{% macro source_or_empty(source_name, table_name, columns) -%}
    {%- set relation = load_relation(source(source_name, table_name)) -%}
    {%- if relation is not none %}
    select
        {%- for column in columns %}
        {{ column[0] }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ source(source_name, table_name) }}
    {%- else %}
    select
        {%- for column in columns %}
        cast(null as {{ column[1] }}) as {{ column[0] }}{{ "," if not loop.last }}
        {%- endfor %}
    where 1 = 0
    {%- endif %}
{%- endmacro %}
