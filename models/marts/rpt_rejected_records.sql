{#- Every raw record that did not make it into the marts, with where it came from and
    why: rows ingest could not type (quarantine), duplicates, and records that refer to
    something missing or contradict another file. Nothing is dropped silently. -#}

with

quarantine as (

    select * from {{ ref('stg_landing__quarantine') }}

),

tickets_all as (

    select * from {{ ref('base_landing__tickets') }}

),

participants_all as (

    select * from {{ ref('base_landing__participants') }}

),

events_all as (

    select * from {{ ref('base_landing__events') }}

),

visits_all as (

    select * from {{ ref('base_landing__visits') }}

),

tickets as (

    select * from {{ ref('stg_landing__tickets') }}

),

participants as (

    select * from {{ ref('stg_landing__participants') }}

),

events as (

    select * from {{ ref('stg_landing__events') }}

),

visits as (

    select * from {{ ref('stg_landing__visits') }}

),

ingest_rejects as (

    select
        source_file,
        source_line_number,
        'ingest' as rejected_by,
        reason
    from quarantine

),

duplicates as (

    select
        'tickets.csv' as source_file,
        source_line_number,
        'warehouse' as rejected_by,
        'duplicate ticket: this participant already has a ticket to this event' as reason
    from tickets_all
    where duplicate_rank > 1

    union all

    select
        'ages.csv' as source_file,
        source_line_number,
        'warehouse' as rejected_by,
        'duplicate participant ID' as reason
    from participants_all
    where duplicate_rank > 1

    union all

    select
        'show.csv' as source_file,
        source_line_number,
        'warehouse' as rejected_by,
        'duplicate event ID' as reason
    from events_all
    where duplicate_rank > 1

    union all

    select
        'visit.csv' as source_file,
        source_line_number,
        'warehouse' as rejected_by,
        'duplicate visit (same participant, event and day)' as reason
    from visits_all
    where duplicate_rank > 1

),

ticket_orphans as (

    select
        'tickets.csv' as source_file,
        tickets.source_line_number,
        'warehouse' as rejected_by,
        case
            when participants.participant_id is null then 'ticket of a participant missing from ages.csv'
            else 'ticket to an event missing from show.csv'
        end as reason

    from tickets
    left join participants
        on tickets.participant_id = participants.participant_id
    left join events
        on tickets.event_id = events.event_id
    where participants.participant_id is null or events.event_id is null

),

visit_problems as (

    select
        'visit.csv' as source_file,
        visits.source_line_number,
        'warehouse' as rejected_by,
        case
            when tickets.ticket_id is null then 'visit without a ticket'
            else 'visit dated before its purchase'
        end as reason

    from visits
    left join tickets
        on
            visits.participant_id = tickets.participant_id
            and visits.event_id = tickets.event_id
    where tickets.ticket_id is null or visits.visited_on < tickets.purchased_on

),

unioned as (

    select * from ingest_rejects
    union all
    select * from duplicates
    union all
    select * from ticket_orphans
    union all
    select * from visit_problems

),

final as (

    select
        {{ surrogate_key(['source_file', 'source_line_number', 'reason']) }} as rejected_record_id,
        source_file,
        source_line_number,
        rejected_by,
        reason

    from unioned

)

select * from final
