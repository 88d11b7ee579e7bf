{#- The run_id of the newest run in a scores relation (by scored_at, then run_id). BI
    marts show only it; older runs stay in the table for monitoring. -#}
{% macro newest_run(relation) -%}
    select run_id
    from (
        select
            run_id,
            row_number() over (order by max(scored_at) desc, run_id desc) as run_rank
        from {{ relation }}
        group by run_id
    ) as runs
    where run_rank = 1
{%- endmacro %}
