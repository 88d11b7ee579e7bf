{#- The newest value of a date column is at most `interval` `datepart`s older than a
    reference date (default: today). Fails with one row when it is older. -#}
{% test recency(model, field, datepart, interval, reference_date=none) %}

{%- set reference = "cast('" ~ reference_date ~ "' as date)" if reference_date else dbt.current_timestamp() -%}

select
    max({{ field }}) as most_recent,
    {{ reference }} as reference_date
from {{ model }}
having
    max({{ field }}) is null
    or max({{ field }}) < {{ dbt.dateadd(datepart, -1 * interval, reference) }}

{% endtest %}
