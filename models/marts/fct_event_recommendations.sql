with

recommendations as (

    select * from {{ ref('stg_ml__event_recommendations') }}

),

candidates as (

    select * from {{ ref('fct_recommendation_candidates') }}

),

participants as (

    select * from {{ ref('dim_participants') }}

),

events as (

    select * from {{ ref('dim_events') }}

),

latest_run as (

    {{ newest_run('recommendations') }}

),

final as (

    select
        {{ surrogate_key(['recommendations.run_id', 'recommendations.participant_id', 'recommendations.event_id']) }}
            as recommendation_id,
        recommendations.participant_id,
        participants.age_band as participant_age_band,
        participants.region_code as participant_region_code,
        participants.region_name as participant_region_name,
        recommendations.recommendation_rank,
        recommendations.event_id,
        events.organisation_type,
        events.organisation_type_name,
        events.region_code as event_region_code,
        candidates.event_avg_price_rub,
        recommendations.score,
        candidates.type_affinity,
        candidates.is_favourite_type,
        candidates.event_region_rank,
        candidates.event_same_age_band_share,
        -- The strongest plain reason behind the recommendation, for people reading a dashboard.
        case
            when candidates.is_favourite_type then 'your favourite type: ' || events.organisation_type_name
            when candidates.type_affinity >= 0.25 then 'you often choose: ' || events.organisation_type_name
            when candidates.is_event_in_home_region and candidates.event_region_rank <= 5
                then 'a best seller in your region'
            when candidates.event_same_age_band_share >= 0.5 then 'popular at your age'
            when candidates.is_event_in_home_region then 'selling in your region'
            else 'popular across the country'
        end as reason,
        recommendations.cutoff_on,
        recommendations.run_id,
        recommendations.model_version

    from recommendations
    inner join latest_run
        on recommendations.run_id = latest_run.run_id
    left join candidates
        on
            recommendations.cutoff_on = candidates.cutoff_on
            and recommendations.participant_id = candidates.participant_id
            and recommendations.event_id = candidates.event_id
    left join participants
        on recommendations.participant_id = participants.participant_id
    left join events
        on recommendations.event_id = events.event_id

)

select * from final
