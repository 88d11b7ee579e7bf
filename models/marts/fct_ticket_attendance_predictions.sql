with

scores as (

    select * from {{ ref('stg_ml__ticket_attendance_scores') }}

),

tickets as (

    select * from {{ ref('fct_ticket_attendance') }}

),

events as (

    select * from {{ ref('dim_events') }}

),

latest_run as (

    {{ newest_run('scores') }}

),

final as (

    select
        scores.ticket_id,
        tickets.participant_id,
        tickets.event_id,
        tickets.purchased_on,
        tickets.label_window_closes_on,
        tickets.price_rub,
        tickets.organisation_type,
        events.region_code as event_region_code,
        events.region_name as event_region_name,
        tickets.participant_region_code,
        tickets.participant_age_years,
        scores.attendance_probability,
        scores.is_predicted_attending,
        scores.run_id,
        scores.model_version,
        scores.scored_at

    from scores
    inner join latest_run
        on scores.run_id = latest_run.run_id
    inner join tickets
        on scores.ticket_id = tickets.ticket_id
    left join events
        on tickets.event_id = events.event_id

)

select * from final
