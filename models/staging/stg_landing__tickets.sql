with

tickets as (

    select * from {{ ref('base_landing__tickets') }}
    where duplicate_rank = 1

),

final as (

    select
        {{ surrogate_key(['participant_id', 'event_id']) }} as ticket_id,
        event_id,
        participant_id,
        purchased_on,
        price_rub,
        source_line_number

    from tickets

)

select * from final
