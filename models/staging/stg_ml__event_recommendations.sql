with

source as (

    {{ source_or_empty('ml', 'event_recommendations', [
        ['participant_id', dbt.type_string()],
        ['recommendation_rank', 'integer'],
        ['event_id', dbt.type_string()],
        ['score', 'double'],
        ['cutoff_on', 'date'],
        ['run_id', dbt.type_string()],
        ['model_version', dbt.type_string()],
        ['scored_at', dbt.type_timestamp()],
    ]) }}

),

final as (

    select * from source

)

select * from final
