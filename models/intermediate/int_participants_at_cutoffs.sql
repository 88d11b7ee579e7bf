{#- Each participant who bought anything in the year before a cutoff, described by
    what was known before the cutoff day. -#}

with

cutoffs as (

    select * from {{ ref('int_recommendation_cutoffs') }}

),

tickets as (

    select * from {{ ref('int_tickets_labelled') }}

),

participants as (

    select * from {{ ref('dim_participants') }}

),

events as (

    select * from {{ ref('int_events_enriched') }}

),

tickets_before_cutoff as (

    select
        cutoffs.cutoff_on,
        tickets.participant_id,
        tickets.purchased_on,
        tickets.price_rub,
        events.organisation_type

    from cutoffs
    inner join tickets
        on
            tickets.purchased_on < cutoffs.cutoff_on
            and tickets.purchased_on >= {{ dbt.dateadd('day', -365, 'cutoffs.cutoff_on') }}
    inner join events
        on tickets.event_id = events.event_id

),

type_counts as (

    select
        cutoff_on,
        participant_id,
        organisation_type,
        count(*) as tickets_of_type,
        row_number() over (
            partition by cutoff_on, participant_id
            order by count(*) desc, max(purchased_on) desc, organisation_type
        ) as type_rank

    from tickets_before_cutoff
    group by cutoff_on, participant_id, organisation_type

),

history as (

    select
        cutoff_on,
        participant_id,
        count(*) as tickets_last_year,
        max(purchased_on) as last_purchased_on,
        avg(cast(price_rub as double)) as avg_price_paid_rub  -- double: Spark's decimal avg keeps 6 places

    from tickets_before_cutoff
    group by cutoff_on, participant_id

),

final as (

    select
        history.cutoff_on,
        history.participant_id,
        participants.age_band,
        participants.age_years,
        participants.region_code,
        history.tickets_last_year,
        -- bigint on every engine (Spark's datediff is int), as the marts' contracts say.
        cast(
            {{ dbt.datediff('history.last_purchased_on', 'history.cutoff_on', 'day') }}
            as {{ dbt.type_bigint() }}
        ) as days_since_last_purchase,
        cast(history.avg_price_paid_rub as double) as avg_price_paid_rub,
        favourite_type.organisation_type as favourite_organisation_type

    from history
    inner join participants
        on history.participant_id = participants.participant_id
    inner join cutoffs
        on history.cutoff_on = cutoffs.cutoff_on
    left join type_counts as favourite_type
        on
            history.cutoff_on = favourite_type.cutoff_on
            and history.participant_id = favourite_type.participant_id
            and favourite_type.type_rank = 1
    -- At national scale, the labelled cutoffs may keep a stable share of participants.
    where
        cutoffs.is_serving_cutoff
        or {{ stable_bucket('history.participant_id', 10000) }}
        < {{ (var('recommendation_training_share') * 10000) | int }}

)

select * from final
