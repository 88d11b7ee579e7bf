{#- Custom schemas by name (staging, marts, ...) rather than <target>_<name>: the
    warehouse is one file per environment, so the prefix would only add noise. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
