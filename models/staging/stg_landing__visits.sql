with

visits as (

    select * from {{ ref('base_landing__visits') }}
    where duplicate_rank = 1

),

final as (

    select
        {{ surrogate_key(['participant_id', 'event_id', 'visited_on']) }} as visit_id,
        event_id,
        participant_id,
        visited_on,
        source_line_number

    from visits

)

select * from final
