with

tickets as (

    select * from {{ ref('fct_ticket_attendance') }}

),

organisation_types as (

    select distinct
        organisation_type,
        organisation_type_name

    from {{ ref('ref_organisation_types') }}

),

banded as (

    select
        {{ age_band('participant_age_years') }} as age_band,
        organisation_type,
        participant_id,
        price_rub,
        is_label_final,
        attended

    from tickets

),

activity as (

    select
        age_band,
        organisation_type,
        count(distinct participant_id) as participants,
        count(*) as tickets,
        sum(price_rub) as revenue_rub,
        count(case when is_label_final then 1 end) as tickets_with_final_label,
        count(case when attended = 1 then 1 end) as tickets_attended

    from banded
    group by age_band, organisation_type

),

band_totals as (

    select
        age_band,
        sum(tickets) as band_tickets

    from activity
    group by age_band

),

final as (

    select
        {{ surrogate_key(['activity.age_band', 'activity.organisation_type']) }} as age_band_organisation_type_id,
        activity.age_band,
        activity.organisation_type,
        organisation_types.organisation_type_name,
        activity.participants,
        activity.tickets,
        cast(activity.revenue_rub as decimal(14, 2)) as revenue_rub,
        cast(activity.revenue_rub / activity.tickets as decimal(12, 2)) as avg_price_rub,
        activity.tickets_with_final_label,
        activity.tickets_attended,
        {{ attendance_rate('activity.tickets_attended', 'activity.tickets_with_final_label') }} as attendance_rate,
        {{ no_show_rate('activity.tickets_attended', 'activity.tickets_with_final_label') }} as no_show_rate,
        cast(activity.tickets as double) / band_totals.band_tickets as share_of_age_band_tickets

    from activity
    inner join band_totals
        on activity.age_band = band_totals.age_band
    left join organisation_types
        on activity.organisation_type = organisation_types.organisation_type

)

select * from final
