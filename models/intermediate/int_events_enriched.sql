with

events as (

    select * from {{ ref('stg_landing__events') }}

),

organisation_types as (

    select * from {{ ref('ref_organisation_types') }}

),

tickets as (

    select * from {{ ref('stg_landing__tickets') }}

),

participants as (

    select * from {{ ref('stg_landing__participants') }}

),

-- show.csv may come without a region column (the sample files do). Then an event is
-- placed in the home region most of its buyers come from: tickets are bought locally.
buyer_regions as (

    select
        tickets.event_id,
        participants.region_code,
        count(*) as buyers

    from tickets
    inner join participants
        on tickets.participant_id = participants.participant_id
    group by tickets.event_id, participants.region_code

),

main_buyer_region as (

    select
        event_id,
        region_code,
        row_number() over (partition by event_id order by buyers desc, region_code asc) as region_rank

    from buyer_regions

),

final as (

    select
        events.event_id,
        events.organisation_type_raw,
        coalesce(organisation_types.organisation_type, 'other') as organisation_type,
        coalesce(organisation_types.organisation_type_name, 'Другое') as organisation_type_name,
        organisation_types.organisation_type is null as is_organisation_type_unmapped,
        coalesce(events.region_code, main_buyer_region.region_code) as region_code,
        events.region_code is null as is_region_derived,
        events.source_line_number

    from events
    left join organisation_types
        on events.organisation_type_raw = organisation_types.raw_organisation_type
    left join main_buyer_region
        on
            events.event_id = main_buyer_region.event_id
            and main_buyer_region.region_rank = 1

)

select * from final
