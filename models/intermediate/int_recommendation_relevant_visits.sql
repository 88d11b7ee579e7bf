{#- What a recommendation for a cutoff should have found: each visit in the window after
    the cutoff by a participant active before it, to an event they held no ticket for
    before the cutoff (a ticket already bought is a decision already made). These are
    the relevant items of the ranking metrics, found among the candidates or not. -#}

with

cutoffs as (

    select * from {{ ref('int_recommendation_cutoffs') }}

),

participants as (

    select * from {{ ref('int_participants_at_cutoffs') }}

),

visits as (

    select * from {{ ref('stg_landing__visits') }}

),

tickets as (

    select * from {{ ref('int_tickets_labelled') }}

),

visits_in_window as (

    select distinct
        cutoffs.cutoff_on,
        visits.participant_id,
        visits.event_id

    from cutoffs
    inner join visits
        on
            visits.visited_on >= cutoffs.cutoff_on
            and visits.visited_on <= cutoffs.window_ends_on
    where not cutoffs.is_serving_cutoff

),

final as (

    select
        visits_in_window.cutoff_on,
        visits_in_window.participant_id,
        visits_in_window.event_id

    from visits_in_window
    inner join participants
        on
            visits_in_window.cutoff_on = participants.cutoff_on
            and visits_in_window.participant_id = participants.participant_id
    left join tickets
        on
            visits_in_window.participant_id = tickets.participant_id
            and visits_in_window.event_id = tickets.event_id
            and tickets.purchased_on < visits_in_window.cutoff_on
    where tickets.ticket_id is null

)

select * from final
