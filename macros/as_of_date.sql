{#- The data's as-of date: the var when given, else the latest purchase or visit. -#}
{% macro as_of_date_sql(tickets_relation, visits_relation) -%}
    {%- if var('as_of_date') -%}
        cast('{{ var("as_of_date") }}' as date)
    {%- else -%}
        (
            select max(activity_on) from (
                select max(purchased_on) as activity_on from {{ tickets_relation }}
                union all
                select max(visited_on) as activity_on from {{ visits_relation }}
            ) as latest_dates
        )
    {%- endif -%}
{%- endmacro %}
