{#- Window frame over one row per (partition, day): every earlier day, never the day
    itself. Aggregating to one row per day first and then excluding the current row is
    what makes a feature of a row dated D use only what was known before D. -#}
{% macro strictly_before(partition_by, order_by='activity_on') -%}
    over (
        partition by {{ partition_by }}
        order by {{ order_by }}
        rows between unbounded preceding and 1 preceding
    )
{%- endmacro %}
