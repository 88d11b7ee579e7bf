with

scores as (

    select * from {{ ref('stg_ml__ticket_attendance_scores') }}

),

tickets as (

    select * from {{ ref('fct_ticket_attendance') }}

),

-- Each run scored open tickets; their outcomes arrive as label windows close. Joining
-- today's labels back to every run shows how well each run's probabilities held up.
scored_outcomes as (

    select
        scores.run_id,
        scores.model_version,
        scores.as_of_date,
        scores.scored_at,
        scores.attendance_probability,
        scores.is_predicted_attending,
        tickets.attended

    from scores
    left join tickets
        on scores.ticket_id = tickets.ticket_id

),

runs as (

    select
        run_id,
        min(model_version) as model_version,
        min(as_of_date) as as_of_date,
        max(scored_at) as scored_at,
        count(*) as tickets_scored,
        avg(attendance_probability) as mean_predicted_probability,
        avg(cast(case when is_predicted_attending then 1 else 0 end as double)) as predicted_attending_share,
        count(attended) as tickets_with_outcome,
        avg(case when attended is not null then attendance_probability end) as mean_predicted_probability_with_outcome,
        avg(cast(attended as double)) as observed_attendance_rate,
        avg(case when attended is not null then (attendance_probability - attended) * (attendance_probability - attended) end)
            as brier_score

    from scored_outcomes
    group by run_id

),

final as (

    select
        run_id,
        model_version,
        as_of_date,
        scored_at,
        tickets_scored,
        cast(mean_predicted_probability as double) as mean_predicted_probability,
        cast(predicted_attending_share as double) as predicted_attending_share,
        tickets_with_outcome,
        cast(mean_predicted_probability_with_outcome as double) as mean_predicted_probability_with_outcome,
        cast(observed_attendance_rate as double) as observed_attendance_rate,
        cast(observed_attendance_rate - mean_predicted_probability_with_outcome as double) as calibration_gap,
        cast(brier_score as double) as brier_score

    from runs

)

select * from final
