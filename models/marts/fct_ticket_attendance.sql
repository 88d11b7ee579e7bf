{{
    config(
        pre_hook="{{ delete_rebuilt_tickets() }}",
        on_schema_change='fail',
        **ticket_model_config()
    )
}}

with

-- Incremental runs rewrite the tickets bought from ticket_rebuild_from() on: newer
-- purchases, labels that may still change, late visits. The history features of these
-- rows come from the intermediates, which rebuild the same days.
tickets as (

    select * from {{ ref('int_tickets_labelled') }}
    where purchased_on >= {{ ticket_rebuild_from() }}

),

participant_history as (

    select * from {{ ref('int_tickets_participant_history') }}

),

event_history as (

    select * from {{ ref('int_tickets_event_history') }}

),

participants as (

    select * from {{ ref('stg_landing__participants') }}

),

events as (

    select * from {{ ref('int_events_enriched') }}

),

-- Tickets of participants or events missing from ages.csv or show.csv cannot be
-- described; they stay out of the fact and are counted among the rejected records.
final as (

    select
        tickets.ticket_id,
        tickets.participant_id,
        tickets.event_id,
        tickets.purchased_on,
        cast({{ dbt.date_trunc('month', 'tickets.purchased_on') }} as date) as purchase_month,
        cast(extract(month from tickets.purchased_on) as integer) as purchase_month_of_year,
        {{ iso_day_of_week('tickets.purchased_on') }} as purchase_day_of_week,
        tickets.price_rub,
        events.organisation_type,
        participants.age_years as participant_age_years,
        participants.region_code as participant_region_code,
        events.region_code as event_region_code,
        events.is_region_derived as is_event_region_derived,
        coalesce(participants.region_code = events.region_code, false) as is_event_in_home_region,
        cast(participant_history.prior_tickets as {{ dbt.type_bigint() }}) as prior_tickets,
        cast(participant_history.prior_visits as {{ dbt.type_bigint() }}) as prior_visits,
        cast(participant_history.prior_known_outcomes as {{ dbt.type_bigint() }}) as prior_known_outcomes,
        cast(participant_history.prior_no_shows as {{ dbt.type_bigint() }}) as prior_no_shows,
        cast(participant_history.prior_no_shows as double) / nullif(participant_history.prior_known_outcomes, 0)
            as prior_no_show_rate,
        -- Engines differ in datediff's type (Spark: int); the contract says bigint.
        cast(
            {{ dbt.datediff('participant_history.last_purchased_before', 'tickets.purchased_on', 'day') }}
            as {{ dbt.type_bigint() }}
        ) as days_since_last_purchase,
        cast(participant_history.prior_tickets_same_type as {{ dbt.type_bigint() }}) as prior_tickets_same_type,
        cast(participant_history.prior_tickets_same_type as double) / nullif(participant_history.prior_tickets, 0)
            as organisation_type_affinity,
        cast(event_history.event_prior_tickets as {{ dbt.type_bigint() }}) as event_prior_tickets,
        event_history.type_avg_price_before_rub,
        cast(tickets.price_rub / nullif(event_history.type_avg_price_before_rub, 0) as double)
            as price_relative_to_type,
        tickets.label_window_closes_on,
        tickets.is_label_final,
        tickets.visited_on,
        tickets.attended

    from tickets
    inner join participants
        on tickets.participant_id = participants.participant_id
    inner join events
        on tickets.event_id = events.event_id
    inner join participant_history
        on tickets.ticket_id = participant_history.ticket_id
    inner join event_history
        on tickets.ticket_id = event_history.ticket_id

)

select * from final
