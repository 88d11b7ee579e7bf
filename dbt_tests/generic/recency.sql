{#- The newest value of a date column is at most `interval` `datepart`s older than a
    reference: a SQL expression such as another feed's latest date (default: now).
    Fails with one row when it is older. -#}
{% test recency(model, field, datepart, interval, reference=none) %}

{%- set reference_sql = reference if reference else dbt.current_timestamp() -%}

select
    max({{ field }}) as most_recent,
    max(reference_value) as reference_value
from {{ model }}
cross join (select {{ reference_sql }} as reference_value) as reference_point
having
    max({{ field }}) is null
    or max({{ field }}) < {{ dbt.dateadd(datepart, -1 * interval, 'max(reference_value)') }}

{% endtest %}
