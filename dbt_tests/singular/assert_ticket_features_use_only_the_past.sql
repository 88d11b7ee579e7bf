-- No feature of a ticket counts anything on or after its purchase date.
--
-- Recomputes every history feature of fct_ticket_attendance the slow, obvious way
-- (a join on strictly earlier dates) and returns each ticket where the mart differs.
-- A window frame that included the purchase day, or a later one, fails this test.

with

-- All tickets by default; at national scale a stable share of participants
-- (var leakage_test_sample_pct), since the check joins each ticket to all earlier ones.
fct as (

    select * from {{ ref('fct_ticket_attendance') }}
    {% if var('leakage_test_sample_pct') < 100 -%}
        where {{ stable_bucket('participant_id', 100) }} < {{ var('leakage_test_sample_pct') }}
    {%- endif %}

),

tickets as (

    select * from {{ ref('int_tickets_labelled') }}

),

visits as (

    select * from {{ ref('stg_landing__visits') }}

),

events as (

    select * from {{ ref('int_events_enriched') }}

),

tickets_typed as (

    select
        tickets.*,
        events.organisation_type

    from tickets
    left join events
        on tickets.event_id = events.event_id

),

expected_participant as (

    select
        fct.ticket_id,
        count(earlier.ticket_id) as prior_tickets,
        count(case when earlier.organisation_type = fct.organisation_type then 1 end) as prior_tickets_same_type,
        count(case when earlier.outcome_known_on < fct.purchased_on then 1 end) as prior_known_outcomes,
        count(
            case when earlier.outcome_known_on < fct.purchased_on and earlier.visited_on is null then 1 end
        ) as prior_no_shows,
        max(earlier.purchased_on) as last_purchased_before

    from fct
    left join tickets_typed as earlier
        on
            fct.participant_id = earlier.participant_id
            and earlier.purchased_on < fct.purchased_on
    group by fct.ticket_id

),

expected_visits as (

    select
        fct.ticket_id,
        count(visits.visit_id) as prior_visits

    from fct
    left join visits
        on
            fct.participant_id = visits.participant_id
            and visits.visited_on < fct.purchased_on
    group by fct.ticket_id

),

expected_event as (

    select
        fct.ticket_id,
        count(earlier.ticket_id) as event_prior_tickets

    from fct
    left join tickets as earlier
        on
            fct.event_id = earlier.event_id
            and earlier.purchased_on < fct.purchased_on
    group by fct.ticket_id

),

final as (

    select
        fct.ticket_id,
        fct.prior_tickets,
        expected_participant.prior_tickets as expected_prior_tickets,
        fct.prior_visits,
        expected_visits.prior_visits as expected_prior_visits,
        fct.prior_no_shows,
        expected_participant.prior_no_shows as expected_prior_no_shows,
        fct.event_prior_tickets,
        expected_event.event_prior_tickets as expected_event_prior_tickets

    from fct
    inner join expected_participant
        on fct.ticket_id = expected_participant.ticket_id
    inner join expected_visits
        on fct.ticket_id = expected_visits.ticket_id
    inner join expected_event
        on fct.ticket_id = expected_event.ticket_id
    where
        fct.prior_tickets != expected_participant.prior_tickets
        or fct.prior_tickets_same_type != expected_participant.prior_tickets_same_type
        or fct.prior_known_outcomes != expected_participant.prior_known_outcomes
        or fct.prior_no_shows != expected_participant.prior_no_shows
        or fct.prior_visits != expected_visits.prior_visits
        or fct.event_prior_tickets != expected_event.event_prior_tickets
        or coalesce(
            fct.days_since_last_purchase
            != {{ dbt.datediff('expected_participant.last_purchased_before', 'fct.purchased_on', 'day') }},
            fct.days_since_last_purchase is not null
            or expected_participant.last_purchased_before is not null
        )

)

select * from final
