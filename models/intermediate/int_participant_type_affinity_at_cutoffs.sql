{#- Share of each participant's tickets in the year before a cutoff by organisation type. -#}

with

participants as (

    select * from {{ ref('int_participants_at_cutoffs') }}

),

tickets as (

    select * from {{ ref('int_tickets_labelled') }}

),

events as (

    select * from {{ ref('int_events_enriched') }}

),

type_counts as (

    select
        participants.cutoff_on,
        participants.participant_id,
        events.organisation_type,
        count(*) as tickets_of_type

    from participants
    inner join tickets
        on
            participants.participant_id = tickets.participant_id
            and tickets.purchased_on < participants.cutoff_on
            and tickets.purchased_on >= {{ dbt.dateadd('day', -365, 'participants.cutoff_on') }}
    inner join events
        on tickets.event_id = events.event_id
    group by participants.cutoff_on, participants.participant_id, events.organisation_type

),

final as (

    select
        type_counts.cutoff_on,
        type_counts.participant_id,
        type_counts.organisation_type,
        type_counts.tickets_of_type,
        cast(type_counts.tickets_of_type as double) / participants.tickets_last_year as type_affinity

    from type_counts
    inner join participants
        on
            type_counts.cutoff_on = participants.cutoff_on
            and type_counts.participant_id = participants.participant_id

)

select * from final
