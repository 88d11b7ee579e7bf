with

source as (

    select * from {{ source('landing', 'visit') }}

),

renamed as (

    select
        cast(id_show as {{ dbt.type_string() }}) as event_id,
        cast(id_visitor as {{ dbt.type_string() }}) as participant_id,
        cast(show_date as date) as visited_on,
        cast(_source_line as {{ dbt.type_bigint() }}) as source_line_number

    from source

),

deduplicated as (

    select
        *,
        row_number() over (
            partition by participant_id, event_id, visited_on
            order by source_line_number
        ) as row_rank

    from renamed

),

final as (

    select
        {{ surrogate_key(['participant_id', 'event_id', 'visited_on']) }} as visit_id,
        event_id,
        participant_id,
        visited_on,
        source_line_number

    from deduplicated
    where row_rank = 1

)

select * from final
