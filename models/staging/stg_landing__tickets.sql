with

source as (

    select * from {{ source('landing', 'tickets') }}

),

renamed as (

    select
        cast(id_show as {{ dbt.type_string() }}) as event_id,
        cast(id_visitor as {{ dbt.type_string() }}) as participant_id,
        cast(sell_date as date) as purchased_on,
        cast(ticket_cost as decimal(12, 2)) as price_rub,
        cast(_source_line as {{ dbt.type_bigint() }}) as source_line_number

    from source

),

-- The card allows one ticket per participant and event: a repeated pair is a duplicate
-- row of the export, and the earliest purchase is the ticket.
deduplicated as (

    select
        *,
        row_number() over (
            partition by participant_id, event_id
            order by purchased_on, source_line_number
        ) as purchase_rank

    from renamed

),

final as (

    select
        {{ surrogate_key(['participant_id', 'event_id']) }} as ticket_id,
        event_id,
        participant_id,
        purchased_on,
        price_rub,
        source_line_number

    from deduplicated
    where purchase_rank = 1

)

select * from final
