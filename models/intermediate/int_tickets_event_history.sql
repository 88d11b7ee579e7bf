{{
    config(
        pre_hook="{{ delete_rebuilt_tickets() }}",
        on_schema_change='fail',
        **ticket_model_config()
    )
}}

with

tickets as (

    select * from {{ ref('int_tickets_labelled') }}

),

events as (

    select * from {{ ref('int_events_enriched') }}

),

rebuild_from as (

    select {{ ticket_rebuild_from() }} as rebuild_from_on

),

ticket_types as (

    select
        tickets.event_id,
        events.organisation_type,
        tickets.purchased_on as activity_on,
        tickets.price_rub

    from tickets
    inner join events
        on tickets.event_id = events.event_id

),

-- Sales before the rebuilt days, summed once (see ticket_rebuild_from).
event_state as (

    select
        ticket_types.event_id,
        count(*) as purchases

    from ticket_types
    cross join rebuild_from
    where ticket_types.activity_on < rebuild_from.rebuild_from_on
    group by ticket_types.event_id

),

type_state as (

    select
        ticket_types.organisation_type,
        count(*) as purchases,
        sum(ticket_types.price_rub) as revenue_rub

    from ticket_types
    cross join rebuild_from
    where ticket_types.activity_on < rebuild_from.rebuild_from_on
    group by ticket_types.organisation_type

),

rebuilt_tickets as (

    select ticket_types.*
    from ticket_types
    cross join rebuild_from
    where ticket_types.activity_on >= rebuild_from.rebuild_from_on

),

event_daily as (

    select
        event_id,
        activity_on,
        count(*) as purchases

    from rebuilt_tickets
    group by event_id, activity_on

),

event_before_day as (

    select
        event_daily.event_id,
        event_daily.activity_on,
        coalesce(event_state.purchases, 0)
        + coalesce(sum(event_daily.purchases) {{ strictly_before('event_daily.event_id', 'event_daily.activity_on') }}, 0)
            as event_prior_tickets

    from event_daily
    left join event_state
        on event_daily.event_id = event_state.event_id

),

type_daily as (

    select
        organisation_type,
        activity_on,
        count(*) as purchases,
        sum(price_rub) as revenue_rub

    from rebuilt_tickets
    group by organisation_type, activity_on

),

type_before_day as (

    select
        type_daily.organisation_type,
        type_daily.activity_on,
        coalesce(type_state.purchases, 0)
        + coalesce(sum(type_daily.purchases) {{ strictly_before('type_daily.organisation_type', 'type_daily.activity_on') }}, 0)
            as type_prior_tickets,
        coalesce(type_state.revenue_rub, 0)
        + coalesce(sum(type_daily.revenue_rub) {{ strictly_before('type_daily.organisation_type', 'type_daily.activity_on') }}, 0)
            as type_prior_revenue_rub

    from type_daily
    left join type_state
        on type_daily.organisation_type = type_state.organisation_type

),

final as (

    select
        tickets.ticket_id,
        tickets.purchased_on,
        event_before_day.event_prior_tickets,
        cast(
            type_before_day.type_prior_revenue_rub / nullif(type_before_day.type_prior_tickets, 0)
            as decimal(12, 2)
        ) as type_avg_price_before_rub

    from tickets
    cross join rebuild_from
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
    where tickets.purchased_on >= rebuild_from.rebuild_from_on

)

select * from final
