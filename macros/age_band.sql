{#- Age bands the program reports by: school (14-15, 16-17), then student ages. -#}
{% macro age_band(age_column) -%}
    case
        when {{ age_column }} <= 15 then '14-15'
        when {{ age_column }} <= 17 then '16-17'
        when {{ age_column }} <= 19 then '18-19'
        else '20-22'
    end
{%- endmacro %}

{% macro age_bands() -%}
    {{ return(['14-15', '16-17', '18-19', '20-22']) }}
{%- endmacro %}

{#- The organisation types BI shows as their own share; the rest count as other. -#}
{% macro reported_organisation_types() -%}
    {{ return(['cinema', 'theatre', 'museum', 'exhibition', 'culture_house', 'concert']) }}
{%- endmacro %}
