with

participants as (

    select * from {{ ref('base_landing__participants') }}
    where duplicate_rank = 1

),

final as (

    select
        participant_id,
        age_years,
        region_code,
        source_line_number

    from participants

)

select * from final
