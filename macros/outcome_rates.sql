{#- The program's two outcome rates, defined once for every mart (and as metrics in
    _marts__semantic_models.yml): of the tickets whose label window has closed, the
    share used and the share not used. Null when no window has closed yet. In double
    before dividing, as every ratio in the project: Spark divides and averages decimals
    (`x * 1.0`, `avg(1.0)`) to a limited number of places. -#}
{% macro attendance_rate(tickets_attended, tickets_with_final_label) -%}
    cast({{ tickets_attended }} as double) / nullif({{ tickets_with_final_label }}, 0)
{%- endmacro %}

{% macro no_show_rate(tickets_attended, tickets_with_final_label) -%}
    cast({{ tickets_with_final_label }} - {{ tickets_attended }} as double) / nullif({{ tickets_with_final_label }}, 0)
{%- endmacro %}
