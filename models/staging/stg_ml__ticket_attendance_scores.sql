{#- The scores table exists only once the scoring job has run. Until then this view is
    empty with the same columns, so a first `dbt build` on a new warehouse succeeds. -#}
{%- set scores = load_relation(source('ml', 'ticket_attendance_scores')) -%}

with

{% if scores is not none %}

source as (

    select * from {{ source('ml', 'ticket_attendance_scores') }}

),

{% else %}

source as (

    select
        cast(null as {{ dbt.type_string() }}) as ticket_id,
        cast(null as {{ dbt.type_string() }}) as participant_id,
        cast(null as {{ dbt.type_string() }}) as event_id,
        cast(null as double) as attendance_probability,
        cast(null as boolean) as is_predicted_attending,
        cast(null as {{ dbt.type_string() }}) as run_id,
        cast(null as {{ dbt.type_string() }}) as model_version,
        cast(null as date) as as_of_date,
        cast(null as {{ dbt.type_timestamp() }}) as scored_at
    where 1 = 0

),

{% endif %}

final as (

    select
        ticket_id,
        participant_id,
        event_id,
        attendance_probability,
        is_predicted_attending,
        run_id,
        model_version,
        as_of_date,
        scored_at

    from source

)

select * from final
