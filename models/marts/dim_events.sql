with

events as (

    select * from {{ ref('int_events_enriched') }}

),

regions as (

    select * from {{ ref('ref_regions') }}

),

tickets as (

    select * from {{ ref('int_tickets_labelled') }}

),

sales as (

    select
        event_id,
        min(purchased_on) as first_sold_on,
        max(purchased_on) as last_sold_on,
        count(*) as tickets_sold,
        sum(price_rub) as revenue_rub,
        count(case when is_label_final then 1 end) as tickets_with_final_label,
        count(case when attended = 1 then 1 end) as tickets_attended

    from tickets
    group by event_id

),

final as (

    select
        events.event_id,
        events.organisation_type_raw,
        events.organisation_type,
        events.organisation_type_name,
        events.is_organisation_type_unmapped,
        events.region_code,
        regions.region_name,
        events.is_region_derived,
        sales.first_sold_on,
        sales.last_sold_on,
        coalesce(sales.tickets_sold, 0) as tickets_sold,
        cast(coalesce(sales.revenue_rub, 0) as decimal(14, 2)) as revenue_rub,
        cast(sales.revenue_rub / nullif(sales.tickets_sold, 0) as decimal(12, 2)) as avg_price_rub,
        coalesce(sales.tickets_with_final_label, 0) as tickets_with_final_label,
        coalesce(sales.tickets_attended, 0) as tickets_attended,
        {{ attendance_rate('sales.tickets_attended', 'sales.tickets_with_final_label') }} as attendance_rate

    from events
    left join regions
        on events.region_code = regions.region_code
    left join sales
        on events.event_id = sales.event_id

)

select * from final
