with

source as (

    {{ source_or_empty('ml', 'ticket_attendance_scores', [
        ['ticket_id', dbt.type_string()],
        ['participant_id', dbt.type_string()],
        ['event_id', dbt.type_string()],
        ['attendance_probability', 'double'],
        ['is_predicted_attending', 'boolean'],
        ['run_id', dbt.type_string()],
        ['model_version', dbt.type_string()],
        ['as_of_date', 'date'],
        ['scored_at', dbt.type_timestamp()],
    ]) }}

),

final as (

    select * from source

)

select * from final
