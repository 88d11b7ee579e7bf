with

events as (

    select * from {{ ref('base_landing__events') }}
    where duplicate_rank = 1

),

final as (

    select
        event_id,
        organisation_type_raw,
        region_code,
        source_line_number

    from events

)

select * from final
