with

tickets as (

    select * from {{ ref('fct_ticket_attendance') }}

),

regions as (

    select * from {{ ref('ref_regions') }}

),

monthly as (

    select
        participant_region_code as region_code,
        purchase_month,
        count(distinct participant_id) as active_participants,
        count(*) as tickets,
        sum(price_rub) as revenue_rub,
        count(case when is_label_final then 1 end) as tickets_with_final_label,
        count(case when attended = 1 then 1 end) as tickets_attended,
        {%- for organisation_type in reported_organisation_types() %}
            count(case when organisation_type = '{{ organisation_type }}' then 1 end) as {{ organisation_type }}_tickets,
        {%- endfor %}
        count(case when organisation_type not in ({{ "'" ~ reported_organisation_types() | join("', '") ~ "'" }}) then 1 end)
            as other_tickets

    from tickets
    group by participant_region_code, purchase_month

),

final as (

    select
        {{ surrogate_key(['monthly.region_code', 'monthly.purchase_month']) }} as region_month_id,
        monthly.region_code,
        regions.region_name,
        regions.federal_district,
        monthly.purchase_month as month_start_on,
        monthly.active_participants,
        monthly.tickets,
        cast(monthly.revenue_rub as decimal(14, 2)) as revenue_rub,
        monthly.tickets_with_final_label,
        monthly.tickets_attended,
        {{ attendance_rate('monthly.tickets_attended', 'monthly.tickets_with_final_label') }} as attendance_rate,
        {{ no_show_rate('monthly.tickets_attended', 'monthly.tickets_with_final_label') }} as no_show_rate,
        {%- for organisation_type in reported_organisation_types() %}
            cast(monthly.{{ organisation_type }}_tickets as double) / monthly.tickets as {{ organisation_type }}_ticket_share,
        {%- endfor %}
        cast(monthly.other_tickets as double) / monthly.tickets as other_ticket_share

    from monthly
    inner join regions
        on monthly.region_code = regions.region_code

)

select * from final
