{#- One row per (cutoff, participant, candidate event) with features known before the
    cutoff and the label: the participant visited the event in the window after it. -#}

with

cutoffs as (

    select * from {{ ref('int_recommendation_cutoffs') }}

),

participants as (

    select * from {{ ref('int_participants_at_cutoffs') }}

),

events as (

    select * from {{ ref('int_events_at_cutoffs') }}

),

affinity as (

    select * from {{ ref('int_participant_type_affinity_at_cutoffs') }}

),

relevant as (

    select * from {{ ref('int_recommendation_relevant_visits') }}

),

tickets as (

    select * from {{ ref('int_tickets_labelled') }}

),

participant_dim as (

    select * from {{ ref('dim_participants') }}

),

-- A cheap prior bounds the candidates per participant, so the mart grows with the
-- number of participants, not participants x events.
region_best_sellers as (

    select
        participants.cutoff_on,
        participants.participant_id,
        events.event_id

    from participants
    inner join events
        on
            participants.cutoff_on = events.cutoff_on
            and participants.region_code = events.region_code
            and events.region_rank <= {{ var('recommendation_candidates_per_region') }}

),

favourite_type_best_sellers as (

    select
        participants.cutoff_on,
        participants.participant_id,
        events.event_id

    from participants
    inner join events
        on
            participants.cutoff_on = events.cutoff_on
            and participants.region_code = events.region_code
            and participants.favourite_organisation_type = events.organisation_type
            and events.region_type_rank <= {{ var('recommendation_candidates_per_type') }}

),

national_best_sellers as (

    select
        participants.cutoff_on,
        participants.participant_id,
        events.event_id

    from participants
    inner join events
        on
            participants.cutoff_on = events.cutoff_on
            and events.national_rank <= {{ var('recommendation_candidates_national') }}

),

candidate_pairs as (

    select * from region_best_sellers
    union
    select * from favourite_type_best_sellers
    union
    select * from national_best_sellers

),

-- One ticket per participant and event: events already bought are not candidates.
new_candidates as (

    select candidate_pairs.*

    from candidate_pairs
    left join tickets
        on
            candidate_pairs.participant_id = tickets.participant_id
            and candidate_pairs.event_id = tickets.event_id
            and tickets.purchased_on < candidate_pairs.cutoff_on
    where tickets.ticket_id is null

),

age_band_sales as (

    select
        events.cutoff_on,
        events.event_id,
        participant_dim.age_band,
        count(*) as tickets_recent

    from events
    inner join tickets
        on
            events.event_id = tickets.event_id
            and tickets.purchased_on < events.cutoff_on
            and tickets.purchased_on >= {{ dbt.dateadd('day', -var('recommendation_lookback_days'), 'events.cutoff_on') }}
    inner join participant_dim
        on tickets.participant_id = participant_dim.participant_id
    group by events.cutoff_on, events.event_id, participant_dim.age_band

),

final as (

    select
        new_candidates.cutoff_on,
        cutoffs.is_evaluation_cutoff,
        cutoffs.is_serving_cutoff,
        new_candidates.participant_id,
        new_candidates.event_id,
        events.organisation_type,
        events.region_code as event_region_code,
        participants.region_code as participant_region_code,
        participants.age_years as participant_age_years,
        participants.age_band as participant_age_band,
        events.region_code = participants.region_code as is_event_in_home_region,
        participants.tickets_last_year as participant_tickets_last_year,
        participants.days_since_last_purchase as participant_days_since_last_purchase,
        coalesce(affinity.type_affinity, 0) as type_affinity,
        coalesce(events.organisation_type = participants.favourite_organisation_type, false)
            as is_favourite_type,
        events.tickets_recent as event_tickets_recent,
        events.tickets_last_14_days as event_tickets_last_14_days,
        events.sales_trend as event_sales_trend,
        cast(events.region_rank as {{ dbt.type_bigint() }}) as event_region_rank,  -- row_number() is int on Spark
        coalesce(age_band_sales.tickets_recent, 0) as event_tickets_recent_same_age_band,
        cast(coalesce(age_band_sales.tickets_recent, 0) as double) / events.tickets_recent
            as event_same_age_band_share,
        events.avg_price_rub as event_avg_price_rub,
        cast(events.avg_price_rub / nullif(participants.avg_price_paid_rub, 0) as double) as price_fit,
        case
            when cutoffs.is_serving_cutoff then null
            when relevant.event_id is not null then 1
            else 0
        end as has_visited_in_window

    from new_candidates
    inner join cutoffs
        on new_candidates.cutoff_on = cutoffs.cutoff_on
    inner join participants
        on
            new_candidates.cutoff_on = participants.cutoff_on
            and new_candidates.participant_id = participants.participant_id
    inner join events
        on
            new_candidates.cutoff_on = events.cutoff_on
            and new_candidates.event_id = events.event_id
    left join affinity
        on
            new_candidates.cutoff_on = affinity.cutoff_on
            and new_candidates.participant_id = affinity.participant_id
            and events.organisation_type = affinity.organisation_type
    left join age_band_sales
        on
            new_candidates.cutoff_on = age_band_sales.cutoff_on
            and new_candidates.event_id = age_band_sales.event_id
            and participants.age_band = age_band_sales.age_band
    left join relevant
        on
            new_candidates.cutoff_on = relevant.cutoff_on
            and new_candidates.participant_id = relevant.participant_id
            and new_candidates.event_id = relevant.event_id

)

select * from final
