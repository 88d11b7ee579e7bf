with

participants as (

    select * from {{ ref('stg_landing__participants') }}

),

regions as (

    select * from {{ ref('ref_regions') }}

),

tickets as (

    select * from {{ ref('int_tickets_labelled') }}

),

ticket_summary as (

    select
        participant_id,
        min(purchased_on) as first_purchased_on,
        max(purchased_on) as last_purchased_on,
        count(*) as tickets_total,
        sum(price_rub) as spent_rub,
        count(case when is_label_final then 1 end) as tickets_with_final_label,
        count(case when attended = 1 then 1 end) as tickets_attended

    from tickets
    group by participant_id

),

final as (

    select
        participants.participant_id,
        participants.age_years,
        {{ age_band('participants.age_years') }} as age_band,
        participants.region_code,
        regions.region_name,
        regions.federal_district,
        ticket_summary.first_purchased_on,
        ticket_summary.last_purchased_on,
        coalesce(ticket_summary.tickets_total, 0) as tickets_total,
        cast(coalesce(ticket_summary.spent_rub, 0) as decimal(14, 2)) as spent_rub,
        coalesce(ticket_summary.tickets_with_final_label, 0) as tickets_with_final_label,
        coalesce(ticket_summary.tickets_attended, 0) as tickets_attended,
        {{ attendance_rate('ticket_summary.tickets_attended', 'ticket_summary.tickets_with_final_label') }}
            as attendance_rate

    from participants
    left join regions
        on participants.region_code = regions.region_code
    left join ticket_summary
        on participants.participant_id = ticket_summary.participant_id

)

select * from final
