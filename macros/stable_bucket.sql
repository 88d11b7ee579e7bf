{#- A stable bucket in [0, buckets) from a text value: the first 32 bits of its MD5,
    modulo `buckets`. MD5 because every engine has it and gives the same bits, so a
    sample of participants is the same people on DuckDB and on Spark (engines' own
    hash() functions differ). ml.data.stable_bucket computes the same in Python. -#}
{% macro stable_bucket(expr, buckets) -%}
    {{ return(adapter.dispatch('stable_bucket', 'afisha')(expr, buckets)) }}
{%- endmacro %}

{% macro default__stable_bucket(expr, buckets) -%}
    cast(cast(('0x' || substr(md5({{ expr }}), 1, 8)) as bigint) % {{ buckets }} as integer)
{%- endmacro %}

{% macro spark__stable_bucket(expr, buckets) -%}
    cast(pmod(cast(conv(substr(md5({{ expr }}), 1, 8), 16, 10) as bigint), {{ buckets }}) as int)
{%- endmacro %}
