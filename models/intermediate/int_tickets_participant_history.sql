with

tickets as (

    select * from {{ ref('int_tickets_labelled') }}

),

visits as (

    select * from {{ ref('stg_landing__visits') }}

),

events as (

    select * from {{ ref('int_events_enriched') }}

),

-- Everything that happens to a participant, dated on the day it became known.
participant_activity as (

    select
        participant_id,
        purchased_on as activity_on,
        1 as purchases,
        0 as visits,
        0 as outcomes_known,
        0 as no_shows
    from tickets

    union all

    select
        participant_id,
        visited_on as activity_on,
        0 as purchases,
        1 as visits,
        0 as outcomes_known,
        0 as no_shows
    from visits

    union all

    select
        participant_id,
        outcome_known_on as activity_on,
        0 as purchases,
        0 as visits,
        1 as outcomes_known,
        case when visited_on is null then 1 else 0 end as no_shows
    from tickets
    where outcome_known_on is not null

),

participant_daily as (

    select
        participant_id,
        activity_on,
        sum(purchases) as purchases,
        sum(visits) as visits,
        sum(outcomes_known) as outcomes_known,
        sum(no_shows) as no_shows

    from participant_activity
    group by participant_id, activity_on

),

participant_before_day as (

    select
        participant_id,
        activity_on,
        coalesce(sum(purchases) {{ strictly_before('participant_id') }}, 0) as prior_tickets,
        coalesce(sum(visits) {{ strictly_before('participant_id') }}, 0) as prior_visits,
        coalesce(sum(outcomes_known) {{ strictly_before('participant_id') }}, 0) as prior_known_outcomes,
        coalesce(sum(no_shows) {{ strictly_before('participant_id') }}, 0) as prior_no_shows,
        max(case when purchases > 0 then activity_on end) {{ strictly_before('participant_id') }} as last_purchased_before

    from participant_daily

),

type_daily as (

    select
        tickets.participant_id,
        events.organisation_type,
        tickets.purchased_on as activity_on,
        count(*) as purchases

    from tickets
    inner join events
        on tickets.event_id = events.event_id
    group by tickets.participant_id, events.organisation_type, tickets.purchased_on

),

type_before_day as (

    select
        participant_id,
        organisation_type,
        activity_on,
        coalesce(sum(purchases) {{ strictly_before('participant_id, organisation_type') }}, 0) as prior_tickets_same_type

    from type_daily

),

final as (

    select
        tickets.ticket_id,
        participant_before_day.prior_tickets,
        participant_before_day.prior_visits,
        participant_before_day.prior_known_outcomes,
        participant_before_day.prior_no_shows,
        participant_before_day.last_purchased_before,
        coalesce(type_before_day.prior_tickets_same_type, 0) as prior_tickets_same_type

    from tickets
    inner join participant_before_day
        on
            tickets.participant_id = participant_before_day.participant_id
            and tickets.purchased_on = participant_before_day.activity_on
    left join events
        on tickets.event_id = events.event_id
    left join type_before_day
        on
            tickets.participant_id = type_before_day.participant_id
            and events.organisation_type = type_before_day.organisation_type
            and tickets.purchased_on = type_before_day.activity_on

)

select * from final
