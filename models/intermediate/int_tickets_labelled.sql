{{
    config(
        pre_hook="{{ delete_rebuilt_tickets() }}",
        on_schema_change='fail',
        **ticket_model_config()
    )
}}

{%- set window_days = var('label_window_days') -%}

with

-- Incremental runs relabel only the tickets whose label may still change.
tickets as (

    select * from {{ ref('stg_landing__tickets') }}
    where purchased_on >= {{ ticket_rebuild_from() }}

),

visits as (

    select * from {{ ref('stg_landing__visits') }}

),

as_of as (

    select as_of_date from {{ ref('int_data_as_of') }}

),

windowed as (

    select
        tickets.*,
        cast({{ dbt.dateadd('day', window_days, 'tickets.purchased_on') }} as date) as label_window_closes_on,
        as_of.as_of_date

    from tickets
    cross join as_of

),

-- The ticket was used if the same participant visited the same event on the purchase
-- day or within the label window after it. A visit dated before the purchase does not
-- count: it belongs to no ticket of ours.
first_visit_in_window as (

    select
        windowed.ticket_id,
        min(visits.visited_on) as visited_on

    from windowed
    inner join visits
        on
            windowed.participant_id = visits.participant_id
            and windowed.event_id = visits.event_id
            and visits.visited_on >= windowed.purchased_on
            and visits.visited_on <= windowed.label_window_closes_on
            and visits.visited_on <= windowed.as_of_date
    group by windowed.ticket_id

),

final as (

    select
        windowed.ticket_id,
        windowed.event_id,
        windowed.participant_id,
        windowed.purchased_on,
        windowed.price_rub,
        windowed.label_window_closes_on,
        windowed.label_window_closes_on <= windowed.as_of_date as is_label_final,
        first_visit_in_window.visited_on,
        -- Open tickets get no label, even when already used: a label known only for the
        -- early visitors among them would bias training towards attendance.
        case
            when windowed.label_window_closes_on > windowed.as_of_date then null
            when first_visit_in_window.visited_on is not null then 1
            else 0
        end as attended,
        -- The day the outcome became known: the visit, or the close of the window.
        case
            when first_visit_in_window.visited_on is not null then first_visit_in_window.visited_on
            when windowed.label_window_closes_on <= windowed.as_of_date then windowed.label_window_closes_on
        end as outcome_known_on

    from windowed
    left join first_visit_in_window
        on windowed.ticket_id = first_visit_in_window.ticket_id

)

select * from final
