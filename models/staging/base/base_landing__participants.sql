{#- Every landed participant row, ranked within its ID (rank 1 wins). -#}
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

final as (

    select
        *,
        row_number() over (partition by participant_id order by source_line_number) as duplicate_rank

    from renamed

)

select * from final
