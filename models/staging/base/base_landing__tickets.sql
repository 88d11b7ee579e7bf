{#- Every landed ticket row, renamed and typed, ranked within its (participant, event):
    rank 1 is the ticket, the rest are duplicates (reported in rpt_rejected_records). -#}
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
final as (

    select
        *,
        row_number() over (
            partition by participant_id, event_id
            order by purchased_on, source_line_number
        ) as duplicate_rank

    from renamed

)

select * from final
