with

events as (

    select * from {{ ref('dim_events') }}

),

tickets as (

    select * from {{ ref('fct_ticket_attendance') }}

),

visits as (

    select * from {{ ref('stg_landing__visits') }}

),

-- Who bought: the audience's age mix, from the tickets of known participants.
audience as (

    select
        event_id,
        count(distinct participant_id) as buyers,
        avg(participant_age_years) as mean_buyer_age_years,
        {%- for band in age_bands() %}
            count(case when {{ age_band('participant_age_years') }} = '{{ band }}' then 1 end)
                as tickets_age_{{ band | replace('-', '_') }},
        {%- endfor %}
        count(*) as tickets_described

    from tickets
    group by event_id

),

-- Every recorded visit, with or without a ticket of ours.
event_visits as (

    select
        event_id,
        count(*) as visits

    from visits
    group by event_id

),

final as (

    select
        events.event_id,
        events.organisation_type,
        events.organisation_type_name,
        events.region_code,
        events.region_name,
        events.is_region_derived,
        events.first_sold_on,
        events.last_sold_on,
        events.tickets_sold,
        events.revenue_rub,
        events.avg_price_rub,
        coalesce(event_visits.visits, 0) as visits,
        events.tickets_with_final_label,
        events.tickets_attended,
        events.attendance_rate,
        {{ no_show_rate('events.tickets_attended', 'events.tickets_with_final_label') }} as no_show_rate,
        {%- for band in age_bands() %}
            cast(audience.tickets_age_{{ band | replace('-', '_') }} as double) / nullif(audience.tickets_described, 0)
                as ticket_share_age_{{ band | replace('-', '_') }},
        {%- endfor %}
        coalesce(audience.buyers, 0) as buyers,
        cast(audience.mean_buyer_age_years as double) as mean_buyer_age_years

    from events
    left join audience
        on events.event_id = audience.event_id
    left join event_visits
        on events.event_id = event_visits.event_id

)

select * from final
