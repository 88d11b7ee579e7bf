{#- How much of what participants really visited the candidate stage kept, per cutoff:
    the ceiling of recall@k for any ranker on top of it. -#}

with

relevant as (

    select * from {{ ref('int_recommendation_relevant_visits') }}

),

candidates as (

    select * from {{ ref('fct_recommendation_candidates') }}

),

per_cutoff as (

    select
        relevant.cutoff_on,
        count(*) as relevant_visits,
        count(candidates.event_id) as relevant_visits_in_candidates

    from relevant
    left join candidates
        on
            relevant.cutoff_on = candidates.cutoff_on
            and relevant.participant_id = candidates.participant_id
            and relevant.event_id = candidates.event_id
    group by relevant.cutoff_on

),

candidate_counts as (

    select
        cutoff_on,
        count(*) as candidates,
        count(distinct participant_id) as participants

    from candidates
    group by cutoff_on

),

final as (

    select
        per_cutoff.cutoff_on,
        candidate_counts.participants,
        candidate_counts.candidates,
        cast(candidate_counts.candidates as double) / candidate_counts.participants
            as candidates_per_participant,
        per_cutoff.relevant_visits,
        per_cutoff.relevant_visits_in_candidates,
        cast(per_cutoff.relevant_visits_in_candidates as double) / nullif(per_cutoff.relevant_visits, 0)
            as candidate_recall

    from per_cutoff
    inner join candidate_counts
        on per_cutoff.cutoff_on = candidate_counts.cutoff_on

)

select * from final
