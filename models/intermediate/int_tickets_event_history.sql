with

tickets as (

    select * from {{ ref('int_tickets_labelled') }}

),

events as (

    select * from {{ ref('int_events_enriched') }}

),

event_daily as (

    select
        event_id,
        purchased_on as activity_on,
        count(*) as purchases

    from tickets
    group by event_id, purchased_on

),

event_before_day as (

    select
        event_id,
        activity_on,
        coalesce(sum(purchases) {{ strictly_before('event_id') }}, 0) as event_prior_tickets

    from event_daily

),

type_daily as (

    select
        events.organisation_type,
        tickets.purchased_on as activity_on,
        count(*) as purchases,
        sum(tickets.price_rub) as revenue_rub

    from tickets
    inner join events
        on tickets.event_id = events.event_id
    group by events.organisation_type, tickets.purchased_on

),

type_before_day as (

    select
        organisation_type,
        activity_on,
        sum(purchases) {{ strictly_before('organisation_type') }} as type_prior_tickets,
        sum(revenue_rub) {{ strictly_before('organisation_type') }} as type_prior_revenue_rub

    from type_daily

),

final as (

    select
        tickets.ticket_id,
        event_before_day.event_prior_tickets,
        cast(
            type_before_day.type_prior_revenue_rub / nullif(type_before_day.type_prior_tickets, 0)
            as decimal(12, 2)
        ) as type_avg_price_before_rub

    from tickets
    inner join event_before_day
        on
            tickets.event_id = event_before_day.event_id
            and tickets.purchased_on = event_before_day.activity_on
    left join events
        on tickets.event_id = events.event_id
    left join type_before_day
        on
            events.organisation_type = type_before_day.organisation_type
            and tickets.purchased_on = type_before_day.activity_on

)

select * from final
