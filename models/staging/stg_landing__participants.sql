with

source as (

    select * from {{ source('landing', 'ages') }}

),

renamed as (

    select
        cast(id_visitor as {{ dbt.type_string() }}) as participant_id,
        cast(age as integer) as age_years,
        -- Region codes are two digits; a single-digit code lost its leading zero.
        lpad(cast(region as {{ dbt.type_string() }}), 2, '0') as region_code,
        cast(_source_line as {{ dbt.type_bigint() }}) as source_line_number

    from source

),

deduplicated as (

    select
        *,
        row_number() over (partition by participant_id order by source_line_number) as row_rank

    from renamed

),

final as (

    select
        participant_id,
        age_years,
        region_code,
        source_line_number

    from deduplicated
    where row_rank = 1

)

select * from final
