{#- A stable bucket in [0, buckets) from a text value: the same participant falls in the
    same bucket every run. Engines name their hash differently. -#}
{% macro stable_bucket(expr, buckets) -%}
    {{ return(adapter.dispatch('stable_bucket', 'afisha')(expr, buckets)) }}
{%- endmacro %}

{% macro default__stable_bucket(expr, buckets) -%}
    cast(hash({{ expr }}) % {{ buckets }} as integer)
{%- endmacro %}

{% macro spark__stable_bucket(expr, buckets) -%}
    pmod(hash({{ expr }}), {{ buckets }})
{%- endmacro %}
