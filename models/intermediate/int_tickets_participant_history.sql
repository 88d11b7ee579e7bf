{{
    config(
        pre_hook="{{ delete_rebuilt_tickets() }}",
        on_schema_change='fail',
        **ticket_model_config()
    )
}}

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

rebuild_from as (

    select {{ ticket_rebuild_from() }} as rebuild_from_on

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

-- What was known before the rebuilt days, summed once per participant, so that the
-- window below runs over the rebuilt days only (all days in a full build).
participant_state as (

    select
        participant_activity.participant_id,
        sum(participant_activity.purchases) as purchases,
        sum(participant_activity.visits) as visits,
        sum(participant_activity.outcomes_known) as outcomes_known,
        sum(participant_activity.no_shows) as no_shows,
        max(case when participant_activity.purchases > 0 then participant_activity.activity_on end)
            as last_purchased_on

    from participant_activity
    cross join rebuild_from
    where participant_activity.activity_on < rebuild_from.rebuild_from_on
    group by participant_activity.participant_id

),

participant_daily as (

    select
        participant_activity.participant_id,
        participant_activity.activity_on,
        sum(participant_activity.purchases) as purchases,
        sum(participant_activity.visits) as visits,
        sum(participant_activity.outcomes_known) as outcomes_known,
        sum(participant_activity.no_shows) as no_shows

    from participant_activity
    cross join rebuild_from
    where participant_activity.activity_on >= rebuild_from.rebuild_from_on
    group by participant_activity.participant_id, participant_activity.activity_on

),

participant_rebuilt_before_day as (

    select
        participant_id,
        activity_on,
        coalesce(sum(purchases) {{ strictly_before('participant_id') }}, 0) as purchases,
        coalesce(sum(visits) {{ strictly_before('participant_id') }}, 0) as visits,
        coalesce(sum(outcomes_known) {{ strictly_before('participant_id') }}, 0) as outcomes_known,
        coalesce(sum(no_shows) {{ strictly_before('participant_id') }}, 0) as no_shows,
        max(case when purchases > 0 then activity_on end) {{ strictly_before('participant_id') }}
            as last_purchased_on

    from participant_daily

),

participant_before_day as (

    select
        rebuilt.participant_id,
        rebuilt.activity_on,
        coalesce(state.purchases, 0) + rebuilt.purchases as prior_tickets,
        coalesce(state.visits, 0) + rebuilt.visits as prior_visits,
        coalesce(state.outcomes_known, 0) + rebuilt.outcomes_known as prior_known_outcomes,
        coalesce(state.no_shows, 0) + rebuilt.no_shows as prior_no_shows,
        coalesce(rebuilt.last_purchased_on, state.last_purchased_on) as last_purchased_before

    from participant_rebuilt_before_day as rebuilt
    left join participant_state as state
        on rebuilt.participant_id = state.participant_id

),

type_activity as (

    select
        tickets.participant_id,
        events.organisation_type,
        tickets.purchased_on as activity_on

    from tickets
    inner join events
        on tickets.event_id = events.event_id

),

type_state as (

    select
        type_activity.participant_id,
        type_activity.organisation_type,
        count(*) as purchases

    from type_activity
    cross join rebuild_from
    where type_activity.activity_on < rebuild_from.rebuild_from_on
    group by type_activity.participant_id, type_activity.organisation_type

),

type_daily as (

    select
        type_activity.participant_id,
        type_activity.organisation_type,
        type_activity.activity_on,
        count(*) as purchases

    from type_activity
    cross join rebuild_from
    where type_activity.activity_on >= rebuild_from.rebuild_from_on
    group by type_activity.participant_id, type_activity.organisation_type, type_activity.activity_on

),

type_rebuilt_before_day as (

    select
        participant_id,
        organisation_type,
        activity_on,
        coalesce(sum(purchases) {{ strictly_before('participant_id, organisation_type') }}, 0) as purchases

    from type_daily

),

type_before_day as (

    select
        rebuilt.participant_id,
        rebuilt.organisation_type,
        rebuilt.activity_on,
        coalesce(state.purchases, 0) + rebuilt.purchases as prior_tickets_same_type

    from type_rebuilt_before_day as rebuilt
    left join type_state as state
        on
            rebuilt.participant_id = state.participant_id
            and rebuilt.organisation_type = state.organisation_type

),

final as (

    select
        tickets.ticket_id,
        tickets.purchased_on,
        participant_before_day.prior_tickets,
        participant_before_day.prior_visits,
        participant_before_day.prior_known_outcomes,
        participant_before_day.prior_no_shows,
        participant_before_day.last_purchased_before,
        coalesce(type_before_day.prior_tickets_same_type, 0) as prior_tickets_same_type

    from tickets
    cross join rebuild_from
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
    where tickets.purchased_on >= rebuild_from.rebuild_from_on

)

select * from final
