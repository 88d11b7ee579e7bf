{#- Every landed visit row, ranked within (participant, event, day): rank 1 is the visit. -#}
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

final as (

    select
        *,
        row_number() over (
            partition by participant_id, event_id, visited_on
            order by source_line_number
        ) as duplicate_rank

    from renamed

)

select * from final
